//! TLS: Ferry uses rustls with the ring provider only (no aws-lc, no OpenSSL).

/// Installs ring as rustls's process-wide crypto provider. Call before
/// building any TLS client or server; later calls do nothing.
pub fn install_ring_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

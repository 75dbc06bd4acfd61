//! The handset's MM1 client over HTTPS (rustls, ring) with a private CA
//! file (`mmsc.ca_file`), against a TLS listener on 127.0.0.1.

use std::time::Duration;

use axum::routing::{get, post};
use ferry_handset::config::PhoneConfig;
use ferry_handset::mm1::Mm1Client;
use ferry_service::Shutdown;

#[tokio::test]
async fn mm1_client_trusts_the_configured_ca_only() {
    ferry_service::tls::install_ring_provider();
    let dir = tempfile::tempdir().unwrap();
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let tls = ferry_service::http::server_tls(&ferry_service::http::TlsFiles {
        cert: cert.clone(),
        key,
    })
    .unwrap();
    let app = axum::Router::new()
        .route("/mms", post(|body: axum::body::Bytes| async move { body }))
        .route("/m/x", get(|| async { "retrieved" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (shutdown, _f) = Shutdown::new();
    let opts = ferry_service::http::ServeOptions::new(
        "test",
        &ferry_service::http::HttpLimits::default(),
        0,
        Some(tls),
    );
    tokio::spawn(ferry_service::http::serve(
        listener,
        app,
        opts,
        shutdown.clone(),
    ));
    let url = format!("https://127.0.0.1:{port}/mms");

    let mut config = PhoneConfig::new("+15550000001", &url);
    config.mmsc.timeout_secs = 5;
    config.mmsc.ca_file = Some(cert);
    let c = Mm1Client::new(&config).unwrap();
    assert_eq!(c.post(b"pdu".to_vec()).await.unwrap(), b"pdu");
    assert_eq!(
        c.get(&format!("https://127.0.0.1:{port}/m/x"))
            .await
            .unwrap(),
        b"retrieved"
    );
    // Without the CA file the MMSC's certificate is not trusted.
    config.mmsc.ca_file = None;
    let c = Mm1Client::new(&config).unwrap();
    let e = c.post(b"pdu".to_vec()).await.unwrap_err();
    assert!(format!("{e:#}").contains("certificate"), "{e:#}");
    // A CA file without certificates is refused when the client is built.
    std::fs::write(dir.path().join("empty.pem"), "").unwrap();
    config.mmsc.ca_file = Some(dir.path().join("empty.pem"));
    assert!(Mm1Client::new(&config).is_err());
    shutdown.trigger();
    tokio::time::sleep(Duration::from_millis(10)).await;
}

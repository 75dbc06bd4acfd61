//! The SMTP client (lettre, rustls with ring): MM4 to a peer MMSC, MM3
//! e-mail to the relay. The message is sent as it is (`send_raw`), with the
//! envelope given apart, so MM4 addresses such as
//! `+15550001/TYPE=PLMN@mms.b.example` travel unchanged.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{ClientConfig, TlsMode};

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// An envelope address lettre would not accept.
    #[error("bad envelope address {address:?}: {reason}")]
    Address {
        /// The address.
        address: String,
        /// Why.
        reason: String,
    },
    /// Worth trying again later (4xx reply, connection or TLS problem).
    #[error("transient failure: {0}")]
    Transient(String),
    /// The server refused for good (5xx reply).
    #[error("permanent failure: {0}")]
    Permanent(String),
    /// The client could not be set up (TLS parameters, CA file).
    #[error("client configuration: {0}")]
    Config(String),
}

impl SendError {
    /// True when a retry may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient(_))
    }
}

/// A client for one SMTP server.
#[derive(Clone)]
pub struct SmtpClient {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    server: String,
}

impl std::fmt::Debug for SmtpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpClient")
            .field("server", &self.server)
            .finish()
    }
}

impl SmtpClient {
    /// A client for the server of `config` (connections are pooled).
    pub fn new(config: &ClientConfig) -> Result<Self, SendError> {
        ferry_service::tls::install_ring_provider();
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.as_str())
            .port(config.port)
            .timeout(Some(Duration::from_secs(config.timeout_secs.max(1))));
        if config.tls != TlsMode::None {
            let mut p = TlsParameters::builder(config.host.clone());
            if let Some(ca) = &config.ca_file {
                let pem = std::fs::read(ca)
                    .map_err(|e| SendError::Config(format!("{}: {e}", ca.display())))?;
                let cert =
                    Certificate::from_pem(&pem).map_err(|e| SendError::Config(e.to_string()))?;
                p = p.add_root_certificate(cert);
            }
            let p = p
                .build_rustls()
                .map_err(|e| SendError::Config(e.to_string()))?;
            b = b.tls(match config.tls {
                TlsMode::Opportunistic => Tls::Opportunistic(p),
                TlsMode::Starttls => Tls::Required(p),
                TlsMode::Wrapper => Tls::Wrapper(p),
                TlsMode::None => Tls::None,
            });
        }
        if let Some(h) = &config.hello_name {
            b = b.hello_name(ClientId::Domain(h.clone()));
        }
        if let (Some(u), Some(p)) = (&config.username, &config.password) {
            b = b.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(Self {
            transport: b.build(),
            server: format!("{}:{}", config.host, config.port),
        })
    }

    /// Sends `message` (an RFC 5322 message with CRLF line ends) with this
    /// envelope. `envelope_from` may be empty for the null sender.
    pub async fn send(
        &self,
        envelope_from: &str,
        rcpts: &[String],
        message: &[u8],
    ) -> Result<(), SendError> {
        let bad = |a: &str, e: lettre::address::AddressError| SendError::Address {
            address: a.to_owned(),
            reason: e.to_string(),
        };
        let from = if envelope_from.is_empty() {
            None
        } else {
            Some(envelope_from.parse().map_err(|e| bad(envelope_from, e))?)
        };
        let to = rcpts
            .iter()
            .map(|r| r.parse().map_err(|e| bad(r, e)))
            .collect::<Result<Vec<_>, _>>()?;
        let envelope = Envelope::new(from, to).map_err(|e| SendError::Address {
            address: rcpts.join(","),
            reason: e.to_string(),
        })?;
        match self.transport.send_raw(&envelope, message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => {
                Err(SendError::Permanent(format!("{}: {e}", self.server)))
            }
            Err(e) => Err(SendError::Transient(format!("{}: {e}", self.server))),
        }
    }
}

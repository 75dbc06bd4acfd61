//! How pushes leave the MMSC: the [`Notifier`] trait, with a PAP client
//! ([`PapNotifier`], for Ferry's gateway or Kannel's) and an in-memory one
//! ([`MemoryNotifier`], for tests and dry runs).
//!
//! A push carries a WSP content of type `application/vnd.wap.mms-message`
//! (an M-Notification.ind, M-Delivery.ind or M-Read-Orig.ind) for the MMS
//! user agent (`x-wap-application:mms.ua`) of one MSISDN; the gateway wraps
//! it in a WSP Push PDU and sends it over SMS.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ferry_pap::{Document, Message, PapVersion, PushMessage, PushRequestBuilder};
use tokio::sync::Notify;

use crate::pdu::MMS_CONTENT_TYPE;

/// Why a push did not get through.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The gateway could not be reached or did not answer in time (try
    /// again later).
    #[error("push gateway unreachable: {0}")]
    Unreachable(String),
    /// The gateway answered with an HTTP error status.
    #[error("push gateway answered HTTP {status}: {body}")]
    Http {
        /// HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The gateway refused the push (a PAP result code other than 1xxx).
    #[error("push refused with PAP code {code}: {desc}")]
    Refused {
        /// PAP status code.
        code: u16,
        /// Its description.
        desc: String,
    },
    /// The gateway's answer made no sense.
    #[error("bad answer from push gateway: {0}")]
    BadAnswer(String),
}

/// A boxed, sendable future of a push result.
pub type PushFuture<'a> = Pin<Box<dyn Future<Output = Result<(), NotifyError>> + Send + 'a>>;

/// Delivers one WAP Push to the MMS user agent of an MSISDN.
pub trait Notifier: Send + Sync + std::fmt::Debug + 'static {
    /// Pushes `content` (an encoded MMS PDU) to `msisdn` (`+15551234567`).
    /// `Ok` once the gateway accepted it.
    fn push<'a>(&'a self, msisdn: &'a str, content: Bytes) -> PushFuture<'a>;
}

/// One push recorded by [`MemoryNotifier`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The MSISDN.
    pub msisdn: String,
    /// The encoded MMS PDU.
    pub content: Bytes,
}

/// Keeps pushes in memory; can be told to fail.
#[derive(Debug, Default)]
pub struct MemoryNotifier {
    pushed: Mutex<Vec<Pushed>>,
    fail: Mutex<bool>,
    notify: Notify,
}

impl MemoryNotifier {
    /// An empty one, shared.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Every push so far.
    pub fn pushed(&self) -> Vec<Pushed> {
        self.pushed.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Makes every later push fail (`true`) or succeed again.
    pub fn set_failing(&self, fail: bool) {
        *self.fail.lock().unwrap_or_else(|e| e.into_inner()) = fail;
    }

    /// Waits until a push matching `pred` has been made, up to `timeout`.
    pub async fn wait_for(&self, timeout: Duration, pred: impl Fn(&Pushed) -> bool) -> Option<Pushed> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.notify.notified();
            if let Some(p) = self.pushed().into_iter().find(|p| pred(p)) {
                return Some(p);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }
}

impl Notifier for MemoryNotifier {
    fn push<'a>(&'a self, msisdn: &'a str, content: Bytes) -> PushFuture<'a> {
        Box::pin(async move {
            if *self.fail.lock().unwrap_or_else(|e| e.into_inner()) {
                return Err(NotifyError::Unreachable("memory notifier set to fail".into()));
            }
            self.pushed.lock().unwrap_or_else(|e| e.into_inner()).push(Pushed {
                msisdn: msisdn.to_owned(),
                content,
            });
            self.notify.notify_waiters();
            Ok(())
        })
    }
}

impl<T: Notifier> Notifier for Arc<T> {
    fn push<'a>(&'a self, msisdn: &'a str, content: Bytes) -> PushFuture<'a> {
        (**self).push(msisdn, content)
    }
}

/// A PAP push initiator: POSTs a `multipart/related` PAP request (control
/// document + the MMS PDU) to the gateway and reads its `push-response`.
///
/// Works with Ferry's PPG and with Kannel's wapbox (which answers PAP 1.0
/// documents and HTTP 202; both are accepted).
#[derive(Debug)]
pub struct PapNotifier {
    client: reqwest::Client,
    url: String,
    credentials: Option<(String, String)>,
    version: PapVersion,
    ppg_host: String,
}

impl PapNotifier {
    /// A client for the gateway at `url`.
    pub fn new(
        url: impl Into<String>,
        credentials: Option<(String, String)>,
        version: PapVersion,
        ppg_host: impl Into<String>,
        timeout: Duration,
    ) -> Result<Self, NotifyError> {
        Self::with_ca(url, credentials, version, ppg_host, timeout, None)
    }

    /// The same, trusting the CA certificates of the PEM file `ca_file`
    /// (besides the system's roots) for an `https://` gateway.
    pub fn with_ca(
        url: impl Into<String>,
        credentials: Option<(String, String)>,
        version: PapVersion,
        ppg_host: impl Into<String>,
        timeout: Duration,
        ca_file: Option<&std::path::Path>,
    ) -> Result<Self, NotifyError> {
        ferry_service::tls::install_ring_provider();
        let mut b = reqwest::Client::builder()
            .timeout(timeout)
            .pool_max_idle_per_host(64);
        if let Some(ca) = ca_file {
            let pem = std::fs::read(ca).map_err(|e| {
                NotifyError::Unreachable(format!("reading gateway.ca_file {}: {e}", ca.display()))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                NotifyError::Unreachable(format!("gateway.ca_file {}: {e}", ca.display()))
            })?;
            if certs.is_empty() {
                return Err(NotifyError::Unreachable(format!(
                    "gateway.ca_file {} holds no certificate",
                    ca.display()
                )));
            }
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        let client = b
            .build()
            .map_err(|e| NotifyError::Unreachable(format!("building HTTP client: {e}")))?;
        Ok(Self {
            client,
            url: url.into(),
            credentials,
            version,
            ppg_host: ppg_host.into(),
        })
    }

    /// The PAP client address of an MSISDN: `WAPPUSH=+1555.../TYPE=PLMN@ppg`.
    pub fn client_address(&self, msisdn: &str) -> String {
        format!("WAPPUSH={msisdn}/TYPE=PLMN@{}", self.ppg_host)
    }
}

fn push_id() -> String {
    format!("ferry-mmsc-{}", hex::encode(rand::random::<[u8; 12]>()))
}

impl Notifier for PapNotifier {
    fn push<'a>(&'a self, msisdn: &'a str, content: Bytes) -> PushFuture<'a> {
        Box::pin(async move {
            let id = push_id();
            let message = PushMessage::new(id.clone(), ferry_pap::Address::new(self.client_address(msisdn)));
            let req = PushRequestBuilder::new(&message, MMS_CONTENT_TYPE, &content)
                .version(self.version)
                .product_name("Ferry MMSC")
                .application_id("x-wap-application:mms.ua")
                .build()
                .map_err(|e| NotifyError::BadAnswer(format!("building PAP request: {e}")))?;
            let mut http = self
                .client
                .post(&self.url)
                .header(reqwest::header::CONTENT_TYPE, req.content_type)
                .body(req.body);
            if let Some((u, p)) = &self.credentials {
                http = http.basic_auth(u, Some(p));
            }
            let resp = http.send().await.map_err(|e| NotifyError::Unreachable(e.to_string()))?;
            let status = resp.status();
            let body = resp
                .bytes()
                .await
                .map_err(|e| NotifyError::Unreachable(e.to_string()))?;
            if !status.is_success() {
                let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
                return Err(NotifyError::Http {
                    status: status.as_u16(),
                    body: text,
                });
            }
            let doc = Document::parse(&body).map_err(|e| NotifyError::BadAnswer(e.to_string()))?;
            match doc.message {
                Message::PushResponse(r) if r.result.code.is_success() => Ok(()),
                Message::PushResponse(r) => Err(NotifyError::Refused {
                    code: r.result.code.0,
                    desc: r.result.desc.unwrap_or_default(),
                }),
                Message::BadMessageResponse(b) => Err(NotifyError::Refused {
                    code: b.code.0,
                    desc: b.desc.unwrap_or_default(),
                }),
                other => Err(NotifyError::BadAnswer(format!("unexpected {}", other.element_name()))),
            }
        })
    }
}

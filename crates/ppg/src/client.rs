//! A PAP client (push initiator) for the MMSC: pushes to Ferry's gateway
//! (PAP 2.0) or to Kannel's (which answers PAP 1.0 with HTTP 202 and writes
//! `code ="1001"`), and, against Ferry, status queries and cancels.
//!
//! ```no_run
//! # async fn f() -> Result<(), ferry_ppg::client::ClientError> {
//! use ferry_ppg::client::{Credentials, PapClient, PushOptions, PushResponseExt};
//! let client = PapClient::new("http://127.0.0.1:8081/pap", Some(Credentials::basic("mmsc", "secret")))?;
//! let r = client
//!     .push("+15551234567", "application/vnd.wap.mms-message", Some("x-wap-application:mms.ua"),
//!           &[0x8C, 0x82], "mmsc-1@example.com", &PushOptions::default())
//!     .await?;
//! assert!(r.is_accepted());
//! # Ok(()) }
//! ```

use std::time::Duration;

use ferry_pap::{
    Address, CancelMessage, CancelResponse, ClientAddress, Document, Message, PapVersion, PushMessage, PushRequestBuilder,
    PushResponse, StatusCode, StatusQueryMessage, StatusQueryResponse, Timestamp,
};

/// How the client authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// HTTP Basic (Ferry).
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// `?username=&password=` on the URL (Kannel's `wap-push.cgi`).
    Query {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
}

impl Credentials {
    /// HTTP Basic credentials.
    pub fn basic(username: &str, password: &str) -> Self {
        Credentials::Basic { username: username.to_owned(), password: password.to_owned() }
    }

    /// URL query credentials (Kannel).
    pub fn query(username: &str, password: &str) -> Self {
        Credentials::Query { username: username.to_owned(), password: password.to_owned() }
    }
}

/// Options of a push.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushOptions {
    /// deliver-before-timestamp (unix seconds).
    pub deliver_before: Option<i64>,
    /// deliver-after-timestamp (unix seconds).
    pub deliver_after: Option<i64>,
    /// ppg-notify-requested-to.
    pub notify_to: Option<String>,
    /// source-reference.
    pub source_reference: Option<String>,
    /// The PAP version of the control document (default 2.0).
    pub version: Option<PapVersion>,
    /// Extra headers for the content entity.
    pub content_headers: Vec<(String, String)>,
}

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL or an argument is unusable.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The HTTP exchange failed.
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    /// The gateway answered something that is not the expected PAP document.
    #[error("unexpected answer (HTTP {status}): {what}")]
    Unexpected {
        /// HTTP status.
        status: u16,
        /// What was wrong.
        what: String,
    },
}

/// A PAP client.
#[derive(Debug, Clone)]
pub struct PapClient {
    http: reqwest::Client,
    url: reqwest::Url,
    credentials: Option<Credentials>,
}

/// Builds a push-response from a `badmessage-response` so that callers only
/// look at one shape.
fn from_bad(push_id: &str, code: StatusCode, desc: Option<String>) -> PushResponse {
    let mut r = PushResponse::new(push_id, code);
    r.result.desc = desc;
    r
}

/// Convenience on [`PushResponse`].
pub trait PushResponseExt {
    /// True for 1000/1001.
    fn is_accepted(&self) -> bool;
}

impl PushResponseExt for PushResponse {
    fn is_accepted(&self) -> bool {
        self.result.code.0 / 1000 == 1
    }
}

impl PapClient {
    /// A client for the gateway at `url` (Ferry: `http://host:port/pap`;
    /// Kannel: `http://host:port/cgi-bin/wap-push.cgi`).
    pub fn new(url: &str, credentials: Option<Credentials>) -> Result<Self, ClientError> {
        ferry_service::tls::install_ring_provider();
        let url = reqwest::Url::parse(url).map_err(|e| ClientError::Invalid(format!("URL {url:?}: {e}")))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(Self { http, url, credentials })
    }

    fn request(&self, content_type: &str, body: Vec<u8>) -> reqwest::RequestBuilder {
        let mut url = self.url.clone();
        let mut rb;
        match &self.credentials {
            Some(Credentials::Query { username, password }) => {
                url.query_pairs_mut().append_pair("username", username).append_pair("password", password);
                rb = self.http.post(url);
            }
            Some(Credentials::Basic { username, password }) => {
                rb = self.http.post(url).basic_auth(username, Some(password));
            }
            None => rb = self.http.post(url),
        }
        rb = rb.header("Content-Type", content_type).body(body);
        rb
    }

    async fn exchange(&self, content_type: &str, body: Vec<u8>) -> Result<(u16, Document), ClientError> {
        let resp = self.request(content_type, body).send().await?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await?;
        let doc = Document::parse(&bytes).map_err(|e| ClientError::Unexpected {
            status,
            what: format!("not a PAP document ({e}): {:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(200)])),
        })?;
        Ok((status, doc))
    }

    /// Pushes `body` (of `content_type`, for application `app_id`) to the
    /// phone number `address` (`+digits`, or a full `WAPPUSH=` address).
    /// A refusal is a response with its code, not an error: check
    /// [`PushResponseExt::is_accepted`].
    pub async fn push(
        &self,
        address: &str,
        content_type: &str,
        app_id: Option<&str>,
        body: &[u8],
        push_id: &str,
        options: &PushOptions,
    ) -> Result<PushResponse, ClientError> {
        let addr = if address.get(..8).is_some_and(|p| p.eq_ignore_ascii_case("WAPPUSH=")) {
            Address::new(address)
        } else {
            Address::from(ClientAddress::plmn(address).map_err(|e| ClientError::Invalid(format!("address {address:?}: {e}")))?)
        };
        let mut m = PushMessage::new(push_id, addr);
        let ts = |t: Option<i64>, what: &str| {
            t.map(|s| Timestamp::from_unix(s).ok_or_else(|| ClientError::Invalid(format!("{what} out of range")))).transpose()
        };
        m.deliver_before_timestamp = ts(options.deliver_before, "deliver_before")?;
        m.deliver_after_timestamp = ts(options.deliver_after, "deliver_after")?;
        m.ppg_notify_requested_to = options.notify_to.clone();
        m.source_reference = options.source_reference.clone();
        let mut b = PushRequestBuilder::new(&m, content_type, body).version(options.version.unwrap_or_default());
        if let Some(a) = app_id {
            b = b.application_id(a);
        }
        for (n, v) in &options.content_headers {
            b = b.header(n, v);
        }
        let req = b.build().map_err(|e| ClientError::Invalid(e.to_string()))?;
        let (status, doc) = self.exchange(&req.content_type, req.body).await?;
        match doc.message {
            Message::PushResponse(r) => Ok(r),
            Message::BadMessageResponse(b) => Ok(from_bad(push_id, b.code, b.desc)),
            other => Err(ClientError::Unexpected { status, what: format!("expected push-response, got <{}>", other.element_name()) }),
        }
    }

    /// Asks for the state of a push (Ferry; Kannel does not implement it).
    pub async fn status(&self, push_id: &str) -> Result<StatusQueryResponse, ClientError> {
        let doc = Document::from(StatusQueryMessage { push_id: push_id.to_owned(), addresses: Vec::new() });
        let (status, doc) = self.exchange("application/xml", doc.to_bytes()).await?;
        match doc.message {
            Message::StatusQueryResponse(r) => Ok(r),
            Message::BadMessageResponse(b) => Err(ClientError::Unexpected {
                status,
                what: format!("badmessage-response {}: {}", b.code.0, b.desc.unwrap_or_default()),
            }),
            other => Err(ClientError::Unexpected { status, what: format!("expected statusquery-response, got <{}>", other.element_name()) }),
        }
    }

    /// Cancels a push (Ferry; Kannel does not implement it).
    pub async fn cancel(&self, push_id: &str) -> Result<CancelResponse, ClientError> {
        let doc = Document::from(CancelMessage { push_id: push_id.to_owned(), addresses: Vec::new() });
        let (status, doc) = self.exchange("application/xml", doc.to_bytes()).await?;
        match doc.message {
            Message::CancelResponse(r) => Ok(r),
            Message::BadMessageResponse(b) => Err(ClientError::Unexpected {
                status,
                what: format!("badmessage-response {}: {}", b.code.0, b.desc.unwrap_or_default()),
            }),
            other => Err(ClientError::Unexpected { status, what: format!("expected cancel-response, got <{}>", other.element_name()) }),
        }
    }
}

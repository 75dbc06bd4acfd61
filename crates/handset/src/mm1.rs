//! MM1 over HTTP (OMA-TS-MMS_ENC §5, WAP-230 over HTTP): GET the
//! Content-Location of a notification, POST PDUs to the MMSC, directly or
//! through the MMS proxy, presenting the subscriber's identity the way the
//! MMSC expects (an MSISDN header as a trusted gateway adds, or HTTP Basic).

use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};

use crate::config::{IdentityMode, PhoneConfig};
use crate::retrieval::FetchError;

/// The MMS PDU media type (OMA-TS-MMS_ENC §5).
pub const MMS_MEDIA_TYPE: &str = "application/vnd.wap.mms-message";

/// An HTTP client for one phone.
#[derive(Debug, Clone)]
pub struct Mm1Client {
    http: reqwest::Client,
    url: String,
    identity: IdentityMode,
    header: Option<(HeaderName, HeaderValue)>,
    basic: Option<(String, String)>,
}

impl Mm1Client {
    /// A client for `config`'s MMSC, proxy and identity.
    pub fn new(config: &PhoneConfig) -> anyhow::Result<Self> {
        ferry_service::tls::install_ring_provider();
        let m = &config.mmsc;
        let mut b = reqwest::Client::builder()
            .timeout(Duration::from_secs(m.timeout_secs.max(1)))
            .user_agent(m.user_agent.clone());
        b = match &m.proxy {
            Some(p) => {
                let url = if p.contains("://") {
                    p.clone()
                } else {
                    format!("http://{p}")
                };
                b.proxy(
                    reqwest::Proxy::all(&url)
                        .map_err(|e| anyhow::anyhow!("mmsc.proxy {p:?}: {e}"))?,
                )
            }
            None => b.no_proxy(),
        };
        if let Some(ca) = &m.ca_file {
            let pem = std::fs::read(ca)
                .map_err(|e| anyhow::anyhow!("reading mmsc.ca_file {}: {e}", ca.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| anyhow::anyhow!("mmsc.ca_file {}: {e}", ca.display()))?;
            anyhow::ensure!(
                !certs.is_empty(),
                "mmsc.ca_file {} holds no certificate",
                ca.display()
            );
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        let http = b
            .build()
            .map_err(|e| anyhow::anyhow!("building the HTTP client: {e}"))?;
        let header = match m.identity {
            IdentityMode::Header => Some((
                HeaderName::from_bytes(m.identity_header.as_bytes()).map_err(|_| {
                    anyhow::anyhow!(
                        "mmsc.identity_header {:?} is not a header name",
                        m.identity_header
                    )
                })?,
                HeaderValue::from_str(&config.msisdn)
                    .map_err(|_| anyhow::anyhow!("msisdn is not a header value"))?,
            )),
            _ => None,
        };
        let basic = match m.identity {
            IdentityMode::Basic => Some((
                m.username.clone().unwrap_or_else(|| config.msisdn.clone()),
                m.password.clone().unwrap_or_default(),
            )),
            _ => None,
        };
        Ok(Self {
            http,
            url: m.url.clone(),
            identity: m.identity,
            header,
            basic,
        })
    }

    /// The identity mode in use.
    pub fn identity(&self) -> IdentityMode {
        self.identity
    }

    fn with_identity(&self, mut r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if let Some((n, v)) = &self.header {
            r = r.header(n.clone(), v.clone());
        }
        if let Some((u, p)) = &self.basic {
            r = r.basic_auth(u, Some(p));
        }
        r
    }

    /// GET a message. 5xx, 408, 429 and connection failures are transient;
    /// other statuses are permanent.
    pub async fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let req = self.with_identity(
            self.http
                .get(url)
                .header(ACCEPT, format!("{MMS_MEDIA_TYPE}, */*")),
        );
        let resp = req.send().await.map_err(|e| FetchError {
            transient: true,
            reason: format!("GET {url}: {}", error_chain(&e)),
        })?;
        let status = resp.status();
        if !status.is_success() {
            let transient =
                status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429;
            // An MMSC's refusal is an M-Retrieve.conf in error form: say
            // what it says (X-Mms-Retrieve-Text).
            let said = resp
                .bytes()
                .await
                .ok()
                .and_then(|b| {
                    ferry_mms::Pdu::decode(&b)
                        .ok()
                        .and_then(|p| p.retrieve_text().map(|t| t.text().into_owned()))
                })
                .map_or_else(String::new, |t| format!(": {t}"));
            return Err(FetchError {
                transient,
                reason: format!("GET {url}: HTTP {status}{said}"),
            });
        }
        resp.bytes()
            .await
            .map(|b| b.to_vec())
            .map_err(|e| FetchError {
                transient: true,
                reason: format!("GET {url}: {}", error_chain(&e)),
            })
    }

    /// POST a PDU to the MMSC; the response body (an M-Send.conf for an
    /// M-Send.req, usually empty otherwise).
    pub async fn post(&self, pdu: Vec<u8>) -> anyhow::Result<Vec<u8>> {
        let req = self.with_identity(
            self.http
                .post(&self.url)
                .header(CONTENT_TYPE, MMS_MEDIA_TYPE)
                .header(ACCEPT, format!("{MMS_MEDIA_TYPE}, */*"))
                .body(pdu),
        );
        let resp = req
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("POST {}: {}", self.url, error_chain(&e)))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| anyhow::anyhow!("POST {}: {}", self.url, error_chain(&e)))?;
        if !status.is_success() {
            anyhow::bail!("POST {}: HTTP {status}", self.url);
        }
        Ok(body.to_vec())
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

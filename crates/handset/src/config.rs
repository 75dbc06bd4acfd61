//! A phone's settings (`phone.toml` in its directory).
//!
//! ```toml
//! msisdn = "+15550001"
//!
//! [smsc]                      # the SMPP attachment
//! address = "127.0.0.1:2775"
//! system_id = "+15550001"
//! password = "secret"
//!
//! [mmsc]
//! url = "http://127.0.0.1:8080/mms"   # where M-Send.req and reports are POSTed
//! proxy = "127.0.0.1:8799"            # optional MMS proxy (host:port or URL)
//! identity = "header"                 # "header", "basic" or "none"
//! identity_header = "X-MSISDN"        # for "header"
//! # username / password for "basic"
//!
//! [retrieval]
//! mode = "immediate"          # or "deferred"
//! max_auto_size = 307200      # larger messages are deferred
//! reject_anonymous = false
//! ```

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Everything a phone needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneConfig {
    /// The phone's number, international form (`+15550001`).
    pub msisdn: String,
    /// The SMSC attachment (SMPP). Absent: the phone receives no pushes
    /// (it can still send and fetch).
    #[serde(default)]
    pub smsc: Option<SmscConfig>,
    /// The MMSC (MM1).
    pub mmsc: MmscConfig,
    /// Retrieval policy.
    #[serde(default)]
    pub retrieval: RetrievalConfig,
    /// Reports this phone allows and asks for.
    #[serde(default)]
    pub reports: ReportConfig,
}

/// How the phone binds to its SMSC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmscConfig {
    /// `host:port` of the SMPP server.
    pub address: String,
    /// SMPP system_id.
    pub system_id: String,
    /// SMPP password.
    #[serde(default)]
    pub password: String,
    /// SMPP system_type.
    #[serde(default)]
    pub system_type: String,
    /// Bind as transceiver instead of receiver.
    #[serde(default)]
    pub transceiver: bool,
}

/// How the subscriber is identified to the MMSC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum IdentityMode {
    /// A header carrying the MSISDN (what a trusted WAP gateway or proxy
    /// adds on a real network): `identity_header: msisdn`.
    #[default]
    Header,
    /// HTTP Basic with `username` and `password`.
    Basic,
    /// Nothing (the MMSC identifies the phone some other way).
    None,
}

/// The MMSC as the phone sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MmscConfig {
    /// MMSC URL: M-Send.req, M-NotifyResp.ind, M-Acknowledge.ind and
    /// M-Read-Rec.ind are POSTed here.
    pub url: String,
    /// MMS proxy (`host:port` or `http://host:port`): every request goes
    /// through it when set.
    #[serde(default)]
    pub proxy: Option<String>,
    /// Identity mode.
    #[serde(default)]
    pub identity: IdentityMode,
    /// Header name for [`IdentityMode::Header`].
    #[serde(default = "default_identity_header")]
    pub identity_header: String,
    /// User name for [`IdentityMode::Basic`] (default: the MSISDN).
    #[serde(default)]
    pub username: Option<String>,
    /// Password for [`IdentityMode::Basic`].
    #[serde(default)]
    pub password: Option<String>,
    /// HTTP timeout per request, seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// User-Agent sent with each request.
    #[serde(default = "default_user_agent")]
    pub user_agent: String,
    /// For an `https://` MMSC: a PEM file of CA certificates trusted (in
    /// addition to the system's roots) to sign the MMSC's certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<std::path::PathBuf>,
}

fn default_identity_header() -> String {
    "X-MSISDN".to_owned()
}
fn default_timeout() -> u64 {
    30
}
fn default_user_agent() -> String {
    concat!("Ferry-Handset/", env!("CARGO_PKG_VERSION")).to_owned()
}

/// When to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RetrievalMode {
    /// Fetch as soon as the notification arrives, then alert.
    #[default]
    Immediate,
    /// Alert with From, Subject and size; fetch when the user asks.
    Deferred,
}

/// Retrieval policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrievalConfig {
    /// Immediate or deferred.
    #[serde(default)]
    pub mode: RetrievalMode,
    /// Messages announced larger than this (octets) are deferred even in
    /// immediate mode.
    #[serde(default = "default_max_auto")]
    pub max_auto_size: u64,
    /// Reject notifications without a sender address (no From, or the
    /// sender hid it): M-NotifyResp.ind Rejected.
    #[serde(default)]
    pub reject_anonymous: bool,
    /// Fetch attempts before giving up (the first included).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Wait before the first retry, milliseconds; doubles each time.
    #[serde(default = "default_backoff")]
    pub retry_backoff_ms: u64,
    /// Longest wait between retries, milliseconds.
    #[serde(default = "default_backoff_max")]
    pub retry_backoff_max_ms: u64,
}

fn default_max_auto() -> u64 {
    300 * 1024
}
fn default_attempts() -> u32 {
    4
}
fn default_backoff() -> u64 {
    1000
}
fn default_backoff_max() -> u64 {
    60_000
}

impl Default for RetrievalConfig {
    fn default() -> Self {
        Self {
            mode: RetrievalMode::Immediate,
            max_auto_size: default_max_auto(),
            reject_anonymous: false,
            max_attempts: default_attempts(),
            retry_backoff_ms: default_backoff(),
            retry_backoff_max_ms: default_backoff_max(),
        }
    }
}

impl RetrievalConfig {
    /// The wait after failed attempt number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u64 << attempt.saturating_sub(1).min(20);
        Duration::from_millis(
            self.retry_backoff_ms
                .saturating_mul(factor)
                .min(self.retry_backoff_max_ms),
        )
    }
}

/// Reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportConfig {
    /// Send a read report when a message that asked for one is opened.
    #[serde(default = "yes")]
    pub send_read_reports: bool,
    /// X-Mms-Report-Allowed in M-NotifyResp.ind / M-Acknowledge.ind: the
    /// sender may get a delivery report.
    #[serde(default = "yes")]
    pub allow_delivery_reports: bool,
    /// Ask for delivery reports on messages sent (default for `send`).
    #[serde(default = "yes")]
    pub request_delivery_reports: bool,
    /// Ask for read reports on messages sent (default for `send`).
    #[serde(default = "yes")]
    pub request_read_reports: bool,
}

fn yes() -> bool {
    true
}

impl Default for ReportConfig {
    fn default() -> Self {
        Self {
            send_read_reports: true,
            allow_delivery_reports: true,
            request_delivery_reports: true,
            request_read_reports: true,
        }
    }
}

impl PhoneConfig {
    /// A phone with defaults for everything but the number and MMSC URL.
    pub fn new(msisdn: impl Into<String>, mmsc_url: impl Into<String>) -> Self {
        Self {
            msisdn: msisdn.into(),
            smsc: None,
            mmsc: MmscConfig {
                url: mmsc_url.into(),
                proxy: None,
                identity: IdentityMode::Header,
                identity_header: default_identity_header(),
                username: None,
                password: None,
                timeout_secs: default_timeout(),
                user_agent: default_user_agent(),
                ca_file: None,
            },
            retrieval: RetrievalConfig::default(),
            reports: ReportConfig::default(),
        }
    }

    /// Parses TOML text (no environment overrides).
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        let c: Self = toml::from_str(text)?;
        c.check()?;
        Ok(c)
    }

    /// Reads `path` with `FERRY_PHONE__...` environment overrides.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let c: Self = ferry_service::config::load(path, "FERRY_PHONE")?;
        c.check()?;
        Ok(c)
    }

    /// The TOML text of this configuration.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("configuration serializes")
    }

    /// Checks what serde cannot, listing every problem.
    pub fn check(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        let digits = self.msisdn.strip_prefix('+').unwrap_or(&self.msisdn);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(format!(
                "msisdn {:?} is not a phone number (+15550001)",
                self.msisdn
            ));
        }
        if !(self.mmsc.url.starts_with("http://") || self.mmsc.url.starts_with("https://")) {
            problems.push(format!(
                "mmsc.url {:?} is not an http(s) URL",
                self.mmsc.url
            ));
        }
        if self.mmsc.identity == IdentityMode::Basic && self.mmsc.password.is_none() {
            problems.push("mmsc.identity = \"basic\" needs mmsc.password".to_owned());
        }
        if self.retrieval.max_attempts == 0 {
            problems.push("retrieval.max_attempts must be at least 1".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("{}", problems.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_parses() {
        // The example in the module documentation.
        let text = "msisdn = \"+15550001\"\n[smsc]\naddress = \"127.0.0.1:2775\"\nsystem_id = \"+15550001\"\npassword = \"secret\"\n\
                    [mmsc]\nurl = \"http://127.0.0.1:8080/mms\"\nproxy = \"127.0.0.1:8799\"\nidentity = \"header\"\nidentity_header = \"X-MSISDN\"\n\
                    [retrieval]\nmode = \"deferred\"\nmax_auto_size = 307200\nreject_anonymous = true\n";
        let c = PhoneConfig::from_toml(text).unwrap();
        assert_eq!(c.retrieval.mode, RetrievalMode::Deferred);
        assert!(c.retrieval.reject_anonymous);
        assert_eq!(c.mmsc.proxy.as_deref(), Some("127.0.0.1:8799"));
        assert!(c.reports.send_read_reports);
        let again = PhoneConfig::from_toml(&c.to_toml()).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn errors_are_listed() {
        let e = PhoneConfig::from_toml(
            "msisdn = \"bob\"\n[mmsc]\nurl = \"ftp://x\"\nidentity = \"basic\"\n",
        )
        .unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("msisdn") && s.contains("mmsc.url") && s.contains("password"),
            "{s}"
        );
        assert!(
            PhoneConfig::from_toml("msisdn = \"+1\"\nbogus = 1\n[mmsc]\nurl = \"http://x\"\n")
                .is_err()
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let r = RetrievalConfig {
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 350,
            ..RetrievalConfig::default()
        };
        assert_eq!(r.backoff(1), Duration::from_millis(100));
        assert_eq!(r.backoff(2), Duration::from_millis(200));
        assert_eq!(r.backoff(3), Duration::from_millis(350));
        assert_eq!(r.backoff(64), Duration::from_millis(350));
    }
}

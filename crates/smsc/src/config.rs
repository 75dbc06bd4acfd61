//! The SMSC's configuration file (TOML, read with
//! [`ferry_service::config::load`] under the prefix `FERRY_SMSC`).
//!
//! See `examples/smsc.toml` for a commented example.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// The whole configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the SMPP server listens (`127.0.0.1:2775`; port 0 = any).
    pub listen: SocketAddr,
    /// Where `/metrics` and `/healthz` are served; none when absent.
    #[serde(default)]
    pub admin: Option<SocketAddr>,
    /// The system_id this SMSC gives in bind responses.
    #[serde(default = "default_system_id")]
    pub system_id: String,
    /// `"memory"` (nothing survives a restart: for benchmarks and tests) or
    /// the path of the SQLite database.
    pub store: Store,
    /// Who may bind.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// Other SMSCs that own numbers by prefix.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Retries and validity.
    #[serde(default)]
    pub delivery: Delivery,
    /// Limits against misbehaving peers.
    #[serde(default)]
    pub limits: Limits,
}

fn default_system_id() -> String {
    "ferry".to_owned()
}

/// Where accepted messages are kept.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum Store {
    /// In memory only: a restart loses every queued message.
    Memory,
    /// A SQLite database (WAL, `synchronous=FULL`): a message is answered
    /// `ESME_ROK` only after its commit.
    Sqlite(PathBuf),
}

impl From<String> for Store {
    fn from(s: String) -> Self {
        if s == "memory" {
            Store::Memory
        } else {
            Store::Sqlite(PathBuf::from(s))
        }
    }
}

/// What an account is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountRole {
    /// An application (push gateway, Kannel): submits to any routable
    /// number; when bound as receiver or transceiver it gets the delivery
    /// receipts of its own submissions.
    Gateway,
    /// A phone: binds with its MSISDN as `address_range`; receives the
    /// messages for that MSISDN and may submit from it.
    Handset,
    /// Another SMSC forwarding to this one: may submit only to numbers this
    /// SMSC serves (never forwarded on, so routes cannot loop).
    Peer,
}

/// A bind type an account may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BindType {
    /// bind_transmitter.
    Transmitter,
    /// bind_receiver.
    Receiver,
    /// bind_transceiver.
    Transceiver,
}

/// One ESME account.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The bind's system_id (at most 15 octets).
    pub system_id: String,
    /// The bind's password (at most 8 octets).
    pub password: String,
    /// What the account is for.
    pub role: AccountRole,
    /// Bind types allowed; all three when empty.
    #[serde(default)]
    pub bind_types: Vec<BindType>,
    /// Handsets: MSISDNs this account may bind as (exact, `+` ignored).
    #[serde(default)]
    pub msisdns: Vec<String>,
    /// Handsets: MSISDN prefixes this account may bind as. With neither
    /// `msisdns` nor `prefixes`, a handset account may bind as any number,
    /// and every number not routed elsewhere is local.
    #[serde(default)]
    pub prefixes: Vec<String>,
}

/// A route: numbers starting with `prefix` belong to another SMSC, reached
/// over SMPP as an ESME.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Number prefix (digits, `+` ignored); the longest matching route wins.
    pub prefix: String,
    /// The other SMSC's host.
    pub host: String,
    /// Its SMPP port.
    pub port: u16,
    /// The system_id to bind with there.
    pub system_id: String,
    /// The password to bind with there.
    pub password: String,
    /// Seconds a forwarded submit_sm may wait for the link and for the
    /// other SMSC's answer before the submitter gets `ESME_RSYSERR`.
    #[serde(default = "default_route_timeout")]
    pub timeout_seconds: u64,
}

fn default_route_timeout() -> u64 {
    10
}

/// Retries and validity.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Delivery {
    /// Seconds to wait after each failed delivery attempt to a bound
    /// session; the last is repeated until the message expires.
    pub retry_seconds: Vec<u64>,
    /// Validity of a message that names none, in seconds.
    pub default_validity_seconds: u64,
    /// The longest validity granted, in seconds (longer requests are cut).
    pub max_validity_seconds: u64,
    /// deliver_sm outstanding at once per session.
    pub window: usize,
    /// Seconds to wait for a deliver_sm_resp before retrying.
    pub response_timeout_seconds: u64,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            retry_seconds: vec![5, 30, 60, 300, 900],
            default_validity_seconds: 2 * 86_400,
            max_validity_seconds: 7 * 86_400,
            window: 64,
            response_timeout_seconds: 30,
        }
    }
}

/// Limits against misbehaving peers.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest PDU accepted (octets); longer gets generic_nack and a close.
    pub max_command_length: u32,
    /// submit_sm awaiting their commit per session; more are answered
    /// `ESME_RTHROTTLED`.
    pub max_pending_submits: usize,
    /// Messages queued in the whole SMSC; more are answered `ESME_RMSGQFUL`.
    pub max_queued: usize,
    /// Seconds a connection may stay unbound.
    pub bind_timeout_seconds: u64,
    /// Failed binds from one IP address (within ten minutes) after which
    /// its bind responses are delayed.
    pub failed_binds_before_delay: u32,
    /// The first delay, in milliseconds; it doubles with each further
    /// failure, up to `bind_delay_max_ms`.
    pub bind_delay_ms: u64,
    /// The longest delay, in milliseconds.
    pub bind_delay_max_ms: u64,
    /// Seconds of silence on a bound session before an enquire_link (0 = never).
    pub enquire_link_seconds: u64,
    /// Octets of free space kept on the store's file system: a submit_sm
    /// that would leave less is answered `ESME_RMSGQFUL` before the disk is
    /// actually full (0 = no check; a failed commit answers `ESME_RSYSERR`
    /// either way).
    pub min_free_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_command_length: 64 * 1024,
            max_pending_submits: 4096,
            max_queued: 1_000_000,
            bind_timeout_seconds: 30,
            failed_binds_before_delay: 3,
            bind_delay_ms: 1000,
            bind_delay_max_ms: 30_000,
            enquire_link_seconds: 60,
            min_free_bytes: 0,
        }
    }
}

impl Config {
    /// Reads `path` with environment overrides under `FERRY_SMSC`
    /// (e.g. `FERRY_SMSC__LISTEN=0.0.0.0:2775`), then checks it.
    pub fn load(path: &std::path::Path) -> anyhow::Result<Config> {
        let c: Config = ferry_service::config::load(path, "FERRY_SMSC")?;
        c.check()?;
        Ok(c)
    }

    /// Parses configuration text (no environment overrides) and checks it.
    pub fn from_toml(text: &str) -> anyhow::Result<Config> {
        let c: Config = ferry_service::config::from_str_with_env(text, "FERRY_SMSC", Vec::new())?;
        c.check()?;
        Ok(c)
    }

    /// Checks what serde cannot: lengths, duplicates, digits.
    pub fn check(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for a in &self.accounts {
            if a.system_id.is_empty() || a.system_id.len() > 15 {
                problems.push(format!(
                    "account {:?}: system_id must be 1 to 15 octets",
                    a.system_id
                ));
            }
            if a.password.len() > 8 {
                problems.push(format!(
                    "account {:?}: password must be at most 8 octets",
                    a.system_id
                ));
            }
            if !seen.insert(a.system_id.as_str()) {
                problems.push(format!("account {:?} appears twice", a.system_id));
            }
            for n in a.msisdns.iter().chain(&a.prefixes) {
                if crate::address::normalize(n.as_bytes()).is_none() {
                    problems.push(format!("account {:?}: {n:?} is not a number", a.system_id));
                }
            }
        }
        for r in &self.routes {
            if crate::address::normalize(r.prefix.as_bytes()).is_none() {
                problems.push(format!("route {:?}: prefix is not a number", r.prefix));
            }
        }
        if self.delivery.retry_seconds.is_empty() {
            problems.push("delivery.retry_seconds must not be empty".to_owned());
        }
        if self.delivery.window == 0 {
            problems.push("delivery.window must be at least 1".to_owned());
        }
        if self.system_id.is_empty() || self.system_id.len() > 15 {
            problems.push("system_id must be 1 to 15 octets".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("{}", problems.join("; "))
        }
    }
}

impl Account {
    /// Whether this account may bind with `mode`.
    pub fn allows(&self, mode: ferry_smpp::BindMode) -> bool {
        let t = match mode {
            ferry_smpp::BindMode::Transmitter => BindType::Transmitter,
            ferry_smpp::BindMode::Receiver => BindType::Receiver,
            ferry_smpp::BindMode::Transceiver => BindType::Transceiver,
        };
        self.bind_types.is_empty() || self.bind_types.contains(&t)
    }

    /// Handsets: whether this account may bind as `msisdn` (normalized).
    pub fn may_be(&self, msisdn: &str) -> bool {
        if self.msisdns.is_empty() && self.prefixes.is_empty() {
            return true;
        }
        let norm = |s: &String| crate::address::normalize(s.as_bytes()).unwrap_or_default();
        self.msisdns.iter().any(|m| norm(m) == msisdn)
            || self.prefixes.iter().any(|p| msisdn.starts_with(&norm(p)))
    }
}

//! The gateway's configuration (`examples/ppg.toml`), read with
//! [`ferry_service::config::load`] (environment overrides under `FERRY_PPG`,
//! unknown keys refused).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

use serde::Deserialize;

/// Prefix of environment overrides: `FERRY_PPG__LISTEN=127.0.0.1:8080`.
pub const ENV_PREFIX: &str = "FERRY_PPG";

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address of the HTTP server (PAP, `/metrics`, `/healthz`).
    pub listen: SocketAddr,
    /// The SQLite database holding every push.
    pub database: PathBuf,
    /// `sender-name` written in responses and notifications.
    #[serde(default = "default_sender_name")]
    pub sender_name: String,
    /// Push initiators allowed to push.
    #[serde(default)]
    pub initiators: Vec<InitiatorConfig>,
    /// Pushes without credentials, accepted only from these addresses. Absent:
    /// no anonymous pushes.
    #[serde(default)]
    pub anonymous: Option<AnonymousConfig>,
    /// SMSC links, chosen by destination prefix (longest wins).
    #[serde(default)]
    pub links: Vec<LinkConfig>,
    /// Delivery behaviour.
    #[serde(default)]
    pub delivery: DeliveryConfig,
    /// HTTPS on the PAP listener: `[tls] cert = "…", key = "…"` (PEM files;
    /// rustls with ring). Absent: plain HTTP.
    #[serde(default)]
    pub tls: Option<ferry_service::http::TlsFiles>,
    /// Timeouts and per-address connection limit of the HTTP listener
    /// (`max_connections_per_ip` defaults to no limit here).
    #[serde(default)]
    pub http: ferry_service::http::HttpLimits,
    /// Threads running the HTTP server and the SMPP links (`ferry ppg
    /// serve`). 0: one fewer than the machine's cores, at least one, so
    /// that the push store's writer thread, which commits every accepted
    /// push, has a core of its own (on a 2-core machine this carries about
    /// 9 % more pushes than two threads: docs/PERFORMANCE.md).
    #[serde(default)]
    pub worker_threads: usize,
}

impl Config {
    /// The number of runtime threads `worker_threads` asks for.
    pub fn runtime_threads(&self) -> usize {
        match self.worker_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1)),
            n => n,
        }
    }
}

fn default_sender_name() -> String {
    "Ferry PPG".to_owned()
}

/// One push initiator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitiatorConfig {
    /// The initiator's name (logs, push-id scope).
    pub name: String,
    /// HTTP Basic user name (also accepted as `?username=` for Kannel-era initiators).
    pub username: String,
    /// HTTP Basic password (also `?password=`).
    pub password: String,
    /// Client IP addresses or CIDR blocks allowed to use these credentials;
    /// empty means any address.
    #[serde(default)]
    pub allowed_addresses: Vec<IpNet>,
}

/// Anonymous pushes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnonymousConfig {
    /// Addresses (IP or CIDR) from which pushes without credentials are accepted.
    pub allowed_addresses: Vec<IpNet>,
}

/// One SMPP link to an SMSC.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    /// The link's name (logs, metrics, receipts).
    pub name: String,
    /// `host:port` of the SMSC.
    pub address: String,
    /// SMPP `system_id`.
    pub system_id: String,
    /// SMPP password.
    pub password: String,
    /// SMPP `system_type`.
    #[serde(default)]
    pub system_type: String,
    /// Source address of the pushes (`source_addr`, TON 0 / NPI 1 like Kannel).
    #[serde(default)]
    pub source_addr: String,
    /// International destination prefixes this link serves (`"+1"`, `"+4470"`);
    /// `"+"` serves every number.
    pub prefixes: Vec<String>,
    /// Outstanding submit_sm window.
    #[serde(default = "default_window")]
    pub window: usize,
    /// Ask the SMSC for delivery receipts (registered_delivery 1). Without
    /// receipts a push is `delivered` once the SMSC accepted every segment.
    #[serde(default = "yes")]
    pub receipts: bool,
}

fn default_window() -> usize {
    64
}
fn yes() -> bool {
    true
}

/// How pushes are delivered.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Answer `3010` at acceptance when no link is configured for the
    /// destination or none is bound; otherwise accept and queue until a link
    /// comes up (deliver-before still applies).
    #[serde(default = "yes")]
    pub require_link: bool,
    /// Put a Content-Length header in the WSP push (off: the compact form).
    #[serde(default)]
    pub content_length: bool,
    /// First retry delay after a failed submission, in milliseconds.
    #[serde(default = "default_retry_initial_ms")]
    pub retry_initial_ms: u64,
    /// Longest retry delay, in milliseconds.
    #[serde(default = "default_retry_max_ms")]
    pub retry_max_ms: u64,
    /// Submission attempts before a push is `undeliverable`.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// A submitted push with no final receipt after this many seconds is `timeout`.
    #[serde(default = "default_receipt_timeout")]
    pub receipt_timeout_secs: u64,
    /// Most pushes committed in one transaction (group commit).
    #[serde(default = "default_batch")]
    pub batch_max: usize,
    /// How long a state change that nobody waits for (a submission, a
    /// final state, an acknowledged notification) may wait for the next
    /// commit, in milliseconds. Under load it rides with the next accepted
    /// push's commit instead of paying an fsync of its own; 0: committed
    /// at once. A crash inside this window only means the push is sent
    /// again after the restart, as it would be if the crash came between
    /// the SMSC's answer and the commit.
    #[serde(default = "default_state_commit_delay_ms")]
    pub state_commit_delay_ms: u64,
    /// Submissions in flight at once (across links).
    #[serde(default = "default_in_flight")]
    pub max_in_flight: usize,
    /// Largest accepted PAP request body, in bytes.
    #[serde(default = "default_max_body")]
    pub max_request_bytes: usize,
    /// Octets of free space kept on the database's file system: a push
    /// that would leave less is refused with PAP 4000 (service failure),
    /// "storage full, try again later", before the disk is actually full.
    /// 0 (the default): no check (a failed commit answers 3000 either way).
    #[serde(default)]
    pub min_free_bytes: u64,
}

fn default_retry_initial_ms() -> u64 {
    500
}
fn default_retry_max_ms() -> u64 {
    60_000
}
fn default_max_attempts() -> u32 {
    20
}
fn default_receipt_timeout() -> u64 {
    48 * 3600
}
fn default_batch() -> usize {
    2048
}
fn default_state_commit_delay_ms() -> u64 {
    5
}
fn default_in_flight() -> usize {
    4096
}
fn default_max_body() -> usize {
    256 * 1024
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            require_link: true,
            content_length: false,
            retry_initial_ms: default_retry_initial_ms(),
            retry_max_ms: default_retry_max_ms(),
            max_attempts: default_max_attempts(),
            receipt_timeout_secs: default_receipt_timeout(),
            batch_max: default_batch(),
            state_commit_delay_ms: default_state_commit_delay_ms(),
            max_in_flight: default_in_flight(),
            max_request_bytes: default_max_body(),
            min_free_bytes: 0,
        }
    }
}

impl Config {
    /// Checks what serde cannot: names unique, prefixes international.
    pub fn validate(&self) -> anyhow::Result<()> {
        let mut names = std::collections::HashSet::new();
        for l in &self.links {
            anyhow::ensure!(names.insert(&l.name), "two links are named {:?}", l.name);
            anyhow::ensure!(!l.prefixes.is_empty(), "link {:?} has no prefixes", l.name);
            for p in &l.prefixes {
                anyhow::ensure!(
                    p.starts_with('+') && p[1..].bytes().all(|b| b.is_ascii_digit()),
                    "link {:?}: prefix {p:?} is not '+' followed by digits",
                    l.name
                );
            }
        }
        let mut users = std::collections::HashSet::new();
        for i in &self.initiators {
            anyhow::ensure!(users.insert(&i.username), "two initiators use the user name {:?}", i.username);
        }
        anyhow::ensure!(self.delivery.batch_max > 0, "delivery.batch_max must be at least 1");
        anyhow::ensure!(self.delivery.max_attempts > 0, "delivery.max_attempts must be at least 1");
        Ok(())
    }
}

/// An IP address or a CIDR block (`10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` is inside the block (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpNet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().map_err(|_| format!("{s:?} is not an IP address or CIDR block"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("{s:?}: prefix length must be 0..={max}"))?,
            None => max,
        };
        Ok(Self { addr, prefix })
    }
}

impl<'de> Deserialize<'de> for IpNet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr() {
        let n: IpNet = "10.0.0.0/8".parse().unwrap();
        assert!(n.contains("10.2.3.4".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        assert!(n.contains("::ffff:10.0.0.1".parse().unwrap()));
        let one: IpNet = "127.0.0.1".parse().unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        let v6: IpNet = "::1".parse().unwrap();
        assert!(v6.contains("::1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        assert!("nope".parse::<IpNet>().is_err());
    }

    #[test]
    fn example_config_parses() {
        let text = include_str!("../../../examples/ppg.toml");
        let c: Config = ferry_service::config::from_str_with_env(text, ENV_PREFIX, vec![]).unwrap();
        c.validate().unwrap();
        assert!(!c.links.is_empty());
        let bad = format!("{text}\nbogus = 1\n");
        assert!(ferry_service::config::from_str_with_env::<Config>(&bad, ENV_PREFIX, vec![]).is_err());
    }
}

//! The network's configuration file (`examples/network.toml`), read with
//! [`ferry_service::config::load`]: unknown keys are refused, and any key
//! can be overridden from the environment under `FERRY_NETWORK`
//! (`FERRY_NETWORK__DATA_DIR=/tmp/net`).
//!
//! ```toml
//! data_dir = "var/network"        # SQLite files and message folders
//! host = "127.0.0.1"              # every part listens on this address
//!
//! [[operators]]
//! name = "alpha"
//! numbers = "+1555010"            # the operator's number range (a prefix)
//! ports = { smsc = 2775, ppg = 8081, mmsc = 8080, proxy = 8799 }   # 0 = any free port
//! peers = ["beta"]                # sender-hosted retrieval with beta (which lists alpha)
//!
//! [[operators.phones]]
//! name = "alice"
//! msisdn = "+15550100001"
//! retrieval = "immediate"         # or "deferred"
//! ```

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ferry_handset::RetrievalMode;
use serde::Deserialize;

/// Prefix of environment overrides.
pub const ENV_PREFIX: &str = "FERRY_NETWORK";

/// The example configuration shipped with Ferry (two operators, three
/// phones each, one of them deferred). `ferry demo` starts it.
pub const EXAMPLE: &str = include_str!("../../../examples/network.toml");

/// A whole network.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Where the data goes (SQLite files, message folders); relative paths
    /// are taken from the current directory. `ferry network up --data-dir`
    /// overrides it.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// The address every part listens on.
    #[serde(default = "default_host")]
    pub host: IpAddr,
    /// Timers, in one place (defaults suit a demo and tests).
    #[serde(default)]
    pub tuning: Tuning,
    /// The operators.
    pub operators: Vec<OperatorConfig>,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("var/network")
}
fn default_host() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

/// Timers shared by every operator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tuning {
    /// Phones: wait before the first retry of a failed fetch, milliseconds
    /// (doubles after each failure).
    pub fetch_retry_ms: u64,
    /// MMSC: seconds a "retrieved" delivery report waits for the
    /// recipient's M-NotifyResp.ind (which may refuse reports).
    pub report_grace_secs: u64,
    /// MMSC: delays before re-notifying a recipient that did not answer,
    /// seconds (the last repeats).
    pub notify_retry_secs: Vec<u64>,
    /// MMSC: how often its queues are polled when nothing wakes them, ms.
    pub poll_ms: u64,
    /// MMSC: pushes in flight at once.
    pub notify_concurrency: usize,
    /// SMSC: seconds between attempts to deliver to a bound phone that
    /// failed (the last repeats).
    pub sms_retry_secs: Vec<u64>,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            fetch_retry_ms: 200,
            report_grace_secs: 1,
            notify_retry_secs: vec![5, 30, 120, 600],
            poll_ms: 100,
            notify_concurrency: 64,
            sms_retry_secs: vec![2, 10, 30, 120],
        }
    }
}

/// One operator: an SMSC, a push gateway, an MMSC (behind a recording MMS
/// proxy) and its phones.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorConfig {
    /// Short name (letters, digits, `-`): also its folder in the data
    /// directory.
    pub name: String,
    /// The number range: every MSISDN starting with this prefix (`+` and
    /// digits) belongs to this operator.
    pub numbers: String,
    /// Loopback ports; 0 picks a free one.
    #[serde(default)]
    pub ports: Ports,
    /// The phones.
    #[serde(default)]
    pub phones: Vec<PhoneEntry>,
    /// Operators this one exchanges MMS with by sender-hosted retrieval
    /// (each must list this one too): this operator's push gateway
    /// notifies their subscribers directly (the SMS crosses to their SMSC),
    /// its MMSC serves their MMSC the messages for their numbers, and
    /// fetches from theirs for its own subscribers. The network makes a
    /// shared secret for each pair at start.
    #[serde(default)]
    pub peers: Vec<String>,
}

/// Where an operator's parts listen (0 = any free port).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Ports {
    /// SMPP (the SMSC).
    pub smsc: u16,
    /// PAP over HTTP (the push gateway).
    pub ppg: u16,
    /// MM1 over HTTP (the MMSC).
    pub mmsc: u16,
    /// The MMS proxy the phones use (records every MM1 exchange).
    pub proxy: u16,
}

/// One phone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneEntry {
    /// Its name (`ferry phone --network DIR --phone NAME`); unique in the
    /// network.
    pub name: String,
    /// Its number, inside the operator's range.
    pub msisdn: String,
    /// Fetch at once (`immediate`) or alert and wait for `fetch` (`deferred`).
    #[serde(default)]
    pub retrieval: RetrievalMode,
    /// Attach to the SMSC when the network starts (false: switched off
    /// until [`crate::Network::attach`]; the SMSC keeps its messages).
    #[serde(default = "yes")]
    pub attached: bool,
}

fn yes() -> bool {
    true
}

fn is_number(s: &str) -> bool {
    s.strip_prefix('+')
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

impl NetworkConfig {
    /// Reads `path` with `FERRY_NETWORK__…` overrides, and checks it.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let c: Self = ferry_service::config::load(path, ENV_PREFIX)?;
        c.check()
            .map_err(|e| anyhow::anyhow!("in configuration {}: {e}", path.display()))?;
        Ok(c)
    }

    /// Parses configuration text (no environment overrides) and checks it.
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        let c: Self = ferry_service::config::from_str_with_env(text, ENV_PREFIX, Vec::new())?;
        c.check()?;
        Ok(c)
    }

    /// The example configuration with every port set to 0 (any free port).
    pub fn example_on_free_ports() -> Self {
        let mut c = Self::from_toml(EXAMPLE).expect("the example configuration is valid");
        for o in &mut c.operators {
            o.ports = Ports::default();
        }
        c
    }

    /// Checks what serde cannot, listing every problem.
    pub fn check(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        if self.operators.is_empty() {
            problems.push("no [[operators]]".to_owned());
        }
        let mut names = HashSet::new();
        let mut phone_names = HashSet::new();
        let mut numbers = HashSet::new();
        for (i, o) in self.operators.iter().enumerate() {
            let ok_name = !o.name.is_empty()
                && o.name.len() <= 32
                && o.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok_name {
                problems.push(format!(
                    "operator {:?}: name must be 1 to 32 letters, digits or '-'",
                    o.name
                ));
            }
            if !names.insert(o.name.as_str()) {
                problems.push(format!("operator {:?} appears twice", o.name));
            }
            if !is_number(&o.numbers) {
                problems.push(format!(
                    "operator {:?}: numbers {:?} is not '+' and digits",
                    o.name, o.numbers
                ));
            }
            for other in &self.operators[..i] {
                if o.numbers.starts_with(&other.numbers) || other.numbers.starts_with(&o.numbers) {
                    problems.push(format!(
                        "operators {:?} and {:?}: number ranges {} and {} overlap",
                        other.name, o.name, other.numbers, o.numbers
                    ));
                }
            }
            let p = o.ports;
            let used: Vec<u16> = [p.smsc, p.ppg, p.mmsc, p.proxy]
                .into_iter()
                .filter(|&x| x != 0)
                .collect();
            if used.iter().collect::<HashSet<_>>().len() != used.len() {
                problems.push(format!("operator {:?}: two parts on one port", o.name));
            }
            for ph in &o.phones {
                let ok_name = !ph.name.is_empty()
                    && ph
                        .name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !ok_name {
                    problems.push(format!(
                        "phone {:?}: name must be letters, digits, '-' or '_'",
                        ph.name
                    ));
                }
                if !phone_names.insert(ph.name.as_str()) {
                    problems.push(format!("phone name {:?} appears twice", ph.name));
                }
                if !is_number(&ph.msisdn) {
                    problems.push(format!(
                        "phone {:?}: msisdn {:?} is not '+' and digits",
                        ph.name, ph.msisdn
                    ));
                } else if !ph.msisdn.starts_with(&o.numbers) {
                    problems.push(format!(
                        "phone {:?}: {} is outside {:?}'s range {}",
                        ph.name, ph.msisdn, o.name, o.numbers
                    ));
                }
                if !numbers.insert(ph.msisdn.as_str()) {
                    problems.push(format!("number {} appears twice", ph.msisdn));
                }
            }
        }
        let mut seen_ports = HashSet::new();
        for o in &self.operators {
            let p = o.ports;
            for port in [p.smsc, p.ppg, p.mmsc, p.proxy]
                .into_iter()
                .filter(|&x| x != 0)
            {
                if !seen_ports.insert(port) {
                    problems.push(format!("port {port} is used twice"));
                }
            }
        }
        for o in &self.operators {
            for p in &o.peers {
                match self.operators.iter().find(|x| &x.name == p) {
                    None => problems.push(format!(
                        "operator {:?}: peer {p:?} is no operator of this network",
                        o.name
                    )),
                    Some(x) if x.name == o.name => {
                        problems.push(format!("operator {:?} lists itself as a peer", o.name))
                    }
                    Some(x) if !x.peers.contains(&o.name) => problems.push(format!(
                        "operator {:?} lists {p:?} as a peer, but {p:?} does not list {:?}",
                        o.name, o.name
                    )),
                    Some(_) => {}
                }
            }
        }
        if self.tuning.notify_retry_secs.is_empty() || self.tuning.sms_retry_secs.is_empty() {
            problems.push("tuning: retry lists must not be empty".to_owned());
        }
        if self.tuning.notify_concurrency == 0 {
            problems.push("tuning.notify_concurrency must be at least 1".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("{}", problems.join("; "))
        }
    }

    /// The operator owning `msisdn` (longest range first).
    pub fn operator_of(&self, msisdn: &str) -> Option<&OperatorConfig> {
        self.operators
            .iter()
            .filter(|o| msisdn.starts_with(&o.numbers))
            .max_by_key(|o| o.numbers.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_parses() {
        let c = NetworkConfig::from_toml(EXAMPLE).unwrap();
        assert_eq!(c.operators.len(), 2);
        for o in &c.operators {
            assert_eq!(o.phones.len(), 3);
            assert_eq!(
                o.phones
                    .iter()
                    .filter(|p| p.retrieval == RetrievalMode::Deferred)
                    .count(),
                1
            );
        }
        assert_eq!(c.operators[0].peers, ["beta"]);
        assert_eq!(c.operators[1].peers, ["alpha"]);
        let bad = format!("{EXAMPLE}\nbogus = 1\n");
        assert!(NetworkConfig::from_toml(&bad).is_err());
        let free = NetworkConfig::example_on_free_ports();
        assert!(free.operators.iter().all(|o| o.ports == Ports::default()));
    }

    #[test]
    fn problems_are_listed() {
        let text = r#"
[[operators]]
name = "a b"
numbers = "+1555"
[[operators.phones]]
name = "x"
msisdn = "+1666"
[[operators]]
name = "c"
numbers = "+15551"
[[operators.phones]]
name = "x"
msisdn = "+155510"
"#;
        let e = format!("{:#}", NetworkConfig::from_toml(text).unwrap_err());
        let one_sided = r#"
[[operators]]
name = "a"
numbers = "+1555"
peers = ["b", "zz"]
[[operators]]
name = "b"
numbers = "+1666"
"#;
        let e2 = format!("{:#}", NetworkConfig::from_toml(one_sided).unwrap_err());
        assert!(e2.contains("does not list"), "{e2}");
        assert!(e2.contains("no operator of this network"), "{e2}");
        for want in ["name must be", "overlap", "outside", "appears twice"] {
            assert!(e.contains(want), "{want}: {e}");
        }
    }
}

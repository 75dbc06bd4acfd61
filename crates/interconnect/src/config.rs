//! Configuration of the interconnect (a section of the MMSC's TOML file).
//!
//! ```toml
//! [listener]
//! listen = "0.0.0.0:25"
//! hostname = "mms.a.example"
//! local_domains = ["mms.a.example", "mail.a.example"]
//! max_message_size = 1048576
//! [[listener.peers]]
//! name = "operator-b"
//! addresses = ["192.0.2.0/24"]
//! sender_domains = ["mms.b.example"]
//!
//! [relay]          # MM3: outgoing e-mail
//! host = "smtp.a.example"
//! port = 587
//! tls = "starttls"
//! ```

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use serde::Deserialize;

fn default_max_message_size() -> usize {
    2 * 1024 * 1024
}
fn default_max_recipients() -> usize {
    100
}
fn default_idle_timeout() -> u64 {
    300
}
fn default_max_connections() -> usize {
    64
}
fn default_handler_timeout() -> u64 {
    60
}

/// The SMTP listener (MM4 from peers, MM3 e-mail from the relay).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerConfig {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Our host name (greeting, EHLO).
    pub hostname: String,
    /// Domains we accept mail for: our MM4 domain and our MM3 mail domain.
    /// Any other recipient domain is relaying and refused.
    pub local_domains: Vec<String>,
    /// Who may connect. A connection from any other address is refused.
    pub peers: Vec<PeerConfig>,
    /// Largest message, in octets (announced with SIZE, enforced while the
    /// data streams).
    #[serde(default = "default_max_message_size")]
    pub max_message_size: usize,
    /// Most recipients in one transaction.
    #[serde(default = "default_max_recipients")]
    pub max_recipients: usize,
    /// Seconds without a command or data before the connection is closed.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout_secs: u64,
    /// Seconds the handler may take for one message (then 451).
    #[serde(default = "default_handler_timeout")]
    pub handler_timeout_secs: u64,
    /// Connections served at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Certificate and key for STARTTLS; no STARTTLS without them.
    #[serde(default)]
    pub tls: Option<TlsFiles>,
}

/// A PEM certificate chain and private key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// Certificate chain (PEM).
    pub cert_file: PathBuf,
    /// Private key (PEM).
    pub key_file: PathBuf,
}

/// A peer allowed to connect: another operator's MMSC, or our own mail relay.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// A name for logs and for the handler.
    pub name: String,
    /// Addresses it connects from: IPs or CIDR blocks (`192.0.2.0/24`, `2001:db8::/32`).
    pub addresses: Vec<String>,
    /// Domains its MAIL FROM may use; empty means any (a mail relay).
    #[serde(default)]
    pub sender_domains: Vec<String>,
}

impl PeerConfig {
    /// True when `ip` is one of the peer's addresses.
    pub fn matches(&self, ip: IpAddr) -> bool {
        self.addresses.iter().any(|a| cidr_contains(a, ip))
    }
}

/// True when `ip` is inside `cidr` (an address, or address/prefix).
pub fn cidr_contains(cidr: &str, ip: IpAddr) -> bool {
    let (addr, len) = match cidr.split_once('/') {
        Some((a, l)) => (a, l.trim().parse::<u32>().ok()),
        None => (cidr, None),
    };
    let Ok(net) = addr.trim().parse::<IpAddr>() else {
        return false;
    };
    let ip = match (net, ip) {
        (IpAddr::V4(_), IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        _ => ip,
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let len = len.unwrap_or(32).min(32);
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let len = len.unwrap_or(128).min(128);
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

/// How the client secures a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// Plain SMTP.
    None,
    /// STARTTLS when the server offers it, plain otherwise.
    #[default]
    Opportunistic,
    /// STARTTLS required.
    Starttls,
    /// TLS from the first byte (port 465).
    Wrapper,
}

/// An SMTP server to send to: a peer MMSC (MM4) or the mail relay (MM3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// Host name or address.
    pub host: String,
    /// Port.
    #[serde(default = "default_port")]
    pub port: u16,
    /// TLS mode.
    #[serde(default)]
    pub tls: TlsMode,
    /// Extra CA certificate (PEM) to trust, e.g. a peer's private CA.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The name we give in EHLO.
    #[serde(default)]
    pub hello_name: Option<String>,
    /// User name for AUTH (relays).
    #[serde(default)]
    pub username: Option<String>,
    /// Password for AUTH.
    #[serde(default)]
    pub password: Option<String>,
    /// Seconds for each SMTP step.
    #[serde(default = "default_client_timeout")]
    pub timeout_secs: u64,
}

fn default_port() -> u16 {
    25
}
fn default_client_timeout() -> u64 {
    60
}

impl ClientConfig {
    /// A plain-SMTP client config for `host:port`.
    pub fn plain(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            tls: TlsMode::None,
            ca_file: None,
            hello_name: None,
            username: None,
            password: None,
            timeout_secs: default_client_timeout(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(cidr_contains("192.0.2.0/24", ip("192.0.2.77")));
        assert!(!cidr_contains("192.0.2.0/24", ip("192.0.3.1")));
        assert!(cidr_contains("127.0.0.1", ip("127.0.0.1")));
        assert!(!cidr_contains("127.0.0.1", ip("127.0.0.2")));
        assert!(cidr_contains("0.0.0.0/0", ip("10.1.2.3")));
        assert!(cidr_contains("2001:db8::/32", ip("2001:db8:1::5")));
        assert!(cidr_contains("127.0.0.0/8", ip("::ffff:127.0.0.9")));
        assert!(!cidr_contains("garbage", ip("127.0.0.1")));
    }

    #[test]
    fn parses() {
        let c: ListenerConfig = toml::from_str(
            r#"listen = "127.0.0.1:2525"
hostname = "mms.a.example"
local_domains = ["mms.a.example"]
[[peers]]
name = "b"
addresses = ["127.0.0.1"]
sender_domains = ["mms.b.example"]
"#,
        )
        .unwrap();
        assert_eq!(c.max_message_size, 2 * 1024 * 1024);
        assert_eq!(c.peers[0].name, "b");
        let r: ClientConfig =
            toml::from_str("host = \"smtp.a.example\"\ntls = \"starttls\"\n").unwrap();
        assert_eq!(r.tls, TlsMode::Starttls);
        assert_eq!(r.port, 25);
    }
}

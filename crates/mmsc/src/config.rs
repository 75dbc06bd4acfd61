//! The MMSC's configuration: one TOML file, overridable by environment
//! variables `FERRY_MMSC__SECTION__KEY` (see [`ferry_service::config`]).
//!
//! Every table is `deny_unknown_fields`: a misspelt key fails at start-up
//! with its name.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The prefix of environment overrides.
pub const ENV_PREFIX: &str = "FERRY_MMSC";

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where MM1 (and `/metrics`, `/healthz`) listens, e.g. `0.0.0.0:8080`.
    pub listen: SocketAddr,
    /// The server's own public base URL, as handsets reach it
    /// (`http://mmsc.example.net:8080`). Retrieval URLs are
    /// `{public_url}/m/{token}`.
    pub public_url: String,
    /// Directory of the durable store (`store.db` and `bodies/`).
    pub store_dir: PathBuf,
    /// Call detail records, as JSON lines, appended here. None: no CDRs.
    #[serde(default)]
    pub cdr_path: Option<PathBuf>,
    /// Who the subscriber is.
    #[serde(default)]
    pub identity: IdentityConfig,
    /// Size and recipient limits.
    #[serde(default)]
    pub limits: Limits,
    /// Expiry of messages.
    #[serde(default)]
    pub expiry: ExpiryConfig,
    /// Notification (M-Notification.ind) scheduling and content.
    #[serde(default)]
    pub notify: NotifyConfig,
    /// Delivery and read reports.
    #[serde(default)]
    pub reports: ReportsConfig,
    /// The push gateway.
    pub gateway: GatewayConfig,
    /// HTTPS on the MM1 listener: `[tls] cert = "…", key = "…"` (PEM files;
    /// rustls with ring). Absent: plain HTTP (behind a TLS-terminating
    /// proxy, or on a closed network).
    #[serde(default)]
    pub tls: Option<ferry_service::http::TlsFiles>,
    /// Timeouts and per-address connection limit of the MM1 listener.
    #[serde(default)]
    pub http: ferry_service::http::HttpLimits,
    /// Per-source rate limit and slow-down after failures ([`crate::guard`]).
    #[serde(default)]
    pub guard: crate::guard::GuardConfig,
    /// Sender-hosted retrieval between operators: how this server names
    /// itself to its peers, timeouts and retries (see [`crate::peer`]).
    #[serde(default)]
    pub peering: PeeringConfig,
    /// Peer operators' MMSCs (sender-hosted retrieval, `[[peers]]`).
    #[serde(default)]
    pub peers: Vec<PeerConfig>,
    /// The durable store's limits.
    #[serde(default)]
    pub store: StoreConfig,
    /// Recipient routing: our number ranges, other operators, number
    /// portability (see docs/INTERCONNECT.md). None: every number is ours.
    #[serde(default)]
    pub routing: Option<ferry_interconnect::RoutingConfig>,
    /// MM4 to other operators' MMSCs.
    #[serde(default)]
    pub mm4: Option<crate::interconnect::Mm4Config>,
    /// MM3: e-mail recipients, through the mail relay.
    #[serde(default)]
    pub mm3: Option<crate::interconnect::Mm3Config>,
    /// The SMTP listener: MM4 from peer MMSCs, e-mail for our subscribers.
    #[serde(default)]
    pub smtp: Option<ferry_interconnect::ListenerConfig>,
}

/// `[store]`: limits of the durable store.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Octets of free space kept on the store's file system: an M-Send.req
    /// (or M-Forward.req) that would leave less is refused with
    /// Error-transient-failure, "storage full, try again later", before the
    /// disk is actually full. 0 (the default): only a real ENOSPC /
    /// SQLITE_FULL refuses.
    #[serde(default)]
    pub min_free_bytes: u64,
    /// Message bodies of at most this many octets are kept inside the
    /// SQLite database, written in the same commit as the message; larger
    /// ones are files under `store_dir/bodies/`. 0: every body a file.
    #[serde(default = "default_inline_body_max")]
    pub inline_body_max: usize,
}

fn default_inline_body_max() -> usize {
    ferry_store::sqlite::DEFAULT_INLINE_BODY_MAX
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            min_free_bytes: 0,
            inline_body_max: default_inline_body_max(),
        }
    }
}

/// How the subscriber behind a request is identified.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// The HTTP header a trusted proxy (WAP gateway, GGSN/PGW proxy) puts
    /// the MSISDN in.
    #[serde(default = "default_msisdn_header")]
    pub msisdn_header: String,
    /// Peers whose MSISDN header is believed: addresses (`10.0.0.5`) or
    /// networks (`10.0.0.0/8`, `::1/128`). Empty: the header is never
    /// believed.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Accept HTTP Basic credentials from the subscriber table.
    #[serde(default = "yes")]
    pub basic_auth: bool,
    /// Senders must be in the subscriber table (recommended). When false, a
    /// subscriber identified by the network header but absent from the
    /// table may send with default limits.
    #[serde(default = "yes")]
    pub require_subscriber: bool,
    /// How long (milliseconds) a subscriber looked up by the network
    /// header is remembered: a busy MMSC then reads the subscriber table
    /// once per subscriber and period instead of on every request. Changes
    /// made by this MMSC apply at once; `ferry mmsc subscriber add|remove`
    /// run beside it applies within this time. 0: read on every request.
    #[serde(default = "default_subscriber_cache_ms")]
    pub subscriber_cache_ms: u64,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            msisdn_header: default_msisdn_header(),
            trusted_proxies: Vec::new(),
            basic_auth: true,
            require_subscriber: true,
            subscriber_cache_ms: default_subscriber_cache_ms(),
        }
    }
}

/// Limits on submissions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// The largest M-Send.req accepted, octets (a subscriber's own limit may
    /// be lower).
    #[serde(default = "default_max_message_size")]
    pub max_message_size: u64,
    /// The most recipients (To + Cc + Bcc) of one message.
    #[serde(default = "default_max_recipients")]
    pub max_recipients: usize,
    /// Of a request over the size limit, this many octets are still read
    /// (and discarded) so that the client can read the M-Send.conf; past
    /// it, the connection is closed after the answer.
    #[serde(default = "default_drain")]
    pub drain_limit: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_size: default_max_message_size(),
            max_recipients: default_max_recipients(),
            drain_limit: default_drain(),
        }
    }
}

/// Message expiry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiryConfig {
    /// Expiry when the sender asks none, seconds.
    #[serde(default = "default_expiry")]
    pub default_secs: u64,
    /// The longest expiry granted, seconds (a longer request is cut down).
    #[serde(default = "default_max_expiry")]
    pub max_secs: u64,
    /// How often expiry and body collection run, seconds.
    #[serde(default = "default_sweep")]
    pub sweep_secs: u64,
    /// Rows of messages whose body is gone are purged after this many
    /// seconds (and finished reports too). 0: never purge.
    #[serde(default = "default_retention")]
    pub retention_secs: u64,
}

impl Default for ExpiryConfig {
    fn default() -> Self {
        Self {
            default_secs: default_expiry(),
            max_secs: default_max_expiry(),
            sweep_secs: default_sweep(),
            retention_secs: default_retention(),
        }
    }
}

/// Notification scheduling.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// Delays before each re-notification, seconds; the last one repeats
    /// until the recipient answers or the message expires.
    #[serde(default = "default_retry")]
    pub retry_secs: Vec<u64>,
    /// Give up (state `failed`) after this many attempts. 0: never.
    #[serde(default)]
    pub max_attempts: u32,
    /// Put From and Subject in M-Notification.ind. False keeps the
    /// notification small enough for one SMS.
    #[serde(default = "yes")]
    pub include_from_subject: bool,
    /// How long a claimed notification is leased, seconds (after a crash, it
    /// is sent again once the lease runs out).
    #[serde(default = "default_lease")]
    pub lease_secs: u64,
    /// How often the queue is polled when nothing wakes it, milliseconds.
    #[serde(default = "default_poll_ms")]
    pub poll_ms: u64,
    /// Pushes in flight at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            retry_secs: default_retry(),
            max_attempts: 0,
            include_from_subject: true,
            lease_secs: default_lease(),
            poll_ms: default_poll_ms(),
            concurrency: default_concurrency(),
        }
    }
}

impl NotifyConfig {
    /// The delay after attempt number `attempts` (1-based) failed or was
    /// sent without an answer.
    pub fn backoff(&self, attempts: u32) -> u64 {
        if self.retry_secs.is_empty() {
            return 300;
        }
        let i = (attempts.max(1) as usize - 1).min(self.retry_secs.len() - 1);
        self.retry_secs[i]
    }
}

/// Report delivery.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsConfig {
    /// Delays between attempts to push a report, seconds (last repeats).
    #[serde(default = "default_report_retry")]
    pub retry_secs: Vec<u64>,
    /// Give up on a report after this many attempts.
    #[serde(default = "default_report_attempts")]
    pub max_attempts: u32,
    /// A "retrieved" delivery report waits this long after the retrieval,
    /// seconds, so that the recipient's M-NotifyResp.ind / M-Acknowledge.ind
    /// (which may say Report-Allowed: No) arrives first.
    #[serde(default = "default_ack_grace")]
    pub ack_grace_secs: u64,
    /// How often the queue is polled, milliseconds.
    #[serde(default = "default_poll_ms")]
    pub poll_ms: u64,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        Self {
            retry_secs: default_report_retry(),
            max_attempts: default_report_attempts(),
            ack_grace_secs: default_ack_grace(),
            poll_ms: default_poll_ms(),
        }
    }
}

/// Which push gateway notifications and reports go through.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "lowercase")]
pub enum GatewayConfig {
    /// A PAP push gateway: Ferry's (`ferry ppg`) or Kannel's wapbox.
    Pap {
        /// The PAP URL, e.g. `http://127.0.0.1:8081/pap` or Kannel's
        /// `http://127.0.0.1:8080/cgi-bin/wap-push.cgi?username=U&password=P`.
        url: String,
        /// HTTP Basic user name, if the gateway wants one.
        #[serde(default)]
        username: Option<String>,
        /// HTTP Basic password.
        #[serde(default)]
        password: Option<String>,
        /// PAP DTD version of the control document: "2.0" (default) or "1.0".
        #[serde(default = "default_pap_version")]
        pap_version: String,
        /// The `@ppg` part of client addresses (`WAPPUSH=+1.../TYPE=PLMN@ppg`).
        #[serde(default = "default_ppg_host")]
        ppg_host: String,
        /// Request timeout, milliseconds.
        #[serde(default = "default_gateway_timeout")]
        timeout_ms: u64,
        /// For an `https://` URL: a PEM file of the CA certificates that
        /// may sign the gateway's certificate, trusted in addition to the
        /// system's roots (a private CA).
        #[serde(default)]
        ca_file: Option<PathBuf>,
    },
    /// Keep pushes in memory (tests, and a dry run): nothing is sent.
    Memory,
}

fn yes() -> bool {
    true
}
fn default_subscriber_cache_ms() -> u64 {
    2000
}
fn default_msisdn_header() -> String {
    "X-MSISDN".into()
}
fn default_max_message_size() -> u64 {
    300 * 1024
}
fn default_max_recipients() -> usize {
    20
}
fn default_drain() -> u64 {
    16 * 1024 * 1024
}
fn default_expiry() -> u64 {
    3 * 24 * 3600
}
fn default_max_expiry() -> u64 {
    7 * 24 * 3600
}
fn default_sweep() -> u64 {
    30
}
fn default_retention() -> u64 {
    7 * 24 * 3600
}
fn default_retry() -> Vec<u64> {
    vec![60, 300, 900, 3600]
}
fn default_lease() -> u64 {
    30
}
fn default_poll_ms() -> u64 {
    1000
}
fn default_concurrency() -> usize {
    32
}
fn default_report_retry() -> Vec<u64> {
    vec![30, 120, 600, 3600]
}
fn default_report_attempts() -> u32 {
    10
}
fn default_ack_grace() -> u64 {
    3
}
fn default_pap_version() -> String {
    "2.0".into()
}
fn default_ppg_host() -> String {
    "ppg".into()
}
fn default_gateway_timeout() -> u64 {
    10_000
}

impl Config {
    /// Reads `path` with environment overrides, and checks it.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let c: Config = ferry_service::config::load(path, ENV_PREFIX)?;
        c.check()
            .map_err(|e| anyhow::anyhow!("in configuration {}: {e}", path.display()))?;
        Ok(c)
    }

    /// Parses configuration text (no environment), and checks it.
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        let c: Config = ferry_service::config::from_str_with_env(text, ENV_PREFIX, Vec::new())?;
        c.check()?;
        Ok(c)
    }

    /// Checks values serde cannot.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.public_url.starts_with("http://") || self.public_url.starts_with("https://"),
            "public_url must start with http:// or https://, not {:?}",
            self.public_url
        );
        for p in &self.identity.trusted_proxies {
            parse_net(p).map_err(|e| anyhow::anyhow!("identity.trusted_proxies: {e}"))?;
        }
        anyhow::ensure!(
            self.limits.max_recipients > 0,
            "limits.max_recipients must be at least 1"
        );
        anyhow::ensure!(self.expiry.max_secs > 0, "expiry.max_secs must be positive");
        anyhow::ensure!(self.notify.concurrency > 0, "notify.concurrency must be at least 1");
        anyhow::ensure!(
            self.guard.requests_per_sec == 0 || self.guard.burst > 0,
            "guard.burst must be at least 1 when guard.requests_per_sec is set"
        );
        self.check_peers()?;
        if let GatewayConfig::Pap { pap_version, url, .. } = &self.gateway {
            anyhow::ensure!(
                pap_version == "2.0" || pap_version == "1.0",
                "gateway.pap_version must be \"2.0\" or \"1.0\", not {pap_version:?}"
            );
            anyhow::ensure!(
                url.starts_with("http://") || url.starts_with("https://"),
                "gateway.url must be an http(s) URL"
            );
        }
        crate::interconnect::check_config(self)?;
        Ok(())
    }

    /// The base of retrieval URLs, without a trailing slash.
    pub fn public_base(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    /// Poll interval of the notification queue.
    pub fn notify_poll(&self) -> Duration {
        Duration::from_millis(self.notify.poll_ms.max(10))
    }
}

/// A network: address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    /// True when `ip` is inside the network (IPv4-mapped IPv6 addresses
    /// count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(self.prefix))
                };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(self.prefix))
                };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Parses `10.0.0.1` or `10.0.0.0/8`.
pub fn parse_net(s: &str) -> Result<Net, String> {
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let addr: IpAddr = a
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not an IP address or network"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match p {
        None => max,
        Some(p) => p
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|&p| p <= max)
            .ok_or_else(|| format!("{s:?}: bad prefix length"))?,
    };
    Ok(Net { addr, prefix })
}

/// Sender-hosted retrieval: this server's side of every peering.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeeringConfig {
    /// The name this server gives in its signed requests to peers (each
    /// peer lists this server under this name). Required when `[[peers]]`
    /// is not empty.
    #[serde(default)]
    pub name: Option<String>,
    /// Timeout of one request to a peer MMSC, milliseconds.
    #[serde(default = "default_peer_timeout")]
    pub timeout_ms: u64,
    /// The largest M-Retrieve.conf fetched from a peer, octets.
    #[serde(default = "default_peer_max")]
    pub max_message_size: u64,
    /// Delays between attempts to relay an outcome (M-NotifyResp.ind,
    /// M-Acknowledge.ind, M-Read-Rec.ind) to a peer, seconds; the last
    /// repeats.
    #[serde(default = "default_relay_retry")]
    pub relay_retry_secs: Vec<u64>,
    /// Give up relaying an outcome after this many attempts.
    #[serde(default = "default_relay_attempts")]
    pub relay_max_attempts: u32,
    /// Copies of messages fetched from peers (and outcomes waiting for the
    /// fetch that names their peer) are kept this long, seconds.
    #[serde(default = "default_keep_copies")]
    pub keep_secs: u64,
    /// A signed request is accepted when its timestamp is within this many
    /// seconds of the local clock.
    #[serde(default = "default_clock_skew")]
    pub max_clock_skew_secs: u64,
    /// Other base URLs that are this server (besides `public_url` and
    /// `listen`), e.g. the internal name a WAP gateway uses in proxy-form
    /// requests. A proxy-form request naming any other server is fetched
    /// from a peer, or refused.
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl Default for PeeringConfig {
    fn default() -> Self {
        Self {
            name: None,
            timeout_ms: default_peer_timeout(),
            max_message_size: default_peer_max(),
            relay_retry_secs: default_relay_retry(),
            relay_max_attempts: default_relay_attempts(),
            keep_secs: default_keep_copies(),
            max_clock_skew_secs: default_clock_skew(),
            aliases: Vec::new(),
        }
    }
}

/// One peer operator's MMSC.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// The peer's name: what it says in its signed requests to this server
    /// (its own `peering.name`).
    pub name: String,
    /// The peer MMSC's public URL (its `public_url`): retrieval URLs under
    /// it are fetched from it for this server's subscribers, and outcomes
    /// are POSTed to it.
    pub url: String,
    /// The peer's number ranges (prefixes, `+1555020`): the peer may fetch
    /// only messages to numbers in them.
    pub ranges: Vec<String>,
    /// The shared secret (HMAC-SHA256 key) of this peering, as text.
    #[serde(default)]
    pub secret: Option<String>,
    /// Or: the environment variable holding it.
    #[serde(default)]
    pub secret_env: Option<String>,
}

impl PeerConfig {
    /// The shared secret: `secret`, or the variable `secret_env` names.
    pub fn secret_value(&self) -> anyhow::Result<String> {
        match (&self.secret, &self.secret_env) {
            (Some(s), None) => Ok(s.clone()),
            (None, Some(v)) => std::env::var(v)
                .map_err(|_| anyhow::anyhow!("peer {:?}: environment variable {v} (secret_env) is not set", self.name)),
            _ => anyhow::bail!("peer {:?}: give exactly one of secret and secret_env", self.name),
        }
    }
}

fn default_peer_timeout() -> u64 {
    10_000
}
fn default_peer_max() -> u64 {
    2 * 1024 * 1024
}
fn default_relay_retry() -> Vec<u64> {
    vec![2, 10, 60, 300, 3600]
}
fn default_relay_attempts() -> u32 {
    50
}
fn default_keep_copies() -> u64 {
    7 * 24 * 3600
}
fn default_clock_skew() -> u64 {
    300
}

impl Config {
    /// Checks the `[peering]` and `[[peers]]` sections.
    pub fn check_peers(&self) -> anyhow::Result<()> {
        if self.peers.is_empty() {
            return Ok(());
        }
        anyhow::ensure!(
            self.peering.name.as_deref().is_some_and(|n| !n.trim().is_empty()),
            "peering.name is required when [[peers]] are configured"
        );
        let mut names = std::collections::HashSet::new();
        for p in &self.peers {
            anyhow::ensure!(!p.name.trim().is_empty(), "a [[peers]] entry has an empty name");
            anyhow::ensure!(names.insert(p.name.as_str()), "peer {:?} appears twice", p.name);
            anyhow::ensure!(
                p.url.starts_with("http://") || p.url.starts_with("https://"),
                "peer {:?}: url must start with http:// or https://, not {:?}",
                p.name,
                p.url
            );
            anyhow::ensure!(!p.ranges.is_empty(), "peer {:?}: ranges is empty", p.name);
            for r in &p.ranges {
                let d = r.strip_prefix('+').unwrap_or(r);
                anyhow::ensure!(
                    !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()),
                    "peer {:?}: range {r:?} is not '+' and digits",
                    p.name
                );
            }
            let secret = p.secret_value()?;
            anyhow::ensure!(
                secret.len() >= 16,
                "peer {:?}: the shared secret must be at least 16 characters",
                p.name
            );
        }
        anyhow::ensure!(
            !self.peering.relay_retry_secs.is_empty(),
            "peering.relay_retry_secs must not be empty"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nets() {
        let n = parse_net("10.0.0.0/8").unwrap();
        assert!(n.contains("10.1.2.3".parse().unwrap()));
        assert!(!n.contains("11.1.2.3".parse().unwrap()));
        assert!(n.contains("::ffff:10.0.0.1".parse().unwrap()));
        assert!(parse_net("127.0.0.1").unwrap().contains("127.0.0.1".parse().unwrap()));
        assert!(!parse_net("127.0.0.1").unwrap().contains("127.0.0.2".parse().unwrap()));
        assert!(parse_net("::1/128").unwrap().contains("::1".parse().unwrap()));
        assert!(parse_net("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        assert!(parse_net("10.0.0.0/33").is_err());
        assert!(parse_net("bogus").is_err());
    }

    #[test]
    fn parses_example_and_rejects_unknown_keys() {
        let text = include_str!("../../../examples/mmsc.toml");
        let c = Config::from_toml(text).unwrap();
        assert_eq!(c.identity.msisdn_header, "X-MSISDN");
        assert!(matches!(c.gateway, GatewayConfig::Pap { .. }));
        let bad = format!("{text}\n[bogus]\nx = 1\n");
        assert!(format!("{:#}", Config::from_toml(&bad).unwrap_err()).contains("bogus"));
    }

    #[test]
    fn backoff_repeats_last() {
        let n = NotifyConfig {
            retry_secs: vec![1, 5],
            ..NotifyConfig::default()
        };
        assert_eq!((n.backoff(1), n.backoff(2), n.backoff(9)), (1, 5, 5));
    }
}

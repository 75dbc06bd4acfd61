//! `ferry faults`: the fault test. Runs an operator's SMSC, push gateway and
//! MMSC as **separate child processes** of the `ferry` binary (durable SQLite
//! stores in a temporary directory), drives them with the virtual phones of
//! [`crate::fleet`] at a steady rate, and at random moments (seeded RNG)
//! SIGKILLs one of the servers and starts it again after a short pause. At
//! the end it waits for quiescence and checks that every message whose
//! M-Send.conf said Ok reached its recipient's inbox exactly once and byte
//! for byte, or that a delivery report says why not.
//!
//! What each layer guarantees, and so what "exactly once" means here:
//!
//! - The MMSC stores a message once per M-Send.req it answers Ok (it answers
//!   after the durable commit). An M-Send.req whose answer was lost (the
//!   MMSC died after the commit) has an unknown outcome; the phones here
//!   send such a request again only when the connection was refused (it
//!   never reached the MMSC), because MMS has no idempotency key for
//!   M-Send.req. Such messages are counted apart ("outcome unknown").
//! - Notifications are at least once: the MMSC notifies again until the
//!   recipient answers, the push gateway pushes again until the SMSC
//!   accepted, the SMSC delivers again until the phone acknowledged. A phone
//!   may get the same M-Notification.ind (same transaction id) twice.
//! - The phone stores a message once: it fetches a transaction id once and
//!   keys its inbox by Message-ID, and answers a repeated notification of a
//!   message it already has with M-NotifyResp.ind Retrieved (so the MMSC
//!   stops) without storing it again. A *duplicate* in the report is a
//!   message that reached one inbox under two Message-IDs or that the phone
//!   had to drop as a second copy of a Message-ID it already stored: the
//!   servers delivered it twice as different messages.
//!
//! With a cross-operator share ([`FaultOptions::cross`], default 25 %) a
//! second operator runs too: its own SMSC, push gateway and MMSC (op1, the
//! *peer*), each MMSC with an SMTP listener on loopback and the other as its
//! MM4 peer (`[routing]` method `mm4`, `[mm4]`, `[smtp]` with
//! `[[smtp.peers]]`). That share of the messages goes from the first
//! operator's phones to the peer's phones: stored by op0's MMSC, forwarded
//! over MM4 (retried until 250), stored again by op1's MMSC under the same
//! Message-ID (a repeated forward is recognised), notified and fetched
//! there; the delivery report comes back over MM4. The servers are
//! addressed by [`ServerId`] (operator, role); the peer's MMSC is in the
//! default kill schedule, and the same end check covers its recipients.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use ferry_handset::compose::compose;
use ferry_handset::esme_link::EsmeLink;
use ferry_handset::sms::SmsInbox;
use ferry_handset::{Attachment, Draft};
use ferry_mms::{Body, MessageType, Pdu, ResponseStatus, Status};
use ferry_service::Shutdown;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

use crate::fleet::{self, Mm1, Mm1Error};
use crate::network::{PHONE_PASSWORD, PHONE_SYSTEM_ID};

/// A server's role in an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// `ferry smsc`.
    Smsc,
    /// `ferry ppg serve`.
    Ppg,
    /// `ferry mmsc`.
    Mmsc,
}

impl Role {
    /// Its name on the command line and in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Smsc => "smsc",
            Role::Ppg => "ppg",
            Role::Mmsc => "mmsc",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "smsc" => Role::Smsc,
            "ppg" => Role::Ppg,
            "mmsc" => Role::Mmsc,
            other => bail!("{other:?} is no server role (smsc, ppg, mmsc)"),
        })
    }
}

/// One server process: the operator it belongs to and its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerId {
    /// Index of the operator.
    pub operator: usize,
    /// What it is.
    pub role: Role,
}

impl ServerId {
    /// Operator `operator`'s server `role`.
    pub fn new(operator: usize, role: Role) -> Self {
        Self { operator, role }
    }
}

/// `smsc`, `ppg`, `mmsc` (the first operator's), `peer-mmsc` (and
/// `peer-smsc`, `peer-ppg`: the second operator's), or `opN-ROLE`.
impl std::str::FromStr for ServerId {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        if let Some(r) = s.strip_prefix("peer-") {
            return Ok(Self::new(1, r.parse()?));
        }
        if let Some(rest) = s.strip_prefix("op")
            && let Some((n, r)) = rest.split_once('-')
        {
            let operator = n
                .parse()
                .with_context(|| format!("{s:?}: {n:?} is no operator number"))?;
            return Ok(Self::new(operator, r.parse()?));
        }
        Ok(Self::new(0, s.parse()?))
    }
}

impl std::fmt::Display for ServerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "op{}-{}", self.operator, self.role.as_str())
    }
}

/// A planned outage: which server goes down, when, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    /// The server.
    pub server: ServerId,
    /// After this long into the run.
    pub at: Duration,
    /// Down for this long.
    pub down_for: Duration,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct FaultOptions {
    /// The `ferry` binary that runs the servers.
    pub ferry: PathBuf,
    /// Virtual phones.
    pub phones: usize,
    /// Messages per second offered.
    pub rate: f64,
    /// How long messages are sent (and servers killed).
    pub duration: Duration,
    /// Octets of each message's attachment.
    pub size: usize,
    /// Seed of the random kills (printed, so a run can be repeated).
    pub seed: u64,
    /// The servers that are killed at random.
    pub targets: Vec<ServerId>,
    /// Percentage of the messages sent from the first operator's phones to
    /// the second operator's (over MM4 between the two MMSCs); 0: the second
    /// operator is not run.
    pub cross: f64,
    /// Virtual phones of the second operator.
    pub peer_phones: usize,
    /// Time between one restart and the next kill: drawn from this range.
    pub kill_every: (Duration, Duration),
    /// Time a killed server stays down: drawn from this range.
    pub down_for: (Duration, Duration),
    /// Planned outages (links that go away), in addition to the random kills.
    pub outages: Vec<Outage>,
    /// After sending stops, give up waiting for the last deliveries when
    /// nothing has progressed for this long.
    pub settle: Duration,
    /// Keep the servers' data and logs here (default: a temporary
    /// directory, removed afterwards).
    pub data_dir: Option<PathBuf>,
}

impl FaultOptions {
    /// Defaults for the `ferry` binary at `ferry`.
    pub fn new(ferry: PathBuf) -> Self {
        Self {
            ferry,
            phones: 20,
            rate: 10.0,
            duration: Duration::from_secs(60),
            size: 4096,
            seed: rand::random::<u32>() as u64,
            targets: vec![
                ServerId::new(0, Role::Smsc),
                ServerId::new(0, Role::Ppg),
                ServerId::new(0, Role::Mmsc),
                ServerId::new(1, Role::Mmsc),
            ],
            cross: 25.0,
            peer_phones: 5,
            kill_every: (Duration::from_secs(2), Duration::from_secs(6)),
            down_for: (Duration::from_millis(200), Duration::from_secs(2)),
            outages: Vec::new(),
            settle: Duration::from_secs(60),
            data_dir: None,
        }
    }
}

/// What a run found.
#[derive(Debug, Clone, Default)]
pub struct FaultReport {
    /// The seed.
    pub seed: u64,
    /// Messages whose M-Send.conf said Ok.
    pub sent: u64,
    /// Of those, to the second operator's phones (over MM4).
    pub cross_sent: u64,
    /// Of those, delivered exactly once, byte for byte.
    pub cross_delivered: u64,
    /// Delivered messages whose sender got a delivery report Retrieved
    /// (local, cross-operator over MM4).
    pub reports_retrieved: (u64, u64),
    /// Delivered exactly once, byte for byte.
    pub delivered: u64,
    /// Not delivered, but a delivery report says why (status other than
    /// Retrieved).
    pub reported: u64,
    /// Ok, never delivered, no delivery report: lost.
    pub lost: u64,
    /// Stored twice in the recipient's inbox (two Message-IDs), or a second
    /// copy of a stored Message-ID.
    pub duplicates: u64,
    /// Delivered but not byte for byte.
    pub corrupted: u64,
    /// Delivered to a phone that was not its recipient.
    pub misdelivered: u64,
    /// M-Send.req whose answer never came (the MMSC died with it in hand).
    pub unknown_outcome: u64,
    /// Of those, delivered all the same (stored before the MMSC died).
    pub unknown_delivered: u64,
    /// M-Send.req refused (M-Send.conf error, HTTP error) after retries.
    pub refused: u64,
    /// M-Send.req sent again after a refused connection or a transient error.
    pub send_retries: u64,
    /// Repeated notifications the phones recognised (same transaction id).
    pub repeated_notifications: u64,
    /// Retrievals and answers sent again after a failure.
    pub phone_retries: u64,
    /// SMPP binds of the phones after the first (rebinds after a lost session).
    pub rebinds: u64,
    /// Kills per server.
    pub kills: Vec<(ServerId, u64)>,
    /// Largest backlog seen on a server's `/metrics` while another was down:
    /// (what, gauge, value).
    pub backlogs: Vec<(String, String, f64)>,
    /// Seconds of the sending phase and of the wait for quiescence.
    pub sending_secs: f64,
    /// Seconds waited for the last deliveries.
    pub settle_secs: f64,
    /// The options it ran with (phones, rate, ...).
    pub phones: usize,
    /// Messages per second offered.
    pub rate: f64,
    /// Where the data and logs were.
    pub data_dir: PathBuf,
}

impl FaultReport {
    /// Lost, duplicated, corrupted or misdelivered messages: the run failed.
    pub fn failed(&self) -> bool {
        self.lost > 0 || self.duplicates > 0 || self.corrupted > 0 || self.misdelivered > 0
    }
    /// Kills in all.
    pub fn kills_total(&self) -> u64 {
        self.kills.iter().map(|(_, n)| n).sum()
    }
}

impl std::fmt::Display for FaultReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "ferry faults: seed {}, {} phones, {} messages/s for {:.0} s, then {:.1} s to settle",
            self.seed, self.phones, self.rate, self.sending_secs, self.settle_secs
        )?;
        let kills: Vec<String> = self.kills.iter().map(|(s, n)| format!("{s} {n}")).collect();
        writeln!(
            f,
            "kills survived: {} ({})",
            self.kills_total(),
            kills.join(", ")
        )?;
        for (what, gauge, v) in &self.backlogs {
            writeln!(f, "backlog while {what}: {gauge} peaked at {v}")?;
        }
        writeln!(
            f,
            "messages sent (M-Send.conf Ok): {}; delivered exactly once: {}; not delivered with a delivery report: {}",
            self.sent, self.delivered, self.reported
        )?;
        writeln!(
            f,
            "to the peer operator over MM4: {} sent, {} delivered exactly once; delivery reports Retrieved: {} local, {} over MM4",
            self.cross_sent,
            self.cross_delivered,
            self.reports_retrieved.0,
            self.reports_retrieved.1
        )?;
        writeln!(
            f,
            "M-Send.req without answer: {} ({} of them delivered anyway); refused: {}; re-sent: {}",
            self.unknown_outcome, self.unknown_delivered, self.refused, self.send_retries
        )?;
        writeln!(
            f,
            "repeated notifications recognised: {}; phone retries: {}; phone rebinds: {}",
            self.repeated_notifications, self.phone_retries, self.rebinds
        )?;
        write!(
            f,
            "LOST {}  DUPLICATES {}  corrupted {}  misdelivered {}",
            self.lost, self.duplicates, self.corrupted, self.misdelivered
        )
    }
}

// ---------------------------------------------------------------------------
// The server processes

/// One child process of the `ferry` binary.
#[derive(Debug)]
struct Server {
    id: ServerId,
    args: Vec<String>,
    /// The port that answers when it is up.
    ready: SocketAddr,
    log: PathBuf,
    child: Option<tokio::process::Child>,
    kills: u64,
}

impl Server {
    async fn start(&mut self, ferry: &Path) -> Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("opening {}", self.log.display()))?;
        let err = log.try_clone()?;
        let child = tokio::process::Command::new(ferry)
            .args(&self.args)
            .env(
                "RUST_LOG",
                std::env::var("FERRY_FAULTS_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {} ({})", self.id, ferry.display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if tokio::net::TcpStream::connect(self.ready).await.is_ok() {
                return Ok(());
            }
            if let Some(c) = &mut self.child
                && let Some(st) = c.try_wait()?
            {
                bail!(
                    "{} exited at start ({st}); see {}{}",
                    self.id,
                    self.log.display(),
                    log_tail(&self.log)
                );
            }
            ensure!(
                Instant::now() < deadline,
                "{} did not listen on {} within 30 s; see {}",
                self.id,
                self.ready,
                self.log.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL, and reap.
    async fn kill(&mut self) -> Result<()> {
        if let Some(mut c) = self.child.take() {
            c.start_kill()
                .with_context(|| format!("killing {}", self.id))?;
            c.wait().await?;
            self.kills += 1;
        }
        Ok(())
    }

    /// Checks it is still running (a server that exits by itself is a bug).
    fn check_alive(&mut self) -> Result<()> {
        if let Some(c) = &mut self.child
            && let Some(st) = c.try_wait()?
        {
            bail!(
                "{} exited by itself ({st}); see {}{}",
                self.id,
                self.log.display(),
                log_tail(&self.log)
            );
        }
        Ok(())
    }
}

/// The last lines of a server's log, for an error message: the log itself
/// goes away with the temporary directory.
fn log_tail(log: &Path) -> String {
    let Ok(text) = std::fs::read_to_string(log) else {
        return String::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(30);
    format!("; its last lines:\n{}", lines[from..].join("\n"))
}

fn free_port() -> Result<u16> {
    Ok(ferry_service::ports::free_port()?)
}

const PPG_USER: &str = "ppg";
const PPG_PASSWORD: &str = "ppgpass";
const PAP_USER: &str = "mmsc";
const PAP_PASSWORD: &str = "pappass";

/// The addresses of one operator's servers.
#[derive(Debug, Clone)]
struct OperatorPlan {
    /// `op0`, `op1`: also the MM4 domain `mms.{name}.faults`.
    name: String,
    numbers: String,
    /// The MMSC's SMTP listener (MM4 from the other operator).
    smtp: SocketAddr,
    smsc: SocketAddr,
    smsc_admin: SocketAddr,
    ppg: SocketAddr,
    mmsc: SocketAddr,
}

impl OperatorPlan {
    fn new(name: &str, numbers: &str) -> Result<Self> {
        let a = |p| SocketAddr::from(([127, 0, 0, 1], p));
        Ok(Self {
            name: name.to_owned(),
            numbers: numbers.to_owned(),
            smtp: a(free_port()?),
            smsc: a(free_port()?),
            smsc_admin: a(free_port()?),
            ppg: a(free_port()?),
            mmsc: a(free_port()?),
        })
    }

    fn digits(&self) -> &str {
        self.numbers.trim_start_matches('+')
    }

    fn domain(&self) -> String {
        format!("mms.{}.faults", self.name)
    }

    /// The MMSC's `[routing]`, `[mm4]`, `[smtp]` sections: every other
    /// operator is reached over MM4 (SMTP to its listener on loopback) and
    /// may send to ours. Empty with one operator.
    fn interconnect(&self, all: &[OperatorPlan]) -> String {
        let others: Vec<&OperatorPlan> = all.iter().filter(|o| o.name != self.name).collect();
        if others.is_empty() {
            return String::new();
        }
        let mut t = format!(
            "[routing]\ncountry_code = \"47\"\nown_ranges = [\"{own}\"]\nlocal_domains = [\"{d}\"]\n",
            own = self.numbers,
            d = self.domain(),
        );
        for o in &others {
            let _ = write!(
                t,
                "[[routing.operators]]\nname = \"{n}\"\nranges = [\"{r}\"]\nmmsc_url = \"smtp://{a}\"\nmethod = \"mm4\"\nmm4_domain = \"{d}\"\n",
                n = o.name,
                r = o.numbers,
                a = o.smtp,
                d = o.domain(),
            );
        }
        let _ = write!(
            t,
            "[mm4]\ndomain = \"{d}\"\ntls = \"none\"\ntimeout_secs = 5\nretry_secs = [1, 1, 2]\nmax_attempts = 0\npoll_ms = 100\nlease_secs = 10\n\
             [smtp]\nlisten = \"{l}\"\nhostname = \"{d}\"\nlocal_domains = [\"{d}\"]\n",
            d = self.domain(),
            l = self.smtp,
        );
        for o in &others {
            let _ = write!(
                t,
                "[[smtp.peers]]\nname = \"{n}\"\naddresses = [\"127.0.0.1\"]\nsender_domains = [\"{d}\"]\n",
                n = o.name,
                d = o.domain(),
            );
        }
        t
    }

    /// Writes the three configuration files into `dir` and returns the
    /// servers (not started).
    fn servers(&self, index: usize, dir: &Path, all: &[OperatorPlan]) -> Result<Vec<Server>> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let q = |p: &Path| toml::Value::String(p.display().to_string()).to_string();
        let smsc = format!(
            r#"listen = "{smsc}"
admin = "{admin}"
system_id = "ferry"
store = {store}
[[accounts]]
system_id = "{PPG_USER}"
password = "{PPG_PASSWORD}"
role = "gateway"
[[accounts]]
system_id = "{PHONE_SYSTEM_ID}"
password = "{PHONE_PASSWORD}"
role = "handset"
prefixes = ["{digits}"]
[delivery]
retry_seconds = [1, 1, 2]
response_timeout_seconds = 5
[limits]
enquire_link_seconds = 5
"#,
            smsc = self.smsc,
            admin = self.smsc_admin,
            store = q(&dir.join("smsc.sqlite")),
            digits = self.digits(),
        );
        let ppg = format!(
            r#"listen = "{ppg}"
database = {db}
sender_name = "Ferry PPG (faults)"
[[initiators]]
name = "{PAP_USER}"
username = "{PAP_USER}"
password = "{PAP_PASSWORD}"
[[links]]
name = "smsc"
address = "{smsc}"
system_id = "{PPG_USER}"
password = "{PPG_PASSWORD}"
source_addr = "9200"
prefixes = ["{numbers}"]
window = 64
receipts = true
[delivery]
require_link = false
retry_initial_ms = 200
retry_max_ms = 2000
max_attempts = 1000
"#,
            ppg = self.ppg,
            db = q(&dir.join("ppg.sqlite")),
            smsc = self.smsc,
            numbers = self.numbers,
        );
        let mmsc = format!(
            r#"listen = "{mmsc}"
public_url = "http://{mmsc}"
store_dir = {store}
cdr_path = {cdr}
[identity]
msisdn_header = "X-MSISDN"
trusted_proxies = ["127.0.0.1"]
require_subscriber = false
[expiry]
sweep_secs = 1
[notify]
retry_secs = [2, 3, 5]
poll_ms = 100
lease_secs = 10
[reports]
retry_secs = [1, 2, 5]
ack_grace_secs = 0
poll_ms = 100
[gateway]
kind = "pap"
url = "http://{ppg}/pap"
username = "{PAP_USER}"
password = "{PAP_PASSWORD}"
timeout_ms = 5000
{interconnect}"#,
            interconnect = self.interconnect(all),
            mmsc = self.mmsc,
            ppg = self.ppg,
            store = q(&dir.join("mmsc")),
            cdr = q(&dir.join("mmsc-cdr.jsonl")),
        );
        let mut out = Vec::new();
        for (role, text, args, ready) in [
            (Role::Smsc, smsc, vec!["smsc", "--config"], self.smsc),
            (Role::Ppg, ppg, vec!["ppg", "serve", "--config"], self.ppg),
            (Role::Mmsc, mmsc, vec!["mmsc", "--config"], self.mmsc),
        ] {
            let file = dir.join(format!("{}.toml", role.as_str()));
            std::fs::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
            let mut args: Vec<String> = args.into_iter().map(str::to_owned).collect();
            args.push(file.display().to_string());
            out.push(Server {
                id: ServerId {
                    operator: index,
                    role,
                },
                args,
                ready,
                log: dir.join(format!("{}.log", role.as_str())),
                child: None,
                kills: 0,
            });
        }
        Ok(out)
    }
}

/// Reads one gauge from a Prometheus text page: the sum over the series
/// whose name and labels start with `series`.
async fn scrape(http: &reqwest::Client, url: &str, series: &str) -> Option<f64> {
    let text = http.get(url).send().await.ok()?.text().await.ok()?;
    let mut sum = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(series)
            && (rest.starts_with(' ') || rest.starts_with('{') || series.ends_with('}'))
        {
            let v: f64 = rest.rsplit(' ').next()?.parse().ok()?;
            *sum.get_or_insert(0.0) += v;
        }
    }
    sum
}

/// The gauges that show a backlog: (server, URL, series). While a server is
/// down, those of the others are watched.
fn backlog_gauges(index: usize, plan: &OperatorPlan) -> Vec<(ServerId, String, &'static str)> {
    vec![
        (
            ServerId::new(index, Role::Smsc),
            format!("http://{}/metrics", plan.smsc_admin),
            "ferry_smsc_queue_depth",
        ),
        (
            ServerId::new(index, Role::Ppg),
            format!("http://{}/metrics", plan.ppg),
            "ppg_queue_depth",
        ),
        (
            ServerId::new(index, Role::Mmsc),
            format!("http://{}/metrics", plan.mmsc),
            "mmsc_recipients{state=\"pending\"}",
        ),
    ]
}

// ---------------------------------------------------------------------------
// The phones and the ledger

#[derive(Debug, Default)]
struct Ledger {
    /// seq → (sender, recipient, SHA-256 of the attachment).
    planned: HashMap<usize, (String, String, [u8; 32])>,
    /// Message-ID → seq, of Ok M-Send.conf.
    ok: HashMap<String, usize>,
    /// seqs whose M-Send.req got no answer.
    unknown: HashSet<usize>,
    /// Inboxes: (msisdn, Message-ID) → (seq, attachment ok).
    inbox: HashMap<(String, String), (usize, bool)>,
    /// Delivery reports: Message-ID → statuses.
    reports: HashMap<String, Vec<Status>>,
    /// Copies a phone dropped because it already had the Message-ID.
    second_copies: u64,
    /// Transaction ids whose message is in an inbox.
    stored_tids: HashSet<String>,
}

#[derive(Debug)]
struct Shared {
    /// MM1 to each operator's MMSC (a phone talks to its own).
    mm1: Vec<Mm1>,
    ledger: Mutex<Ledger>,
    refused: AtomicU64,
    send_retries: AtomicU64,
    repeated: AtomicU64,
    phone_retries: AtomicU64,
    rebinds: AtomicU64,
    /// Last time anything was delivered or reported.
    progress: Mutex<Instant>,
}

impl Shared {
    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn progressed(&self) {
        *self.progress.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }
}

fn subject_seq(pdu: &Pdu<'_>) -> Option<usize> {
    pdu.subject()?.text().strip_prefix("faults ")?.parse().ok()
}

/// Retries `f` with back-off (100 ms doubling to 2 s) until it succeeds or
/// the phone shuts down.
async fn with_retries<T, F, Fut>(s: &Shared, sd: &Shutdown, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut wait = Duration::from_millis(100);
    loop {
        match f().await {
            Ok(v) => return Some(v),
            Err(e) => {
                tracing::debug!("phone retries: {e:#}");
                s.phone_retries.fetch_add(1, Ordering::Relaxed);
            }
        }
        tokio::select! {
            _ = sd.wait() => return None,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(Duration::from_secs(2));
    }
}

/// Fetches a notified message once, stores it (by Message-ID), answers.
async fn fetch_and_store(
    s: Arc<Shared>,
    op: usize,
    me: Arc<str>,
    url: String,
    tid: String,
    sd: Shutdown,
) {
    let Some(conf) = with_retries(&s, &sd, || s.mm1[op].get(&me, &url)).await else {
        return;
    };
    let mid = conf.message_id().unwrap_or(&tid).to_owned();
    {
        let mut l = s.ledger();
        let seq = l.ok.get(&mid).copied().or_else(|| subject_seq(&conf));
        if let Some(seq) = seq {
            let want = l.planned.get(&seq).map(|p| p.2);
            let hashes: Vec<[u8; 32]> = match &conf.body {
                Some(Body::Multipart(parts)) => parts
                    .iter()
                    .map(|p| Sha256::digest(&p.body).into())
                    .collect(),
                _ => Vec::new(),
            };
            let intact = want.is_some_and(|w| hashes.contains(&w));
            match l.inbox.entry((me.to_string(), mid)) {
                std::collections::hash_map::Entry::Occupied(_) => l.second_copies += 1,
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert((seq, intact));
                }
            }
        }
        l.stored_tids.insert(tid.clone());
    }
    s.progressed();
    let answer = Pdu::notifyresp_ind(tid, Status::RETRIEVED).to_bytes();
    with_retries(&s, &sd, || async {
        Ok(s.mm1[op].post(&me, answer.clone()).await?)
    })
    .await;
}

async fn phone_loop(mut link: EsmeLink, op: usize, me: String, s: Arc<Shared>, sd: Shutdown) {
    let mut inbox = SmsInbox::new();
    // Transaction ids being fetched or fetched.
    let mut taken: HashSet<String> = HashSet::new();
    let me: Arc<str> = me.into();
    // Count rebinds: every bind after the first.
    let mut state = link.esme().watch_state();
    let s2 = s.clone();
    let sd2 = sd.clone();
    tokio::spawn(async move {
        let mut binds = 0u64;
        loop {
            if matches!(*state.borrow_and_update(), ferry_esme::EsmeState::Bound(_)) {
                binds += 1;
                if binds > 1 {
                    s2.rebinds.fetch_add(1, Ordering::Relaxed);
                }
            }
            tokio::select! {
                _ = sd2.wait() => return,
                r = state.changed() => if r.is_err() { return },
            }
        }
    });
    loop {
        let pdu = tokio::select! {
            _ = sd.wait() => break,
            p = fleet::next_mms(&mut link, &mut inbox) => match p { Some(x) => x, None => break },
        };
        match pdu.message_type() {
            Some(MessageType::NOTIFICATION_IND) => {
                let (Some(url), Some(tid)) = (pdu.content_location(), pdu.transaction_id()) else {
                    continue;
                };
                if !taken.insert(tid.to_owned()) {
                    // At least once: a repeat of a notification in hand.
                    s.repeated.fetch_add(1, Ordering::Relaxed);
                    let (s, me, sd, tid) = (s.clone(), me.clone(), sd.clone(), tid.to_owned());
                    tokio::spawn(async move {
                        // Already stored: say so again (the MMSC missed the
                        // answer); still being fetched: the fetch answers.
                        let have = s.ledger().stored_tids.contains(&tid);
                        if have {
                            let a = Pdu::notifyresp_ind(tid, Status::RETRIEVED).to_bytes();
                            let _ = s.mm1[op].post(&me, a).await;
                        }
                        drop(sd);
                    });
                    continue;
                }
                tokio::spawn(fetch_and_store(
                    s.clone(),
                    op,
                    me.clone(),
                    url.to_owned(),
                    tid.to_owned(),
                    sd.clone(),
                ));
            }
            Some(MessageType::DELIVERY_IND) => {
                if let (Some(mid), Some(st)) = (pdu.message_id(), pdu.status()) {
                    s.ledger()
                        .reports
                        .entry(mid.to_owned())
                        .or_default()
                        .push(st);
                    s.progressed();
                }
            }
            _ => {}
        }
    }
}

/// Sends one message; retries only what is safe to retry.
async fn send_one(s: Arc<Shared>, seq: usize, from: String, draft: Draft, sd: Shutdown) {
    let tid = format!("faults-{seq}");
    let Ok(pdu) = compose(&draft, &tid).map(|p| p.to_bytes()) else {
        s.refused.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let mut wait = Duration::from_millis(100);
    for attempt in 0..40 {
        if attempt > 0 {
            s.send_retries.fetch_add(1, Ordering::Relaxed);
            tokio::select! {
                _ = sd.wait() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(Duration::from_secs(2));
        }
        match s.mm1[0].post(&from, pdu.clone()).await {
            Ok(b) => match Pdu::decode(&b) {
                Ok(conf) => match conf.response_status() {
                    Some(st) if st.is_ok() => {
                        if let Some(mid) = conf.message_id() {
                            s.ledger().ok.insert(mid.to_owned(), seq);
                        }
                        return;
                    }
                    Some(st) if is_transient(st) => continue,
                    _ => break,
                },
                Err(_) => break,
            },
            Err(Mm1Error::NotSent(_)) => continue,
            Err(Mm1Error::Status(st)) if st.is_server_error() => continue,
            Err(Mm1Error::Status(_)) => break,
            Err(Mm1Error::Unknown(_)) => {
                s.ledger().unknown.insert(seq);
                return;
            }
        }
    }
    s.refused.fetch_add(1, Ordering::Relaxed);
}

fn is_transient(st: ResponseStatus) -> bool {
    (0xC0..0xE0).contains(&st.0)
}

// ---------------------------------------------------------------------------
// The run

/// Runs the fault test; `say` gets progress lines.
pub async fn run(opts: FaultOptions, say: &mut (dyn FnMut(&str) + Send)) -> Result<FaultReport> {
    ensure!(opts.phones >= 2, "at least two phones");
    ensure!(opts.rate > 0.0, "a positive rate");
    ensure!(
        opts.kill_every.0 <= opts.kill_every.1,
        "kill interval: min above max"
    );
    ensure!(
        opts.down_for.0 <= opts.down_for.1,
        "down time: min above max"
    );
    let temp;
    let dir = match &opts.data_dir {
        Some(d) => d.clone(),
        None => {
            temp = tempfile::Builder::new().prefix("ferry-faults-").tempdir()?;
            temp.path().to_owned()
        }
    };
    ensure!(
        (0.0..=100.0).contains(&opts.cross),
        "the cross-operator share is a percentage"
    );
    // The first operator's phones send; with a cross-operator share, a
    // second operator (its own SMSC, PPG, MMSC; MM4 between the MMSCs)
    // receives that share on its phones.
    let mut plans = vec![OperatorPlan::new("op0", "+4790")?];
    if opts.cross > 0.0 {
        ensure!(
            opts.peer_phones >= 1,
            "at least one phone on the peer operator"
        );
        plans.push(OperatorPlan::new("op1", "+4791")?);
    }
    for id in opts
        .targets
        .iter()
        .chain(opts.outages.iter().map(|o| &o.server))
    {
        ensure!(
            id.operator < plans.len(),
            "{id}: there is no operator {} (the second operator runs with a cross-operator share above 0)",
            id.operator
        );
    }
    let mut servers: Vec<Server> = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        servers.extend(p.servers(i, &dir.join(format!("op{i}")), &plans)?);
    }
    for s in &mut servers {
        s.start(&opts.ferry).await?;
    }
    for (i, p) in plans.iter().enumerate() {
        say(&format!(
            "seed {}: op{i} ({}…): SMSC {}, PPG {}, MMSC {} (MM4 on {}) as child processes of {}",
            opts.seed,
            p.numbers,
            p.smsc,
            p.ppg,
            p.mmsc,
            if plans.len() > 1 {
                p.smtp.to_string()
            } else {
                "none".into()
            },
            opts.ferry.display(),
        ));
    }
    say(&format!("data and logs in {}", dir.display()));
    let result = drive(&opts, &plans, &mut servers, say).await;
    for s in &mut servers {
        let _ = s.kill().await;
    }
    let mut report = result?;
    report.data_dir = dir;
    Ok(report)
}

async fn drive(
    opts: &FaultOptions,
    plans: &[OperatorPlan],
    servers: &mut [Server],
    say: &mut (dyn FnMut(&str) + Send),
) -> Result<FaultReport> {
    let numbers: Vec<String> = (0..opts.phones)
        .map(|i| fleet::msisdn(&plans[0].numbers, i))
        .collect();
    let peer_numbers: Vec<String> = match plans.get(1) {
        Some(p) => (0..opts.peer_phones)
            .map(|i| fleet::msisdn(&p.numbers, i))
            .collect(),
        None => Vec::new(),
    };
    let (sd, finished) = Shutdown::new();
    let mut links = Vec::new();
    for (i, (p, nums)) in plans.iter().zip([&numbers, &peer_numbers]).enumerate() {
        let l = fleet::bind_all(&p.smsc.to_string(), nums, Duration::from_secs(60), &sd).await?;
        links.extend(
            l.into_iter()
                .zip(nums.iter())
                .map(|(l, m)| (i, l, m.clone())),
        );
    }
    say(&format!("{} phones bound", links.len()));
    let shared = Arc::new(Shared {
        mm1: plans
            .iter()
            .map(|p| Mm1::new(format!("http://{}/mms", p.mmsc), 64))
            .collect::<Result<_>>()?,
        ledger: Mutex::default(),
        refused: AtomicU64::new(0),
        send_retries: AtomicU64::new(0),
        repeated: AtomicU64::new(0),
        phone_retries: AtomicU64::new(0),
        rebinds: AtomicU64::new(0),
        progress: Mutex::new(Instant::now()),
    });
    for (op, link, m) in links {
        tokio::spawn(phone_loop(link, op, m, shared.clone(), sd.clone()));
    }
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()?;

    // The senders, in their own task.
    let sender = {
        let (s, sd, numbers) = (shared.clone(), sd.clone(), numbers.clone());
        let peer_numbers = peer_numbers.clone();
        let (rate, duration, size) = (opts.rate, opts.duration, opts.size);
        // Which messages go to the peer operator: its own RNG from the seed,
        // so the kills draw the same whatever the share.
        let mut cross_rng = StdRng::seed_from_u64(opts.seed ^ 0x0063_726f_7373);
        let cross = opts.cross / 100.0;
        tokio::spawn(async move {
            let mut pace = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
            let start = Instant::now();
            let mut tasks = Vec::new();
            let n = numbers.len();
            let mut seq = 0usize;
            while start.elapsed() < duration {
                pace.tick().await;
                let from = seq % n;
                let to = if !peer_numbers.is_empty() && cross_rng.random_bool(cross) {
                    peer_numbers[(seq / n) % peer_numbers.len()].clone()
                } else {
                    numbers[(from + 1 + (seq / n) % (n - 1)) % n].clone()
                };
                let body = fleet::payload(size, seq as u64);
                s.ledger().planned.insert(
                    seq,
                    (
                        numbers[from].clone(),
                        to.clone(),
                        Sha256::digest(&body).into(),
                    ),
                );
                let draft = Draft {
                    to: vec![to],
                    subject: Some(format!("faults {seq}")),
                    attachments: vec![Attachment::new("payload.bin", body)],
                    delivery_report: true,
                    read_report: false,
                    ..Draft::default()
                };
                tasks.push(tokio::spawn(send_one(
                    s.clone(),
                    seq,
                    numbers[from].clone(),
                    draft,
                    sd.clone(),
                )));
                seq += 1;
            }
            for t in tasks {
                let _ = t.await;
            }
        })
    };

    // The killer.
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let start = Instant::now();
    let draw = |rng: &mut StdRng, r: (Duration, Duration)| {
        if r.1 > r.0 {
            rng.random_range(r.0..=r.1)
        } else {
            r.0
        }
    };
    let mut outages = opts.outages.clone();
    outages.sort_by_key(|o| o.at);
    let mut outages = outages.into_iter().peekable();
    let mut next_kill = (!opts.targets.is_empty()).then(|| draw(&mut rng, opts.kill_every));
    let mut backlogs: HashMap<String, HashMap<String, f64>> = HashMap::new();
    while start.elapsed() < opts.duration {
        for s in servers.iter_mut() {
            s.check_alive()?;
        }
        let now = start.elapsed();
        let planned = outages.peek().is_some_and(|o| o.at <= now);
        let random = next_kill.is_some_and(|k| k <= now);
        if !(planned || random) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let (target, down) = if planned {
            let o = outages.next().expect("peeked");
            (o.server, o.down_for)
        } else {
            let t = opts.targets[rng.random_range(0..opts.targets.len())];
            (t, draw(&mut rng, opts.down_for))
        };
        let server = servers
            .iter_mut()
            .find(|s| s.id == target)
            .with_context(|| format!("{target}: no such server"))?;
        let id = server.id;
        say(&format!(
            "{:6.1} s: SIGKILL {id}, down for {:.1} s",
            now.as_secs_f64(),
            down.as_secs_f64()
        ));
        server.kill().await?;
        // While it is down, watch the backlog upstream.
        let until = Instant::now() + down;
        let gauges: Vec<_> = plans
            .iter()
            .enumerate()
            .flat_map(|(i, p)| backlog_gauges(i, p))
            .collect();
        while Instant::now() < until {
            for (g, url, series) in &gauges {
                if *g == target {
                    continue;
                }
                if let Some(v) = scrape(&http, url, series).await {
                    let e = backlogs
                        .entry(format!("{id} was down"))
                        .or_default()
                        .entry(format!("{g} {series}"))
                        .or_insert(0.0);
                    *e = e.max(v);
                }
            }
            tokio::time::sleep(
                Duration::from_millis(200).min(until.saturating_duration_since(Instant::now())),
            )
            .await;
        }
        let server = servers
            .iter_mut()
            .find(|s| s.id == id)
            .context("no such server")?;
        server.start(&opts.ferry).await?;
        if random {
            next_kill = Some(start.elapsed() + draw(&mut rng, opts.kill_every));
        }
    }
    let _ = sender.await;
    let sending_secs = start.elapsed().as_secs_f64();
    say(&format!(
        "{sending_secs:.1} s: sending done; waiting for the last deliveries"
    ));

    // Quiescence: every Ok message delivered or reported, or no progress for
    // `settle`.
    let settle_start = Instant::now();
    *shared.progress.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    loop {
        for s in servers.iter_mut() {
            s.check_alive()?;
        }
        let open = {
            let l = shared.ledger();
            let got: HashSet<&String> = l.inbox.keys().map(|(_, mid)| mid).collect();
            l.ok.keys()
                .filter(|mid| {
                    // Open: not in an inbox, and no report saying why not.
                    !got.contains(mid)
                        && !l
                            .reports
                            .get(*mid)
                            .is_some_and(|v| v.iter().any(|s| *s != Status::RETRIEVED))
                })
                .count()
        };
        if open == 0 {
            break;
        }
        let idle = shared
            .progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed();
        if idle > opts.settle {
            say(&format!(
                "no progress for {} s with {open} messages open",
                opts.settle.as_secs()
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A little longer, for repeats and late duplicates to show.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let settle_secs = settle_start.elapsed().as_secs_f64();
    sd.trigger();
    drop(sd);
    let _ = tokio::time::timeout(Duration::from_secs(10), finished.wait()).await;

    let l = shared.ledger();
    let mut r = FaultReport {
        seed: opts.seed,
        phones: opts.phones,
        rate: opts.rate,
        sending_secs,
        settle_secs,
        refused: shared.refused.load(Ordering::Relaxed),
        send_retries: shared.send_retries.load(Ordering::Relaxed),
        repeated_notifications: shared.repeated.load(Ordering::Relaxed),
        phone_retries: shared.phone_retries.load(Ordering::Relaxed),
        rebinds: shared.rebinds.load(Ordering::Relaxed),
        unknown_outcome: l.unknown.len() as u64,
        duplicates: l.second_copies,
        kills: servers.iter().map(|s| (s.id, s.kills)).collect(),
        backlogs: {
            let mut v: Vec<_> = backlogs
                .into_iter()
                .flat_map(|(w, gs)| gs.into_iter().map(move |(g, x)| (w.clone(), g, x)))
                .collect();
            v.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
            v
        },
        ..FaultReport::default()
    };
    // Per seq: the inbox entries.
    let mut stored: HashMap<usize, Vec<(&String, bool)>> = HashMap::new();
    for ((who, _mid), (seq, intact)) in &l.inbox {
        stored.entry(*seq).or_default().push((who, *intact));
    }
    let mut lost_list = Vec::new();
    let peer_prefix = plans.get(1).map(|p| p.numbers.as_str());
    for (mid, seq) in &l.ok {
        r.sent += 1;
        let (_, to, _) = &l.planned[seq];
        let cross = peer_prefix.is_some_and(|p| to.starts_with(p));
        r.cross_sent += cross as u64;
        let retrieved_report = l
            .reports
            .get(mid)
            .is_some_and(|v| v.contains(&Status::RETRIEVED));
        let copies = stored.get(seq).map(Vec::as_slice).unwrap_or(&[]);
        let mine: Vec<_> = copies.iter().filter(|(w, _)| *w == to).collect();
        if copies.len() > mine.len() {
            r.misdelivered += 1;
        }
        match mine.len() {
            0 => {
                let reported = l
                    .reports
                    .get(mid)
                    .is_some_and(|v| v.iter().any(|s| *s != Status::RETRIEVED));
                if reported {
                    r.reported += 1;
                } else {
                    r.lost += 1;
                    lost_list.push(*seq);
                }
            }
            1 => {
                if mine[0].1 {
                    r.delivered += 1;
                    r.cross_delivered += cross as u64;
                    if retrieved_report {
                        if cross {
                            r.reports_retrieved.1 += 1;
                        } else {
                            r.reports_retrieved.0 += 1;
                        }
                    }
                } else {
                    r.corrupted += 1;
                }
            }
            n => {
                r.duplicates += n as u64 - 1;
                if mine.iter().all(|(_, ok)| *ok) {
                    r.delivered += 1;
                } else {
                    r.corrupted += 1;
                }
            }
        }
    }
    for seq in &l.unknown {
        if stored.contains_key(seq) {
            r.unknown_delivered += 1;
        }
    }
    if !lost_list.is_empty() {
        lost_list.sort_unstable();
        let mut t = String::from("lost messages (seq):");
        for s in lost_list.iter().take(20) {
            let _ = write!(t, " {s}");
        }
        say(&t);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names() {
        let p = |s: &str| s.parse::<ServerId>().unwrap();
        assert_eq!(p("mmsc"), ServerId::new(0, Role::Mmsc));
        assert_eq!(p("peer-mmsc"), ServerId::new(1, Role::Mmsc));
        assert_eq!(p("peer-smsc"), ServerId::new(1, Role::Smsc));
        assert_eq!(p("op1-ppg"), ServerId::new(1, Role::Ppg));
        assert_eq!(p(&ServerId::new(1, Role::Mmsc).to_string()), p("peer-mmsc"));
        assert!("peer-mms".parse::<ServerId>().is_err());
        assert!("opx-mmsc".parse::<ServerId>().is_err());
    }

    #[test]
    fn the_mmscs_are_each_others_mm4_peer() {
        let plans = [
            OperatorPlan::new("op0", "+4790").unwrap(),
            OperatorPlan::new("op1", "+4791").unwrap(),
        ];
        let t = plans[0].interconnect(&plans);
        let v: toml::Value = toml::from_str(&t).unwrap();
        assert_eq!(v["routing"]["own_ranges"][0].as_str(), Some("+4790"));
        let o = &v["routing"]["operators"][0];
        assert_eq!(o["method"].as_str(), Some("mm4"));
        assert_eq!(o["ranges"][0].as_str(), Some("+4791"));
        assert_eq!(
            o["mmsc_url"].as_str(),
            Some(format!("smtp://{}", plans[1].smtp).as_str())
        );
        assert_eq!(
            v["smtp"]["listen"].as_str(),
            Some(plans[0].smtp.to_string().as_str())
        );
        assert_eq!(
            v["smtp"]["peers"][0]["sender_domains"][0].as_str(),
            Some("mms.op1.faults")
        );
        assert!(plans[0].interconnect(&plans[..1]).is_empty());
    }
}

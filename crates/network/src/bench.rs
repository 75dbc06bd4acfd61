//! `ferry bench`: a load generator that drives a whole network — one
//! operator of the example configuration with durable stores (SQLite,
//! `synchronous=FULL`, in a temporary directory unless told otherwise) —
//! with N virtual phones sending M messages of a chosen size to each other,
//! a chosen share of them to phones that defer retrieval, and measures each
//! stage of every message:
//!
//! | stage | from | to |
//! | --- | --- | --- |
//! | submit | M-Send.req POSTed | M-Send.conf read |
//! | notify | M-Send.req POSTed | the M-Notification.ind reassembled at the recipient (SMS over SMPP) |
//! | fetch | GET sent | M-Retrieve.conf read |
//! | end-to-end | M-Send.req POSTed | the recipient's last answer (NotifyResp Retrieved, or Acknowledge after a deferred fetch) accepted |
//!
//! The virtual phones are those of [`crate::fleet`]: one SMPP session per
//! phone, the handset's reassembly, MM1 straight to the MMSC with the
//! `X-MSISDN` header. A deferred phone answers M-NotifyResp.ind Deferred,
//! then fetches at once and answers M-Acknowledge.ind.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use bytes::Bytes;
use ferry_handset::compose::compose;
use ferry_handset::esme_link::EsmeLink;
use ferry_handset::sms::SmsInbox;
use ferry_handset::{Attachment, Draft};
use ferry_mms::{MessageType, Pdu, Status};
use ferry_mmsc::store::NewSubscriber;
use ferry_service::Shutdown;
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use tokio::sync::Semaphore;

use crate::config::NetworkConfig;
use crate::fleet::{self, Mm1, msisdn};
use crate::network::Network;
use crate::trace::Tracer;

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Virtual phones.
    pub phones: usize,
    /// Messages in all.
    pub messages: usize,
    /// Octets of each message's attachment.
    pub size: usize,
    /// Share of the phones that defer retrieval, percent.
    pub deferred_percent: u8,
    /// Messages in flight at once, each from its M-Send.req until its
    /// recipient has fetched it (or it failed): a closed loop over the whole
    /// path, so that no stage builds an unbounded queue.
    pub concurrency: usize,
    /// Messages per second to offer (open loop); `None`: as fast as
    /// `concurrency` allows.
    pub rate: Option<f64>,
    /// Ask for delivery reports (more pushes through the network).
    pub delivery_reports: bool,
    /// Keep the network's data here (default: a temporary directory,
    /// removed afterwards).
    pub data_dir: Option<PathBuf>,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Give up when no message completes for this long.
    pub stall_timeout: Duration,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            phones: 1000,
            messages: 10_000,
            size: 30 * 1024,
            deferred_percent: 20,
            concurrency: 256,
            rate: None,
            delivery_reports: false,
            data_dir: None,
            progress: true,
            stall_timeout: Duration::from_secs(30),
        }
    }
}

/// One stage's figures.
#[derive(Debug, Clone)]
pub struct StageStats {
    /// Stage name.
    pub name: &'static str,
    /// Samples.
    pub count: u64,
    /// Percentiles in microseconds: p50, p90, p99, max.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Largest.
    pub max_us: u64,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// The options it ran with.
    pub options: BenchOptions,
    /// Seconds from the first M-Send.req to the last completion.
    pub elapsed: Duration,
    /// Messages complete end to end.
    pub completed: u64,
    /// Messages that failed at some stage (refused, HTTP error…).
    pub failed: u64,
    /// Delivery reports that reached the senders.
    pub reports: u64,
    /// Repeated notifications the phones ignored.
    pub duplicates: u64,
    /// Per stage.
    pub stages: Vec<StageStats>,
    /// Where the data was.
    pub data_dir: PathBuf,
    /// The MMSC store's group commits during the run.
    pub store_commits: u64,
    /// The jobs they held.
    pub store_jobs: u64,
    /// Time the MMSC store's writer spent in statements and commits.
    pub store_busy: Duration,
}

impl BenchReport {
    /// End-to-end messages per second.
    pub fn throughput(&self) -> f64 {
        self.completed as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

fn fmt_us(us: u64) -> String {
    if us >= 10_000 {
        format!("{:.0} ms", us as f64 / 1000.0)
    } else {
        format!("{:.2} ms", us as f64 / 1000.0)
    }
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let o = &self.options;
        writeln!(
            f,
            "ferry bench: {} phones (one SMPP session each), {} messages of {} octets, {}% to deferred phones, {} in flight{}, delivery reports {}",
            o.phones,
            o.messages,
            o.size,
            o.deferred_percent,
            o.concurrency,
            o.rate
                .map_or_else(String::new, |r| format!(", offered {r}/s")),
            if o.delivery_reports { "on" } else { "off" }
        )?;
        writeln!(
            f,
            "durable stores (SQLite WAL, synchronous=FULL) in {}",
            self.data_dir.display()
        )?;
        writeln!(
            f,
            "{:<11} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10}",
            "stage", "count", "per sec", "p50", "p90", "p99", "max"
        )?;
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        for s in &self.stages {
            writeln!(
                f,
                "{:<11} {:>8} {:>10.0} {:>10} {:>10} {:>10} {:>10}",
                s.name,
                s.count,
                s.count as f64 / secs,
                fmt_us(s.p50_us),
                fmt_us(s.p90_us),
                fmt_us(s.p99_us),
                fmt_us(s.max_us)
            )?;
        }
        writeln!(
            f,
            "MMSC store: {} group commits, {:.1} jobs each, writer busy {:.0}% of the run",
            self.store_commits,
            self.store_jobs as f64 / self.store_commits.max(1) as f64,
            100.0 * self.store_busy.as_secs_f64() / secs
        )?;
        write!(
            f,
            "completed {} of {} in {:.2} s: {:.0} messages/s end to end; {} failed; {} delivery reports; {} repeated notifications ignored",
            self.completed,
            o.messages,
            secs,
            self.throughput(),
            self.failed,
            self.reports,
            self.duplicates
        )
    }
}

const SUBMIT: usize = 0;
const NOTIFY: usize = 1;
const FETCH: usize = 2;
const E2E: usize = 3;
const STAGES: [&str; 4] = ["submit", "notify", "fetch", "end-to-end"];

/// Shared by every task of a run.
#[derive(Debug)]
struct Shared {
    zero: Instant,
    /// Start of each message (µs after `zero`, +1; 0 = not started).
    started: Vec<AtomicU64>,
    hist: Vec<std::sync::Mutex<Histogram<u64>>>,
    completed: AtomicU64,
    failed: AtomicU64,
    reports: AtomicU64,
    duplicates: AtomicU64,
    last_done: AtomicU64,
    mm1: Mm1,
    progress: Option<indicatif::ProgressBar>,
    /// One permit per message that may still enter the network.
    in_flight: Arc<Semaphore>,
}

impl Shared {
    fn now_us(&self) -> u64 {
        self.zero.elapsed().as_micros() as u64
    }
    fn record(&self, stage: usize, us: u64) {
        let mut h = self.hist[stage].lock().unwrap_or_else(|p| p.into_inner());
        h.saturating_record(us.max(1));
    }
    fn since_start(&self, seq: usize) -> Option<u64> {
        let s = self.started.get(seq)?.load(Ordering::Acquire);
        (s > 0).then(|| self.now_us().saturating_sub(s - 1))
    }
    fn fail(&self, why: &str) {
        let n = self.failed.fetch_add(1, Ordering::Relaxed);
        if n < 5 {
            tracing::error!("bench: {why}");
        }
        self.done_one();
    }
    fn done_one(&self) {
        self.in_flight.add_permits(1);
        self.last_done.store(self.now_us(), Ordering::Relaxed);
        if let Some(p) = &self.progress {
            p.inc(1);
        }
    }
}

/// Runs the benchmark; `say` gets progress lines (start-up, results).
pub async fn run(opts: BenchOptions, say: &mut (dyn FnMut(&str) + Send)) -> Result<BenchReport> {
    ensure!(opts.phones >= 2, "at least two phones");
    ensure!(opts.phones <= 99_999, "at most 99999 phones");
    ensure!(opts.messages >= 1, "at least one message");
    ensure!(opts.concurrency >= 1, "at least one message in flight");
    let mut config = NetworkConfig::example_on_free_ports();
    config.operators.truncate(1);
    config.operators[0].phones.clear();
    // One operator: no peers to reach.
    config.operators[0].peers.clear();
    config.tuning.notify_concurrency = 1024;
    let temp = match &opts.data_dir {
        Some(d) => {
            config.data_dir = d.clone();
            None
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("ferry-bench-")
                .tempdir()
                .context("creating a temporary directory")?;
            config.data_dir = t.path().to_owned();
            Some(t)
        }
    };
    let net = Network::start(config, Tracer::disabled()).await?;
    let result = drive(&net, &opts, say).await;
    let data_dir = net.data_dir().to_owned();
    say("stopping the network…");
    net.shutdown().await;
    drop(temp);
    let mut report = result?;
    report.data_dir = data_dir;
    Ok(report)
}

async fn drive(
    net: &Network,
    opts: &BenchOptions,
    say: &mut (dyn FnMut(&str) + Send),
) -> Result<BenchReport> {
    let op = &net.operators()[0];
    say(&format!(
        "network up: SMSC {}, PPG {}, MMSC {}; data in {}",
        op.smsc_addr,
        op.ppg_addr,
        op.mmsc_addr,
        net.data_dir().display()
    ));
    let numbers: Vec<String> = (0..opts.phones).map(|i| msisdn(&op.numbers, i)).collect();
    let t = Instant::now();
    let store = op.mmsc_store.clone();
    let writer = op.mmsc_writer.clone();
    let added: Vec<Result<()>> = futures_util::stream::iter(numbers.clone())
        .map(|m| {
            let store = store.clone();
            async move {
                if store.subscriber(&m).await?.is_none() {
                    store
                        .add_subscriber(NewSubscriber::new(m), ferry_mmsc::unix_now())
                        .await?;
                }
                Ok(())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    added.into_iter().collect::<Result<Vec<()>>>()?;
    say(&format!(
        "{} subscribers in the MMSC ({:.1} s)",
        opts.phones,
        t.elapsed().as_secs_f64()
    ));

    let mm1 = Mm1::new(op.mmsc_url(), opts.concurrency * 2 + 64)?;
    let progress = opts.progress.then(|| {
        let p = indicatif::ProgressBar::new(opts.messages as u64);
        p.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {pos}/{len} end to end, {per_sec} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        p
    });
    // The phones: one SMPP session each.
    let (sd, finished) = Shutdown::new();
    let deferred_count = opts.phones * usize::from(opts.deferred_percent.min(100)) / 100;
    let t = Instant::now();
    let links = fleet::bind_all(
        &op.smsc_addr.to_string(),
        &numbers,
        Duration::from_secs(60),
        &sd,
    )
    .await?;
    say(&format!(
        "{} phones bound to the SMSC ({:.1} s); {} of them defer retrieval",
        opts.phones,
        t.elapsed().as_secs_f64(),
        deferred_count
    ));
    // Clocks and the progress bar start now (start-up lines above it).
    let shared = Arc::new(Shared {
        zero: Instant::now(),
        started: (0..opts.messages).map(|_| AtomicU64::new(0)).collect(),
        hist: (0..STAGES.len())
            .map(|_| {
                std::sync::Mutex::new(
                    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("histogram bounds"),
                )
            })
            .collect(),
        completed: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        reports: AtomicU64::new(0),
        duplicates: AtomicU64::new(0),
        last_done: AtomicU64::new(0),
        mm1,
        progress,
        in_flight: Arc::new(Semaphore::new(opts.concurrency)),
    });

    for (i, (link, m)) in links.into_iter().zip(numbers.iter()).enumerate() {
        tokio::spawn(phone_loop(
            link,
            m.clone(),
            i < deferred_count,
            shared.clone(),
            sd.clone(),
        ));
    }

    // The senders.
    let payload = Bytes::from(fleet::payload(opts.size, 0));
    let writer_start = writer_counts(&writer);
    let sem = shared.in_flight.clone();
    let n = opts.phones;
    let mut pace = opts
        .rate
        .map(|r| tokio::time::interval(Duration::from_secs_f64(1.0 / r.max(0.001))));
    for seq in 0..opts.messages {
        if let Some(p) = &mut pace {
            p.tick().await;
        }
        // Given back when the message completes or fails (done_one).
        sem.acquire().await.context("semaphore closed")?.forget();
        let from = seq % n;
        let mut to = (from + 1 + (seq / n) * 7) % n;
        if to == from {
            to = (to + 1) % n;
        }
        let s = shared.clone();
        let draft = Draft {
            to: vec![numbers[to].clone()],
            subject: Some(format!("bench {seq}")),
            attachments: vec![Attachment::new("payload.bin", payload.to_vec())],
            delivery_report: opts.delivery_reports,
            read_report: false,
            ..Draft::default()
        };
        let from = numbers[from].clone();
        tokio::spawn(async move {
            send_one(&s, seq, &from, &draft).await;
        });
    }
    // Wait for every message, or a stall.
    loop {
        let done = shared.completed.load(Ordering::Relaxed) + shared.failed.load(Ordering::Relaxed);
        if done >= opts.messages as u64 {
            break;
        }
        let idle = shared
            .now_us()
            .saturating_sub(shared.last_done.load(Ordering::Relaxed));
        if idle > opts.stall_timeout.as_micros() as u64 {
            say(&format!(
                "no progress for {} s: stopping with {done} of {} done",
                opts.stall_timeout.as_secs(),
                opts.messages
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = Duration::from_micros(shared.last_done.load(Ordering::Relaxed));
    let writer_now = writer_counts(&writer);
    if let Some(p) = &shared.progress {
        p.finish_and_clear();
    }
    // Let delivery reports still in flight arrive.
    if opts.delivery_reports {
        let want = shared.completed.load(Ordering::Relaxed);
        let until = Instant::now() + Duration::from_secs(5);
        while shared.reports.load(Ordering::Relaxed) < want && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    sd.trigger();
    drop(sd);
    let _ = tokio::time::timeout(Duration::from_secs(10), finished.wait()).await;
    let stages = STAGES
        .iter()
        .zip(&shared.hist)
        .map(|(name, h)| {
            let h = h.lock().unwrap_or_else(|p| p.into_inner());
            StageStats {
                name,
                count: h.len(),
                p50_us: h.value_at_quantile(0.5),
                p90_us: h.value_at_quantile(0.9),
                p99_us: h.value_at_quantile(0.99),
                max_us: h.max(),
            }
        })
        .collect();
    Ok(BenchReport {
        options: opts.clone(),
        elapsed,
        completed: shared.completed.load(Ordering::Relaxed),
        failed: shared.failed.load(Ordering::Relaxed),
        reports: shared.reports.load(Ordering::Relaxed),
        duplicates: shared.duplicates.load(Ordering::Relaxed),
        stages,
        data_dir: PathBuf::new(),
        store_commits: writer_now.0 - writer_start.0,
        store_jobs: writer_now.1 - writer_start.1,
        store_busy: Duration::from_nanos(writer_now.2 - writer_start.2),
    })
}

/// Commits, jobs, and nanoseconds busy of a store writer so far.
fn writer_counts(w: &ferry_mmsc::store::sqlite::WriterStats) -> (u64, u64, u64) {
    let busy = w.run_ns.load(Ordering::Relaxed)
        + w.commit_ns.load(Ordering::Relaxed)
        + w.dir_sync_ns.load(Ordering::Relaxed);
    (w.commits.load(Ordering::Relaxed), w.jobs.load(Ordering::Relaxed), busy)
}

async fn post(s: &Shared, msisdn: &str, pdu: Vec<u8>) -> Result<Bytes> {
    Ok(s.mm1.post(msisdn, pdu).await?)
}

async fn send_one(s: &Shared, seq: usize, from: &str, draft: &Draft) {
    let tid = format!("bench-{seq}");
    let pdu = match compose(draft, &tid) {
        Ok(p) => p.to_bytes(),
        Err(e) => return s.fail(&format!("composing: {e}")),
    };
    let t0 = s.now_us();
    s.started[seq].store(t0 + 1, Ordering::Release);
    match post(s, from, pdu).await {
        Ok(b) => match Pdu::decode(&b) {
            Ok(conf) if conf.response_status().is_some_and(|st| st.is_ok()) => {
                s.record(SUBMIT, s.now_us() - t0)
            }
            Ok(conf) => s.fail(&format!("M-Send.conf {:?}", conf.response_status())),
            Err(e) => s.fail(&format!("M-Send.conf does not decode: {e}")),
        },
        Err(e) => s.fail(&format!("M-Send.req: {e:#}")),
    }
}

async fn phone_loop(
    mut link: EsmeLink,
    msisdn: String,
    deferred: bool,
    s: Arc<Shared>,
    sd: Shutdown,
) {
    let mut inbox = SmsInbox::new();
    let mut seen = std::collections::HashSet::new();
    let msisdn: Arc<str> = msisdn.into();
    loop {
        let pdu = tokio::select! {
            _ = sd.wait() => break,
            p = fleet::next_mms(&mut link, &mut inbox) => match p { Some(x) => x, None => break },
        };
        match pdu.message_type() {
            Some(MessageType::NOTIFICATION_IND) => {
                let seq = pdu.subject().and_then(|x| {
                    x.text()
                        .strip_prefix("bench ")
                        .and_then(|n| n.parse::<usize>().ok())
                });
                let (Some(seq), Some(url), Some(tid)) =
                    (seq, pdu.content_location(), pdu.transaction_id())
                else {
                    continue;
                };
                // A repeated notification (the gateway delivers at least once) is not fetched twice.
                if !seen.insert(tid.to_owned()) {
                    s.duplicates.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                if let Some(us) = s.since_start(seq) {
                    s.record(NOTIFY, us);
                }
                let (url, tid, s, m) = (url.to_owned(), tid.to_owned(), s.clone(), msisdn.clone());
                tokio::spawn(async move {
                    if let Err(e) = retrieve(&s, &m, seq, &url, &tid, deferred).await {
                        s.fail(&format!("retrieval of message {seq}: {e:#}"));
                    }
                });
            }
            Some(MessageType::DELIVERY_IND) => {
                s.reports.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
    drop(sd);
}

/// POSTs a recipient's answer.
async fn answer(s: &Shared, msisdn: &str, pdu: Vec<u8>) -> Result<()> {
    post(s, msisdn, pdu).await.map(drop)
}

async fn retrieve(
    s: &Shared,
    msisdn: &str,
    seq: usize,
    url: &str,
    tid: &str,
    deferred: bool,
) -> Result<()> {
    if deferred {
        answer(
            s,
            msisdn,
            Pdu::notifyresp_ind(tid, Status::DEFERRED).to_bytes(),
        )
        .await
        .context("NotifyResp Deferred")?;
    }
    let t = s.now_us();
    s.mm1.get(msisdn, url).await?;
    s.record(FETCH, s.now_us() - t);
    let answer = if deferred {
        Pdu::acknowledge_ind(tid, Some(true)).to_bytes()
    } else {
        Pdu::notifyresp_ind(tid, Status::RETRIEVED).to_bytes()
    };
    self::answer(s, msisdn, answer)
        .await
        .context("NotifyResp/Acknowledge")?;
    if let Some(us) = s.since_start(seq) {
        s.record(E2E, us);
    }
    s.completed.fetch_add(1, Ordering::Relaxed);
    s.done_one();
    Ok(())
}

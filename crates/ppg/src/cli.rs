//! Blocking entry points for the `ferry ppg` subcommands (each builds its
//! own tokio runtime).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use base64::Engine as _;

use crate::bench::{self, LoadOptions, Sink, TABLE_HEADER, TargetReport};
use crate::client::{Credentials, PapClient, PushOptions};
use crate::config::{Config, ENV_PREFIX};

/// A multi-threaded runtime; `worker_threads` as tokio's default (one per
/// core) when `None`.
fn runtime(worker_threads: Option<usize>) -> Result<tokio::runtime::Runtime> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = worker_threads {
        b.worker_threads(n);
    }
    b.enable_all().build().context("starting the tokio runtime")
}

/// `ferry ppg serve --config FILE`: runs the gateway until SIGINT/SIGTERM.
pub fn serve(config: &Path) -> Result<()> {
    ferry_service::telemetry::init_logging();
    let cfg: Config = ferry_service::config::load(config, ENV_PREFIX)?;
    let threads = cfg.runtime_threads();
    tracing::debug!(threads, "runtime threads");
    runtime(Some(threads))?.block_on(async move {
        let (shutdown, finished) = ferry_service::Shutdown::new();
        shutdown.on_signals();
        let running = crate::server::start(cfg, shutdown.clone()).await?;
        println!("ferry ppg: listening on http://{}/pap", running.addr);
        shutdown.wait().await;
        let crate::server::Running { server, gateway, links, .. } = running;
        let _ = server.await;
        drop((gateway, links));
        drop(shutdown);
        let _ = tokio::time::timeout(Duration::from_secs(5), finished.wait()).await;
        Ok(())
    })
}

/// What `ferry ppg push` sends.
#[derive(Debug, Clone)]
pub struct PushCommand {
    /// The gateway's push URL.
    pub url: String,
    /// User name and password.
    pub credentials: Option<(String, String)>,
    /// Send them as `?username=&password=` (Kannel) instead of HTTP Basic.
    pub query_credentials: bool,
    /// `+digits`.
    pub to: String,
    /// The content (an M-Notification.ind) file.
    pub file: PathBuf,
    /// push-id.
    pub push_id: String,
    /// Content type.
    pub content_type: String,
    /// Application id.
    pub app_id: String,
}

/// `ferry ppg push`: one push with the PAP client; prints the answer.
pub fn push(c: &PushCommand) -> Result<()> {
    let body = std::fs::read(&c.file).with_context(|| format!("reading {}", c.file.display()))?;
    let creds = c.credentials.as_ref().map(|(u, p)| if c.query_credentials { Credentials::query(u, p) } else { Credentials::basic(u, p) });
    runtime(None)?.block_on(async {
        let client = PapClient::new(&c.url, creds)?;
        let r = client.push(&c.to, &c.content_type, Some(&c.app_id), &body, &c.push_id, &PushOptions::default()).await?;
        println!("{} {} {}", r.push_id, r.result.code.0, r.result.desc.as_deref().unwrap_or(""));
        if r.result.code.0 / 1000 != 1 {
            bail!("the gateway refused the push with {}", r.result.code.0);
        }
        Ok(())
    })
}

/// `ferry ppg bench` settings.
#[derive(Debug, Clone)]
pub struct BenchCommand {
    /// Connections of the load generator.
    pub connections: usize,
    /// Seconds per target, body size and round.
    pub seconds: u64,
    /// Notification sizes to push.
    pub body_lens: Vec<usize>,
    /// Also run against Kannel.
    pub kannel: bool,
    /// Kannel's log level (2 = warning, the same as Ferry's RUST_LOG=warn).
    pub kannel_log_level: u8,
    /// Rounds: each loads every target with every body size once, the
    /// targets one after the other (Ferry, then Kannel), so that both see
    /// the machine in the same state and each round gives a ratio.
    pub rounds: usize,
    /// The `ferry` executable to run the gateway with.
    pub ferry_exe: PathBuf,
    /// Working directory (database, configurations, logs).
    pub dir: PathBuf,
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A gateway under test: where to push, and the sink its SMSC link binds to.
struct Target {
    name: &'static str,
    sink: Sink,
    addr: String,
    path: String,
    authorization: Option<String>,
    tag: char,
}

/// `ferry ppg bench`: Ferry's gateway (a separate `ferry ppg serve`
/// process) and Kannel's, both running for the whole benchmark, loaded the
/// same way, into the same kind of sink, in alternation.
pub fn bench(b: &BenchCommand) -> Result<()> {
    std::fs::create_dir_all(&b.dir)?;
    // The load generator and the SMPP sink on one thread, like `wrk -t1`:
    // on a small machine the gateway under test gets the other core, and
    // no CPU goes to handing tasks between worker threads (measured in
    // docs/PERFORMANCE.md).
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the tokio runtime")?;
    rt.block_on(async {
        let run_id = format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs());
        let mut targets = Vec::new();
        // Ferry.
        let sink = Sink::start().await?;
        let port = crate::peers::free_port()?;
        let db = b.dir.join("bench-ppg.db");
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
        }
        let conf = format!(
            r#"listen = "127.0.0.1:{port}"
database = "{db}"
[[initiators]]
name = "bench"
username = "bench"
password = "bench"
allowed_addresses = ["127.0.0.1"]
[[links]]
name = "sink"
address = "{sink}"
system_id = "ppg"
password = "x"
source_addr = "9200"
prefixes = ["+"]
window = 512
receipts = false
"#,
            db = db.display(),
            sink = sink.addr
        );
        let conf_path = b.dir.join("bench-ppg.toml");
        std::fs::write(&conf_path, conf)?;
        let log = std::fs::File::create(b.dir.join("bench-ppg.log"))?;
        let child = Command::new(&b.ferry_exe)
            .args(["ppg", "serve", "--config"])
            .arg(&conf_path)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", b.ferry_exe.display()))?;
        let _ferry = Killed(child);
        crate::peers::wait_port(port, Duration::from_secs(10))?;
        targets.push(Target {
            name: "Ferry",
            sink,
            addr: format!("127.0.0.1:{port}"),
            path: "/pap".into(),
            authorization: Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("bench:bench"))),
            tag: 'f',
        });
        // Kannel.
        let mut _kannel = None;
        if b.kannel {
            let sink = Sink::start().await?;
            let kannel = crate::peers::Kannel::start(&crate::peers::KannelOptions {
                smsc_port: sink.addr.port(),
                smsc_credentials: ("kannel".into(), "kannel".into()),
                ppg_credentials: ("bench".into(), "bench".into()),
                sender: "9200".into(),
                log_level: b.kannel_log_level,
                dir: b.dir.join("kannel"),
            })?;
            let url = reqwest::Url::parse(&kannel.ppg_url)?;
            targets.push(Target {
                name: "Kannel 1.4.5",
                sink,
                addr: format!("127.0.0.1:{}", url.port().unwrap_or(80)),
                path: format!("{}?{}", url.path(), url.query().unwrap_or("")),
                authorization: None,
                tag: 'k',
            });
            _kannel = Some(kannel);
        }
        tokio::time::sleep(Duration::from_secs(3)).await; // the SMPP links bind
        let rounds = b.rounds.max(1);
        // rows[target][len index] = one report per round.
        let mut rows: Vec<Vec<Vec<TargetReport>>> = targets.iter().map(|_| b.body_lens.iter().map(|_| Vec::new()).collect()).collect();
        println!("{TABLE_HEADER}");
        for round in 0..rounds {
            for (li, &len) in b.body_lens.iter().enumerate() {
                for (ti, t) in targets.iter().enumerate() {
                    let o = LoadOptions {
                        addr: t.addr.clone(),
                        path: t.path.clone(),
                        authorization: t.authorization.clone(),
                        connections: b.connections,
                        duration: Duration::from_secs(b.seconds),
                        body_len: len,
                        msisdn: "+15551234567".into(),
                        run_id: format!("{}{run_id}-{round}-{li}", t.tag),
                    };
                    let r = bench::run_target(t.name, &t.sink, &o).await?;
                    println!("{}", r.row(len));
                    rows[ti][li].push(r);
                }
            }
        }
        println!("\n{TABLE_HEADER}");
        for (li, &len) in b.body_lens.iter().enumerate() {
            for per in &rows {
                println!("{}", bench::median_row(&per[li], len));
            }
        }
        if targets.len() == 2 {
            println!("\n{}", bench::RATIO_HEADER);
            for (li, &len) in b.body_lens.iter().enumerate() {
                println!("{}", bench::ratio_row(&rows[0][li], &rows[1][li], len));
            }
        }
        Ok(())
    })
}

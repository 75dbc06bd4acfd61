//! The MM1 benchmark: submit then retrieve, 30 KB messages, durable store.
//!
//! ```sh
//! cargo run --release -p ferry-mmsc --example mm1_bench -- [--seconds 10] [--concurrency 64] [--rate N] [--size 30000] [--inline-body-max N]
//! ```
//!
//! An MMSC runs in this process on port 0 with its SQLite store in a fresh
//! directory under the system temp dir (fsync'd commits; bodies up to
//! `--inline-body-max` octets, 100 KiB by default, inside the database, larger
//! ones as files; `--inline-body-max 0` makes every body a file),
//! identity by the trusted MSISDN header, notifications to the in-memory
//! push client (so their store writes are part of the load). Each virtual
//! handset POSTs an M-Send.req (one recipient), then GETs the recipient's
//! retrieval URL (the token is read from the store, standing in for the
//! WAP Push) and checks the M-Retrieve.conf. One sender subscriber sends
//! everything, so the per-source rate guard is off (`[guard] requests_per_sec
//! = 0`). Without `--rate` it runs closed
//! loop (`--concurrency` transactions in flight); with `--rate N` it starts N
//! transactions per second (open loop) and reports latencies at that rate.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ferry_mms::{Address, ContentType, Part, Pdu};
use ferry_mmsc::store::sqlite::SqliteConfig;
use ferry_mmsc::store::{NewSubscriber, Store};
use ferry_mmsc::{Config, MemoryNotifier, Mmsc};
use ferry_service::Shutdown;

struct Args {
    seconds: u64,
    concurrency: usize,
    rate: Option<u64>,
    size: usize,
    inline_body_max: usize,
}

fn args() -> Args {
    let mut a = Args {
        seconds: 10,
        concurrency: 64,
        rate: None,
        size: 30_000,
        inline_body_max: ferry_mmsc::store::sqlite::DEFAULT_INLINE_BODY_MAX,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let val = v.get(i + 1).cloned().unwrap_or_default();
        match v[i].as_str() {
            "--seconds" => a.seconds = val.parse().expect("--seconds N"),
            "--concurrency" => a.concurrency = val.parse().expect("--concurrency N"),
            "--rate" => a.rate = Some(val.parse().expect("--rate N")),
            "--size" => a.size = val.parse().expect("--size N"),
            "--inline-body-max" => a.inline_body_max = val.parse().expect("--inline-body-max N"),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    a
}

fn pct(v: &mut [u64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i] as f64 / 1000.0
}

struct Client {
    http: reqwest::Client,
    base: String,
    store: Arc<Store>,
    body: Vec<u8>,
    n: usize,
}

/// One submit + retrieve. Returns the submit and total latency in µs.
async fn transaction(c: &Client, k: u64) -> Result<(u64, u64), String> {
    let from = format!("+1555{:07}", k % c.n as u64);
    let to = format!("+1555{:07}", (k + 1) % c.n as u64);
    let t0 = Instant::now();
    let r = c
        .http
        .post(format!("{}/mms", c.base))
        .header("X-MSISDN", &from)
        .header("Content-Type", "application/vnd.wap.mms-message")
        .body(c.body.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let b = r.bytes().await.map_err(|e| e.to_string())?;
    let submit = t0.elapsed().as_micros() as u64;
    let conf = Pdu::decode(&b).map_err(|e| e.to_string())?;
    let id = match (conf.response_status(), conf.message_id()) {
        (Some(s), Some(id)) if s.is_ok() => id.to_owned(),
        (s, _) => return Err(format!("send status {s:?}")),
    };
    let token = c.store.recipients(&id).await.map_err(|e| e.to_string())?[0]
        .token
        .clone();
    let r = c
        .http
        .get(format!("{}/m/{token}", c.base))
        .header("X-MSISDN", &to)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status();
    let b = r.bytes().await.map_err(|e| e.to_string())?;
    if status != 200 || b.len() < c.body.len() {
        return Err(format!("retrieve HTTP {status}, {} octets", b.len()));
    }
    Ok((submit, t0.elapsed().as_micros() as u64))
}

fn main() {
    let a = args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(a));
}

async fn run(a: Args) {
    ferry_service::tls::install_ring_provider();
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = Config::from_toml(&format!(
        "listen = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\nstore_dir = \"{}\"\n\
         [identity]\ntrusted_proxies = [\"127.0.0.1\"]\n[limits]\nmax_message_size = 1000000\n\
         [notify]\nretry_secs = [3600]\n[gateway]\nkind = \"memory\"\n\
         [guard]\nrequests_per_sec = 0\n",
        dir.path().display()
    ))
    .unwrap();
    let backend = ferry_mmsc::store::sqlite::SqliteBackend::open(SqliteConfig {
        inline_body_max: a.inline_body_max,
        ..SqliteConfig::new(dir.path())
    })
        .await
        .unwrap();
    let writer = backend.writer_stats();
    let store = Arc::new(Store::new(backend));
    let n = 10;
    for i in 0..n {
        store
            .add_subscriber(NewSubscriber::new(format!("+1555{i:07}")), 0)
            .await
            .unwrap();
    }
    let (shutdown, _f) = Shutdown::new();
    let running = Mmsc::new(config)
        .store(store.clone())
        .notifier(MemoryNotifier::new())
        .listener(listener)
        .start(shutdown.clone())
        .await
        .unwrap();
    let img: Vec<u8> = (0..a.size).map(|i| (i * 31 % 251) as u8).collect();
    let body = Pdu::send_req(
        "bench".to_owned(),
        None,
        vec![Address::plmn("+15550000000")],
        ContentType::new("application/vnd.wap.multipart.related"),
        vec![Part::new(ContentType::new("image/jpeg"), img)],
    )
    .to_bytes();
    // Every message goes from and to subscriber +15550000000 (the sender
    // sends to itself): the store and HTTP work is the same as between two
    // handsets, and the request body needs no rewriting per transaction.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()
        .unwrap();
    let c = Arc::new(Client {
        http,
        base: format!("http://{}", running.local_addr),
        store: store.clone(),
        body,
        n: 1,
    });

    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let lat = Arc::new(std::sync::Mutex::new((
        Vec::<u64>::new(),
        Vec::<u64>::new(),
    )));
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let start = Instant::now();
    let counter = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    match a.rate {
        None => {
            for _ in 0..a.concurrency {
                let (c, done, errors, lat, counter) = (
                    c.clone(),
                    done.clone(),
                    errors.clone(),
                    lat.clone(),
                    counter.clone(),
                );
                handles.push(tokio::spawn(async move {
                    while Instant::now() < deadline {
                        let k = counter.fetch_add(1, Ordering::Relaxed);
                        match transaction(&c, k).await {
                            Ok((s, t)) => {
                                done.fetch_add(1, Ordering::Relaxed);
                                let mut l = lat.lock().unwrap();
                                l.0.push(s);
                                l.1.push(t);
                            }
                            Err(e) => {
                                if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                                    eprintln!("error: {e}");
                                }
                            }
                        }
                    }
                }));
            }
        }
        Some(rate) => {
            let mut tick = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate.max(1)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            while Instant::now() < deadline {
                tick.tick().await;
                let (c, done, errors, lat, counter) = (
                    c.clone(),
                    done.clone(),
                    errors.clone(),
                    lat.clone(),
                    counter.clone(),
                );
                handles.push(tokio::spawn(async move {
                    let k = counter.fetch_add(1, Ordering::Relaxed);
                    match transaction(&c, k).await {
                        Ok((s, t)) => {
                            done.fetch_add(1, Ordering::Relaxed);
                            let mut l = lat.lock().unwrap();
                            l.0.push(s);
                            l.1.push(t);
                        }
                        Err(e) => {
                            if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                                eprintln!("error: {e}");
                            }
                        }
                    }
                }));
            }
        }
    }
    for h in handles {
        let _ = h.await;
    }
    let secs = start.elapsed().as_secs_f64();
    let (mut s, mut t) = std::mem::take(&mut *lat.lock().unwrap());
    let n = done.load(Ordering::Relaxed);
    println!(
        "mode={} size={} transactions={n} errors={} elapsed={secs:.1}s rate={:.0}/s",
        a.rate.map_or(
            format!("closed-loop concurrency={}", a.concurrency),
            |r| format!("open-loop target={r}/s")
        ),
        c.body.len(),
        errors.load(Ordering::Relaxed),
        n as f64 / secs
    );
    println!(
        "submit latency ms: p50={:.1} p90={:.1} p99={:.1} max={:.1}",
        pct(&mut s, 0.50),
        pct(&mut s, 0.90),
        pct(&mut s, 0.99),
        pct(&mut s, 1.0)
    );
    println!(
        "submit+retrieve latency ms: p50={:.1} p99={:.1}",
        pct(&mut t, 0.50),
        pct(&mut t, 0.99)
    );
    let commits = writer.commits.load(Ordering::Relaxed).max(1);
    let ms = |c: &AtomicU64| c.load(Ordering::Relaxed) as f64 / 1e6 / commits as f64;
    println!(
        "store writer: {commits} commits, {:.1} jobs per commit, per commit: {:.2} ms statements, {:.2} ms COMMIT, {:.2} ms body directory sync",
        writer.jobs.load(Ordering::Relaxed) as f64 / commits as f64,
        ms(&writer.run_ns),
        ms(&writer.commit_ns),
        ms(&writer.dir_sync_ns),
    );
    shutdown.trigger();
    running.join().await;
    store.close().await.unwrap();
}

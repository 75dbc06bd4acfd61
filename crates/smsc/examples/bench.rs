//! The SMSC benchmark: submits per second from one ESME through Ferry's SMSC
//! to a bound receiver, with the store in memory and in SQLite, and memory
//! per stored message.
//!
//! ```sh
//! cargo run --release -p ferry-smsc --example bench -- [--count N] [--window W] [--store memory|sqlite|both] [--stored M]
//! ```
//!
//! The SMSC runs in this process (on the same tokio runtime as the two
//! clients, sharing the machine's cores with them). One transmitter session
//! pipelines `submit_sm` (140-octet binary messages, receipts off) with up
//! to W outstanding; one receiver session bound as the handset answers every
//! `deliver_sm` at once. Each message carries its index, so the receiver
//! checks that every message arrived exactly once (loss and duplicates are
//! reported). Then, with no receiver bound, M messages are queued and the
//! growth of the process's resident memory (and, for SQLite, of the
//! database file) is divided by M.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ferry_smpp::{
    Address, Bind, BindMode, Body, CommandId, CommandStatus, DataCoding, EsmClass, FrameDecoder,
    Npi, Pdu, SubmitSm, Ton,
};
use ferry_smsc::{Config, Smsc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

const PHONE: &str = "4790000001";
const ABSENT: &str = "4790000002";

fn config(store: &str) -> Config {
    Config::from_toml(&format!(
        r#"
listen = "127.0.0.1:0"
store = "{store}"
[[accounts]]
system_id = "bench"
password = "bench"
role = "gateway"
[[accounts]]
system_id = "handset"
password = "phone"
role = "handset"
prefixes = ["4790"]
[delivery]
window = 1024
[limits]
max_pending_submits = 100000
max_queued = 10000000
enquire_link_seconds = 0
"#
    ))
    .expect("bench configuration")
}

async fn bind(
    addr: std::net::SocketAddr,
    mode: BindMode,
    id: &str,
    pw: &str,
    range: &str,
) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.set_nodelay(true).unwrap();
    let b = Bind {
        system_id: id.as_bytes(),
        password: pw.as_bytes(),
        address_range: range.as_bytes(),
        ..Default::default()
    };
    s.write_all(&Pdu::new(1, mode.body(b)).to_bytes().unwrap())
        .await
        .unwrap();
    let mut buf = Vec::new();
    let dec = FrameDecoder::new();
    loop {
        let mut chunk = [0u8; 1024];
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "closed during bind");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(f) = dec.next_frame(&buf).unwrap() {
            assert_eq!(
                f.header.command_status,
                CommandStatus::ESME_ROK,
                "bind {id}"
            );
            return s;
        }
    }
}

/// Submits `count` messages to `dest` with `window` outstanding; returns
/// (accepted, rejected, time to the last response).
async fn submit_all(
    addr: std::net::SocketAddr,
    dest: &'static str,
    count: u32,
    window: usize,
) -> (u64, u64, Duration) {
    let s = bind(addr, BindMode::Transmitter, "bench", "bench", "").await;
    let (mut rd, mut wr) = s.into_split();
    let sem = Arc::new(Semaphore::new(window));
    let start = Instant::now();
    let sem2 = sem.clone();
    let writer = tokio::spawn(async move {
        let mut out = Vec::with_capacity(64 * 1024);
        let mut i = 0u32;
        while i < count {
            // Take as many permits as are free (at least one), then write
            // that many submits in one go.
            let first = sem2.acquire().await.unwrap();
            first.forget();
            let mut n = 1;
            while n < 256 && i + n < count {
                match sem2.try_acquire() {
                    Ok(p) => {
                        p.forget();
                        n += 1;
                    }
                    Err(_) => break,
                }
            }
            out.clear();
            for k in i..i + n {
                let mut text = [0x5Au8; 140];
                text[..4].copy_from_slice(&k.to_be_bytes());
                let sm = SubmitSm {
                    source: Address::new(Ton(1), Npi(1), b"9200"),
                    destination: Address::new(Ton(1), Npi(1), dest.as_bytes()),
                    esm_class: EsmClass(0x03),
                    data_coding: DataCoding(0x04),
                    short_message: &text,
                    ..Default::default()
                };
                Pdu::new(k + 2, Body::SubmitSm(sm))
                    .encode(&mut out)
                    .unwrap();
            }
            wr.write_all(&out).await.unwrap();
            i += n;
        }
        wr
    });
    let (mut ok, mut bad) = (0u64, 0u64);
    let mut buf = Vec::with_capacity(128 * 1024);
    let dec = FrameDecoder::new();
    let mut chunk = vec![0u8; 64 * 1024];
    while ok + bad < u64::from(count) {
        let n = rd.read(&mut chunk).await.unwrap();
        assert!(n > 0, "submitter closed after {ok} accepted");
        buf.extend_from_slice(&chunk[..n]);
        let mut used = 0;
        let mut released = 0;
        while let Some(f) = dec.next_frame(&buf[used..]).unwrap() {
            if f.header.command_id == CommandId::SUBMIT_SM_RESP {
                if f.header.command_status.is_ok() {
                    ok += 1
                } else {
                    bad += 1
                }
                released += 1;
            }
            used += f.len();
        }
        buf.drain(..used);
        sem.add_permits(released);
    }
    let elapsed = start.elapsed();
    let _wr = writer.await.unwrap();
    (ok, bad, elapsed)
}

/// The handset: answers every deliver_sm; returns the indices seen and the
/// count of duplicates when `count` have arrived (or after `timeout`).
async fn receive(
    s: TcpStream,
    count: u32,
    seen_at: Arc<AtomicU64>,
    timeout: Duration,
) -> (HashSet<u32>, u64) {
    let (mut rd, mut wr) = s.into_split();
    let mut seen = HashSet::with_capacity(count as usize);
    let mut dups = 0;
    let mut buf = Vec::with_capacity(128 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut out = Vec::with_capacity(64 * 1024);
    let dec = FrameDecoder::new();
    let start = Instant::now();
    while seen.len() < count as usize {
        let Ok(r) =
            tokio::time::timeout(timeout.saturating_sub(start.elapsed()), rd.read(&mut chunk))
                .await
        else {
            break;
        };
        let n = r.unwrap();
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut used = 0;
        out.clear();
        while let Some(f) = dec.next_frame(&buf[used..]).unwrap() {
            if f.header.command_id == CommandId::DELIVER_SM {
                if let Ok(Pdu {
                    body: Body::DeliverSm(d),
                    ..
                }) = f.decode()
                {
                    let k = u32::from_be_bytes([
                        d.short_message[0],
                        d.short_message[1],
                        d.short_message[2],
                        d.short_message[3],
                    ]);
                    if !seen.insert(k) {
                        dups += 1;
                    }
                }
                let resp = Pdu::new(
                    f.header.sequence_number,
                    Body::DeliverSmResp(Default::default()),
                );
                resp.encode(&mut out).unwrap();
            }
            used += f.len();
        }
        buf.drain(..used);
        if !out.is_empty() {
            wr.write_all(&out).await.unwrap();
        }
    }
    seen_at.store(start.elapsed().as_micros() as u64, Ordering::Relaxed);
    (seen, dups)
}

fn rss_bytes() -> u64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = s
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn store_arg(kind: &str, dir: &std::path::Path, tag: &str) -> String {
    if kind == "memory" {
        "memory".into()
    } else {
        dir.join(format!("{tag}.db")).display().to_string()
    }
}

async fn throughput(kind: &str, dir: &std::path::Path, count: u32, window: usize) {
    let smsc = Smsc::start(config(&store_arg(kind, dir, "throughput")))
        .await
        .unwrap();
    let addr = smsc.local_addr();
    let rx = bind(addr, BindMode::Receiver, "handset", "phone", PHONE).await;
    let seen_at = Arc::new(AtomicU64::new(0));
    let recv = tokio::spawn(receive(
        rx,
        count,
        seen_at.clone(),
        Duration::from_secs(300),
    ));
    let t0 = Instant::now();
    let (ok, bad, submit_time) = submit_all(addr, PHONE, count, window).await;
    let (seen, dups) = recv.await.unwrap();
    let total = t0.elapsed();
    let lost = u64::from(count) - seen.len() as u64;
    println!(
        "store={kind:<6} count={count} window={window}: accepted {ok}, rejected {bad}, delivered {} (lost {lost}, duplicates {dups}); \
         submit_sm_resp rate {:.0}/s, end-to-end (submit -> deliver_sm_resp) {:.0}/s in {:.2} s",
        seen.len(),
        f64::from(count) / submit_time.as_secs_f64(),
        seen.len() as f64 / total.as_secs_f64(),
        total.as_secs_f64(),
    );
    smsc.shutdown().await;
}

async fn stored_memory(kind: &str, dir: &std::path::Path, m: u32) {
    let store = store_arg(kind, dir, "stored");
    let smsc = Smsc::start(config(&store)).await.unwrap();
    let addr = smsc.local_addr();
    // Warm up allocator and connections with a small batch first.
    let _ = submit_all(addr, ABSENT, 1000, 512).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_bytes();
    let (ok, _, t) = submit_all(addr, ABSENT, m, 1024).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_bytes();
    let per = after.saturating_sub(before) as f64 / f64::from(m);
    let mut line = format!(
        "store={kind:<6} queued {ok} messages for an absent handset in {:.2} s: RSS +{:.1} MiB = {per:.0} bytes per queued message",
        t.as_secs_f64(),
        after.saturating_sub(before) as f64 / 1048576.0
    );
    smsc.shutdown().await;
    if kind != "memory" {
        let db = std::path::Path::new(&store);
        let size = std::fs::metadata(db).map(|m| m.len()).unwrap_or(0)
            + std::fs::metadata(db.with_extension("db-wal"))
                .map(|m| m.len())
                .unwrap_or(0);
        line += &format!(
            "; database {:.1} MiB = {:.0} bytes per message",
            size as f64 / 1048576.0,
            size as f64 / (ok + 1000) as f64
        );
    }
    println!("{line}");
}

fn main() {
    let mut count = 200_000u32;
    let mut window = 1024usize;
    let mut store = "both".to_owned();
    let mut stored = 100_000u32;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut v = || args.next().expect("a value after the flag");
        match a.as_str() {
            "--count" => count = v().parse().expect("--count N"),
            "--window" => window = v().parse().expect("--window W"),
            "--store" => store = v(),
            "--stored" => stored = v().parse().expect("--stored M"),
            _ => panic!(
                "usage: bench [--count N] [--window W] [--store memory|sqlite|both] [--stored M]"
            ),
        }
    }
    if store == "both" {
        // One process per store, so that memory freed by one run does not
        // flatter the next one's figures.
        for k in ["memory", "sqlite"] {
            let me = std::env::current_exe().expect("own path");
            let status = std::process::Command::new(me)
                .args([
                    "--store",
                    k,
                    "--count",
                    &count.to_string(),
                    "--window",
                    &window.to_string(),
                ])
                .args(["--stored", &stored.to_string()])
                .status()
                .expect("running the benchmark");
            assert!(status.success());
        }
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    println!(
        "store={store}: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    rt.block_on(async {
        // Memory first, in a process that has not yet grown.
        if stored > 0 {
            stored_memory(&store, dir.path(), stored).await;
        }
        if count > 0 {
            throughput(&store, dir.path(), count, window).await;
        }
    });
}

//! Decodes every bare PDU of the shared corpus (the benchmark's corpus:
//! `sailfishos-mms-engine/` and `python-messaging/mms-data/` under
//! `FERRY_VECTORS`, default `../shared/vectors`) N times (default 1,000) and
//! prints the mean time per pass; with a second argument `encode`, encodes
//! their decoded forms instead. For a repeatable instruction count:
//!
//! ```sh
//! cargo build --release -p ferry-mms --example corpus_loop
//! valgrind --tool=callgrind target/release/examples/corpus_loop 20   # I refs / 20 per pass
//! ```
use std::path::{Path, PathBuf};

use ferry_mms::Pdu;

fn walk(d: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(rd) = std::fs::read_dir(d) else { return };
    let mut paths: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "parts") {
                walk(&p, out);
            }
        } else if let Ok(b) = std::fs::read(&p) {
            // Bare PDUs start with X-Mms-Message-Type and decode.
            if b.first() == Some(&0x8C) && Pdu::decode(&b).is_ok() {
                out.push(b);
            }
        }
    }
}

fn main() {
    let dir = std::env::var_os("FERRY_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/vectors"
            ))
        });
    let mut files = Vec::new();
    walk(&dir.join("sailfishos-mms-engine"), &mut files);
    walk(&dir.join("python-messaging/mms-data"), &mut files);
    assert!(!files.is_empty(), "no corpus under {}", dir.display());
    let k: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000);
    let encode = std::env::args().nth(2).is_some_and(|a| a == "encode");
    let pdus: Vec<Pdu<'_>> = files.iter().map(|f| Pdu::decode(f).unwrap()).collect();
    let t = std::time::Instant::now();
    for _ in 0..k {
        if encode {
            for p in &pdus {
                std::hint::black_box(std::hint::black_box(p).to_bytes());
            }
        } else {
            for f in &files {
                std::hint::black_box(Pdu::decode(std::hint::black_box(f)).unwrap());
            }
        }
    }
    println!(
        "{} PDUs, {:.2} µs per {} pass over {k} passes",
        files.len(),
        t.elapsed().as_nanos() as f64 / k as f64 / 1000.0,
        if encode { "encode" } else { "decode" }
    );
}

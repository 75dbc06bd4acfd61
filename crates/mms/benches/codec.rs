//! Decode and encode speed: an M-Notification.ind (~100 octets), an
//! M-Retrieve.conf carrying a 300 KB JPEG-like body with text and SMIL, and
//! every bare PDU of the shared corpus (`FERRY_VECTORS`, default
//! `../shared/vectors`; skipped with a note when absent).
#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ferry_mms::{Address, ContentType, FromValue, Header, Part, Pdu, TimeValue};
use ferry_wsp::{Charset, EncodedString, ParamValue, Parameter};

fn notification() -> Vec<u8> {
    Pdu::notification_ind(
        "NOK5CiKcoTMYSG4MBSwAAsKv14FUHAAAAAAAA",
        "http://mmsc.example.net/m/NOK5CiKcoTMYSG4MBSwAA",
        29_696,
        TimeValue::Relative(72_000),
    )
    .with(Header::From(FromValue::Address(Address::plmn(
        "+447785342749",
    ))))
    .with(Header::Subject(EncodedString::new("Holiday pictures")))
    .to_bytes()
}

fn retrieve_conf() -> Vec<u8> {
    // A JPEG-like body: SOI, then pseudo-random octets, EOI.
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    let mut x: u32 = 0x1234_5678;
    while jpeg.len() < 300 * 1024 - 2 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        jpeg.push(x as u8);
    }
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    let smil = br#"<smil><head><layout><root-layout/><region id="Image" top="0" left="0" height="80%" width="100%"/><region id="Text" top="80%" left="0" height="20%" width="100%"/></layout></head><body><par dur="5000ms"><img src="1.jpg" region="Image"/><text src="2.txt" region="Text"/></par></body></smil>"#;
    let text = "Greetings from the seaside — wish you were here!".as_bytes();
    let utf8 = Parameter::new("charset", ParamValue::Charset(Charset::UTF_8));
    let mk = |ct: ContentType<'static>, id: &'static str, loc: &'static str, body: Vec<u8>| {
        let mut p = Part::new(ct, body);
        p.headers.push(ferry_wsp::multipart::content_id(id));
        p.headers.push(ferry_wsp::multipart::content_location(loc));
        p
    };
    let parts = vec![
        mk(
            ContentType::new("application/smil").with(utf8.clone()),
            "<0>",
            "0.smil",
            smil.to_vec(),
        ),
        mk(
            ContentType::new("image/jpeg").with(Parameter::text("name", "1.jpg")),
            "<1>",
            "1.jpg",
            jpeg,
        ),
        mk(
            ContentType::new("text/plain").with(utf8),
            "<2>",
            "2.txt",
            text.to_vec(),
        ),
    ];
    let ct = ContentType::new("application/vnd.wap.multipart.related")
        .with(Parameter::text("start", "<0>"))
        .with(Parameter::new(
            "type",
            ParamValue::Media(ferry_wsp::MediaType::Name("application/smil".into())),
        ));
    Pdu::retrieve_conf(
        Some("BI3R4V2ISLR41@mmsc".into()),
        Some("BI3R4V2ISLR41".into()),
        Some(Address::plmn("+358500000000")),
        1_400_000_000,
        ct,
        parts,
    )
    .with(Header::Subject(EncodedString::new("Питер")))
    .to_bytes()
}

fn corpus() -> Vec<Vec<u8>> {
    let dir = std::env::var_os("FERRY_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/vectors"
            ))
        });
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
    let mut out = Vec::new();
    walk(&dir.join("sailfishos-mms-engine"), &mut out);
    walk(&dir.join("python-messaging/mms-data"), &mut out);
    out
}

fn bench(c: &mut Criterion) {
    let n = notification();
    let mut g = c.benchmark_group("m-notification.ind");
    g.throughput(Throughput::Bytes(n.len() as u64));
    g.bench_function("decode", |b| b.iter(|| Pdu::decode(black_box(&n)).unwrap()));
    let p = Pdu::decode(&n).unwrap();
    g.bench_function("encode", |b| b.iter(|| black_box(&p).to_bytes()));
    g.finish();

    let r = retrieve_conf();
    let mut g = c.benchmark_group("m-retrieve.conf 300KB");
    g.throughput(Throughput::Bytes(r.len() as u64));
    g.bench_function("decode", |b| b.iter(|| Pdu::decode(black_box(&r)).unwrap()));
    let p = Pdu::decode(&r).unwrap();
    g.bench_function("encode", |b| b.iter(|| black_box(&p).to_bytes()));
    g.finish();

    let files = corpus();
    if files.is_empty() {
        eprintln!("corpus benchmark skipped: no vectors (set FERRY_VECTORS)");
        return;
    }
    let total: usize = files.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group(format!("corpus ({} PDUs)", files.len()));
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("decode", |b| {
        b.iter(|| {
            for f in &files {
                black_box(Pdu::decode(black_box(f)).unwrap());
            }
        })
    });
    let pdus: Vec<Pdu<'_>> = files.iter().map(|f| Pdu::decode(f).unwrap()).collect();
    g.bench_function("encode", |b| {
        b.iter(|| {
            for p in &pdus {
                black_box(p.to_bytes());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

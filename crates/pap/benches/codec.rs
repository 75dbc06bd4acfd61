//! What the push gateway does with every PAP request, without the network:
//! parse a push submission (the `multipart/related` envelope, the control
//! document's XML, the client address) and write the `push-response`.
//! The request is the one `ferry ppg bench` sends.
#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ferry_pap::{Address, PapVersion, PushMessage, PushRequestBuilder, PushResponse, Request, StatusCode, Timestamp};

fn request(body_len: usize) -> (String, Vec<u8>) {
    let mut body = vec![0x8C, 0x82, 0x98];
    body.extend(std::iter::repeat_n(b'x', body_len.saturating_sub(4)));
    body.push(0);
    let m = PushMessage::new("f6930e2a1-0-0-31-1234567", Address::new("WAPPUSH=+15551234567/TYPE=PLMN"));
    let req = PushRequestBuilder::new(&m, "application/vnd.wap.mms-message", &body)
        .application_id("x-wap-application:mms.ua")
        .build()
        .expect("builds");
    (req.content_type, req.body)
}

fn bench(c: &mut Criterion) {
    let (ct, body) = request(60);
    let mut g = c.benchmark_group("pap");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse push submission (60-octet content)", |b| {
        b.iter(|| {
            let Request::Push(p) = Request::parse(black_box(&ct), black_box(&body)).expect("parses") else {
                panic!("not a push")
            };
            let a = p.message.addresses[0].client_address().expect("address");
            black_box((&p.message.push_id, a, p.content.content_type()));
        })
    });
    g.bench_function("write push-response", |b| {
        b.iter(|| {
            let mut r = PushResponse::new(black_box("f6930e2a1-0-0-31-1234567"), StatusCode::ACCEPTED_FOR_PROCESSING);
            r.sender_name = Some("Ferry PPG".to_owned());
            r.reply_time = Timestamp::from_unix(1_796_000_000);
            black_box(r.to_xml(PapVersion::V2_0))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

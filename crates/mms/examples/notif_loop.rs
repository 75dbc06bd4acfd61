//! Decodes the benchmark's M-Notification.ind N times (default 5,000,000)
//! and prints the mean time per decode; with a second argument `encode`,
//! encodes its decoded form N times instead. For profiling and for a
//! repeatable instruction count that does not depend on the machine's load:
//!
//! ```sh
//! cargo build --release -p ferry-mms --example notif_loop
//! valgrind --tool=callgrind target/release/examples/notif_loop 100000          # I refs / 100,000
//! valgrind --tool=callgrind target/release/examples/notif_loop 100000 encode   # the same for encoding
//! ```
use ferry_mms::{Address, FromValue, Header, Pdu, TimeValue};
use ferry_wsp::EncodedString;

fn main() {
    // The same PDU as benches/codec.rs.
    let n = Pdu::notification_ind(
        "NOK5CiKcoTMYSG4MBSwAAsKv14FUHAAAAAAAA",
        "http://mmsc.example.net/m/NOK5CiKcoTMYSG4MBSwAA",
        29_696,
        TimeValue::Relative(72_000),
    )
    .with(Header::From(FromValue::Address(Address::plmn(
        "+447785342749",
    ))))
    .with(Header::Subject(EncodedString::new("Holiday pictures")))
    .to_bytes();
    let k: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000_000);
    let encode = std::env::args().nth(2).is_some_and(|a| a == "encode");
    let p = Pdu::decode(&n).expect("the benchmark PDU decodes");
    let t = std::time::Instant::now();
    for _ in 0..k {
        if encode {
            std::hint::black_box(std::hint::black_box(&p).to_bytes());
        } else {
            std::hint::black_box(
                Pdu::decode(std::hint::black_box(&n)).expect("the benchmark PDU decodes"),
            );
        }
    }
    let what = if encode { "encode" } else { "decode" };
    println!(
        "{} octets, {:.1} ns per {what} over {k} {what}s",
        n.len(),
        t.elapsed().as_nanos() as f64 / k as f64
    );
}

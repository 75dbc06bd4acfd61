//! Decodes the benchmark's M-Notification.ind N times (default 5,000,000)
//! and prints the mean time per decode. For profiling and for a repeatable
//! instruction count that does not depend on the machine's load:
//!
//! ```sh
//! cargo build --release -p ferry-mms --example notif_loop
//! valgrind --tool=callgrind target/release/examples/notif_loop 100000   # I refs / 100,000
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
    let t = std::time::Instant::now();
    for _ in 0..k {
        std::hint::black_box(
            Pdu::decode(std::hint::black_box(&n)).expect("the benchmark PDU decodes"),
        );
    }
    println!(
        "{} octets, {:.1} ns per decode over {k} decodes",
        n.len(),
        t.elapsed().as_nanos() as f64 / k as f64
    );
}

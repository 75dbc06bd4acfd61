//! Password guessing over a real socket on 127.0.0.1: the delay before a
//! bind response grows with each failure from one address, and other
//! addresses are not slowed down. (Wrong password → ESME_RINVPASWD,
//! nothing before bind, and flood throttling: `server.rs`.)

mod common;

use std::time::{Duration, Instant};

use common::*;
use ferry_smpp::{BindMode, CommandStatus};

#[tokio::test]
async fn bind_delay_grows_per_address_and_spares_others() {
    // Test configuration: 3 free failures, then 400 ms, doubling.
    let smsc = start(config("memory")).await;
    let addr = smsc.local_addr();
    let mut guesser = Client::connect_from("127.0.0.2", addr).await;
    for _ in 0..3 {
        assert_eq!(
            guesser.bind(BindMode::Transmitter, "gw", "guess", "").await,
            CommandStatus::ESME_RINVPASWD
        );
    }
    let mut waits = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        assert_eq!(
            guesser.bind(BindMode::Transmitter, "gw", "guess", "").await,
            CommandStatus::ESME_RINVPASWD
        );
        waits.push(t.elapsed());
    }
    eprintln!("bind delays after 3, 4, 5 failures: {waits:?}");
    for (w, want) in waits.iter().zip([400u64, 800, 1600]) {
        assert!(
            *w >= Duration::from_millis(want - 20) && *w < Duration::from_millis(want + 1000),
            "{waits:?}"
        );
    }
    // Another address binds at once, with the right password.
    let mut gw = Client::connect_from("127.0.0.3", addr).await;
    let t = Instant::now();
    assert_eq!(
        gw.bind(BindMode::Transmitter, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );
    assert!(
        t.elapsed() < Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
    // The guesser's address waits even with the right password.
    let mut again = Client::connect_from("127.0.0.2", addr).await;
    let t = Instant::now();
    assert_eq!(
        again.bind(BindMode::Transmitter, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );
    assert!(
        t.elapsed() >= Duration::from_millis(3000),
        "{:?}",
        t.elapsed()
    );
    smsc.shutdown().await;
}

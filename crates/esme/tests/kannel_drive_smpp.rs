//! The client against an SMPP server Ferry did not write: Kannel's
//! `drive_smpp` (kannel-extras, `/usr/lib/kannel/test/drive_smpp`), the
//! SMPP server Kannel's own tests drive bearerbox with.
//!
//! What it does (observed, Kannel 1.4.5): answers bind_transmitter and
//! bind_receiver (not bind_transceiver, which it leaves unanswered) with an
//! empty system_id; answers every submit_sm ESME_ROK with an empty
//! message_id; once a receiver is bound, sends `-m N` deliver_sm (source
//! "456", destination "123", short_message "1".."N", a
//! receipted_message_id TLV, esm_class 0) each followed by an
//! enquire_link; and exits when any client connection closes. About a
//! second after its first client it connects to a bearerbox's smsbox port
//! at 127.0.0.1:13001 and exits (panics) if nothing listens there, so the
//! test listens there. Its listener binds the wildcard address: the
//! `bind-loopback.so` shim from scripts/peers/install.sh keeps it on
//! 127.0.0.1.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ferry_esme::{Backoff, BindMode, Esme, EsmeConfig, Inbound, PushOptions};
use ferry_service::Shutdown;
use ferry_smpp::{Address, Body, Npi, RegisteredDelivery, SubmitSm, Ton};
use tokio::io::AsyncReadExt;

const MESSAGES_TO_ESME: usize = 5;

fn peer_file(env: &str, default: PathBuf) -> PathBuf {
    let p = std::env::var_os(env).map(PathBuf::from).unwrap_or(default);
    assert!(
        p.exists(),
        "{} not found (set {env} or run scripts/peers/install.sh to install Kannel's kannel-extras and build the shim)",
        p.display()
    );
    p
}

fn free_port() -> u16 {
    ferry_service::ports::free_port().unwrap()
}

/// Plays the bearerbox smsbox port drive_smpp insists on connecting to.
async fn fake_smsbox_port() {
    match tokio::net::TcpListener::bind("127.0.0.1:13001").await {
        Ok(l) => {
            tokio::spawn(async move {
                while let Ok((mut s, _)) = l.accept().await {
                    tokio::spawn(async move {
                        let mut buf = [0u8; 4096];
                        while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
                    });
                }
            });
        }
        // Something (a bearerbox) already listens there: drive_smpp will
        // connect to it, which is all it needs.
        Err(e) => {
            eprintln!("127.0.0.1:13001 not bound by the test ({e}); using whatever listens there")
        }
    }
}

fn config(port: u16, mode: BindMode) -> EsmeConfig {
    let mut c = EsmeConfig::new(format!("127.0.0.1:{port}"), "foo", "bar");
    c.name = format!("drive_smpp-{mode:?}");
    c.bind = mode;
    c.system_type = "VMA".into();
    c.response_timeout = Duration::from_secs(5);
    c.queue_timeout = Duration::from_secs(10);
    c.reconnect = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_millis(300),
        multiplier: 1.5,
        jitter: 0.1,
    };
    c
}

async fn read_log(path: &PathBuf) -> String {
    String::from_utf8_lossy(&tokio::fs::read(path).await.unwrap_or_default()).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submits_to_and_receives_from_kannel_drive_smpp() {
    let drive_smpp = peer_file(
        "FERRY_DRIVE_SMPP",
        PathBuf::from("/usr/lib/kannel/test/drive_smpp"),
    );
    let shim = peer_file(
        "FERRY_BIND_SHIM",
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/peers/bind-loopback.so"
        )),
    );
    fake_smsbox_port().await;
    let port = free_port();
    let log_path = std::env::temp_dir().join(format!(
        "ferry-esme-drive-smpp-{}-{port}.log",
        std::process::id()
    ));
    let log_file = std::fs::File::create(&log_path).unwrap();
    let mut child = tokio::process::Command::new(&drive_smpp)
        .args([
            "-p",
            &port.to_string(),
            "-m",
            &MESSAGES_TO_ESME.to_string(),
            "-v",
            "0",
        ])
        .env("LD_PRELOAD", &shim)
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .kill_on_drop(true)
        .spawn()
        .expect("starting drive_smpp");

    // No probing connection: drive_smpp exits when any client disconnects.
    // The clients retry with back-off until it listens.
    let (sd, finished) = Shutdown::new();
    let (tx, _tx_inbound) = Esme::start(config(port, BindMode::Transmitter), sd.clone()).unwrap();
    let (rx, mut inbound) = Esme::start(config(port, BindMode::Receiver), sd.clone()).unwrap();
    let bound = async {
        assert_eq!(tx.bound().await.unwrap(), BindMode::Transmitter);
        assert_eq!(rx.bound().await.unwrap(), BindMode::Receiver);
    };
    if tokio::time::timeout(Duration::from_secs(10), bound)
        .await
        .is_err()
    {
        panic!(
            "not bound to drive_smpp within 10 s: {} / {}\n{}",
            tx.state(),
            rx.state(),
            read_log(&log_path).await
        );
    }

    // Submit: three plain messages and a two-segment WAP push.
    for i in 0..3 {
        let text = format!("ferry {i}");
        let sm = SubmitSm {
            source: Address::new(Ton::UNKNOWN, Npi::ISDN, b"123"),
            destination: Address::new(Ton::INTERNATIONAL, Npi::ISDN, b"358401234567"),
            registered_delivery: RegisteredDelivery::RECEIPT_ALWAYS,
            short_message: text.as_bytes(),
            ..Default::default()
        };
        let out = tx.submit(&sm).await.expect("drive_smpp accepts submit_sm");
        assert_eq!(out.message_id, "", "drive_smpp gives no message_id");
    }
    let datagram: Vec<u8> = (0..200u8).collect();
    let ids = tx
        .submit_wap_push(
            "+358401234567",
            &datagram,
            &PushOptions {
                source_addr: "123".into(),
                ..Default::default()
            },
        )
        .await
        .expect("drive_smpp accepts the push segments");
    assert_eq!(ids.len(), 2);

    // Receive: drive_smpp's deliver_sm "1".."N", each acknowledged by us.
    let mut got = Vec::new();
    let t0 = Instant::now();
    while got.len() < MESSAGES_TO_ESME {
        let msg = match tokio::time::timeout(Duration::from_secs(10), inbound.recv()).await {
            Ok(Some(m)) => m,
            other => panic!(
                "deliver_sm {} of {MESSAGES_TO_ESME} not received ({other:?})\n{}",
                got.len() + 1,
                read_log(&log_path).await
            ),
        };
        let Inbound::Message(m) = msg else {
            panic!("expected a message, got {msg:?}")
        };
        let Body::DeliverSm(d) = m.pdu.pdu().body else {
            panic!("not a deliver_sm")
        };
        assert_eq!(d.source.addr, b"456");
        assert_eq!(d.destination.addr, b"123");
        assert_eq!(
            d.tlvs.receipted_message_id(),
            Some(&b"receipted_message_id"[..])
        );
        got.push(String::from_utf8(m.payload()).unwrap());
        m.accept();
    }
    let expect: Vec<String> = (1..=MESSAGES_TO_ESME).map(|i| i.to_string()).collect();
    assert_eq!(got, expect);
    eprintln!(
        "received {MESSAGES_TO_ESME} deliver_sm in {:?}",
        t0.elapsed()
    );

    // drive_smpp saw our deliver_sm_resp for each.
    let t0 = Instant::now();
    loop {
        let log = read_log(&log_path).await;
        let n = log
            .matches("Handling SMPP PDU of type deliver_sm_resp")
            .count();
        if n >= MESSAGES_TO_ESME {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "drive_smpp saw {n} deliver_sm_resp\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Unbind both; drive_smpp then exits on its own and counts what we sent.
    sd.trigger();
    drop(sd);
    tokio::time::timeout(Duration::from_secs(10), finished.wait())
        .await
        .expect("clients did not stop");
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    let log = read_log(&log_path).await;
    let status = match status {
        Ok(s) => s.unwrap(),
        Err(_) => {
            let _ = child.kill().await;
            panic!("drive_smpp did not exit after the unbind\n{log}");
        }
    };
    assert!(log.contains("Handling SMPP PDU of type unbind"), "{log}");
    assert!(
        log.contains("Number of messages sent to SMSC: 5"),
        "drive_smpp counted other than 5 submit_sm\n{log}"
    );
    assert!(
        log.contains(&format!(
            "Number of messages sent to ESME: {MESSAGES_TO_ESME}"
        )),
        "{log}"
    );
    assert!(status.success(), "drive_smpp exited with {status}\n{log}");
    let _ = std::fs::remove_file(&log_path);
}

//! smpplib (Python, PyPI) against Ferry's SMSC: a two-segment WAP push from
//! one smpplib session to another bound as the handset, byte for byte, with
//! delivery receipts. Needs the peers of `scripts/peers/install.sh`; fails
//! (never skips) without them.

mod common;

use std::path::PathBuf;

fn python() -> PathBuf {
    let venv = std::env::var_os("FERRY_PEERS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../target/peers-venv"
            ))
        });
    let py = venv.join("bin/python");
    assert!(
        py.exists(),
        "smpplib's venv not found at {} (FERRY_PEERS_VENV): run scripts/peers/install.sh",
        venv.display()
    );
    let ok = std::process::Command::new(&py)
        .args(["-c", "import smpplib"])
        .status()
        .map(|s| s.success());
    assert!(
        matches!(ok, Ok(true)),
        "smpplib is not installed in {}: run scripts/peers/install.sh",
        venv.display()
    );
    py
}

/// Two SMS segments of a WAP push (UDH with 16-bit ports 2948 <- 9200 and
/// an 8-bit concatenation reference), as Kannel's PPG would send them.
fn segments() -> Vec<Vec<u8>> {
    let mut push = vec![0x06, 0x26];
    push.extend_from_slice(b"application/vnd.wap.mms-message\0");
    push.extend_from_slice(&[0xAF, 0x84, 0x8D, 0x01, 0x00, 0xC3, 0x93]);
    push.extend((0..=255u8).cycle().take(180)); // every octet value, NULs included
    let (a, b) = push.split_at(128);
    let udh = |seq: u8| {
        vec![
            0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x5A, 0x02, seq,
        ]
    };
    vec![[udh(1), a.to_vec()].concat(), [udh(2), b.to_vec()].concat()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smpplib_wap_push_and_receipts() {
    let py = python();
    let smsc = common::start(common::config("memory")).await;
    let addr = smsc.local_addr();
    let segs = segments();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/peers/smpplib_wap_push.py"
    );
    let mut cmd = tokio::process::Command::new(py);
    cmd.arg(script)
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .arg("4790000042");
    for s in &segs {
        cmd.arg(hex::encode(s));
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), cmd.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "smpplib script failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("the script prints JSON");

    assert_eq!(v["bind_bad_password"], 14, "wrong password: ESME_RINVPASWD");
    let ids: Vec<String> = v["submit_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    let delivered = v["delivered"].as_array().unwrap();
    assert_eq!(delivered.len(), 2, "{v}");
    for (d, s) in delivered.iter().zip(&segs) {
        assert_eq!(
            d["short_message"].as_str().unwrap(),
            hex::encode(s),
            "byte for byte"
        );
        assert_eq!(d["esm_class"], 0x43);
        assert_eq!(d["data_coding"], 0x04);
        assert_eq!(d["source"], "9200");
    }
    assert_eq!(delivered[0]["more_messages_to_send"], 1);
    let receipts = v["receipts"].as_array().unwrap();
    assert_eq!(receipts.len(), 2, "{v}");
    for r in receipts {
        assert_eq!(r["esm_class"], 0x04);
        let text = r["text"].as_str().unwrap();
        let parsed = ferry_smpp::DeliveryReceipt::parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.stat, Some("DELIVRD"), "{text}");
        let id = parsed.id.unwrap();
        assert!(ids.iter().any(|i| i == id), "{text} {ids:?}");
        assert_eq!(r["receipted_message_id"].as_str(), Some(id));
        assert_eq!(r["message_state"], 2);
    }
    smsc.shutdown().await;
}

//! End to end with real peers, over sockets on 127.0.0.1:
//!
//! - Ferry's PAP client → Ferry's gateway → SMPP → Ferry's SMSC → a handset
//!   session bound with its MSISDN; the WSP push decodes to the notification.
//! - Kannel's `test_ppg` → Ferry's gateway → … → the handset, the same.
//! - Ferry's PAP client → Kannel's gateway (bearerbox + wapbox, SMPP link to
//!   Ferry's SMSC) → the handset; Kannel's textual push decodes in Ferry.
//!
//! The Kannel tests fail (never skip) with "run scripts/peers/install.sh"
//! when the peers are missing.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ferry_esme::{BindMode, Esme, EsmeConfig, Inbound};
use ferry_pap::{MessageState, StatusCode};
use ferry_ppg::client::{Credentials, PapClient, PushOptions, PushResponseExt};
use ferry_ppg::peers::{self, Kannel, KannelOptions};
use ferry_service::Shutdown;
use ferry_smpp::{Body, Npi, Ton};
use ferry_sms::{ReassemblyConfig, Reassembler};
use tokio::sync::mpsc;

const MMS: &str = "application/vnd.wap.mms-message";
const MMS_UA: &str = "x-wap-application:mms.ua";
const WAIT: Duration = Duration::from_secs(20);

/// A real-shaped M-Notification.ind (MMS 1.3), `extra` octets longer in its
/// Content-Location.
fn notification(extra: usize) -> Vec<u8> {
    let mut b = vec![0x8C, 0x82, 0x98];
    b.extend_from_slice(b"ferry-0001\0");
    b.extend_from_slice(&[0x8D, 0x93, 0x8A, 0x80, 0x8E, 0x02, 0x0B, 0xB8]);
    b.extend_from_slice(&[0x88, 0x05, 0x81, 0x03, 0x01, 0x51, 0x80]);
    b.push(0x83);
    b.extend_from_slice(b"http://mmsc.example.net/m/6f1c2a9e5b7d4c3a");
    b.extend(std::iter::repeat_n(b'x', extra));
    b.push(0);
    b
}

/// Ferry's SMSC in memory mode with accounts for the gateways and handsets.
async fn smsc() -> ferry_smsc::Smsc {
    let cfg = ferry_smsc::Config::from_toml(
        r#"
listen = "127.0.0.1:0"
store = "memory"
[[accounts]]
system_id = "ppg"
password = "ppgpass"
role = "gateway"
[[accounts]]
system_id = "kannel"
password = "kannel"
role = "gateway"
[[accounts]]
system_id = "phone"
password = "phone"
role = "handset"
"#,
    )
    .unwrap();
    ferry_smsc::Smsc::start(cfg).await.unwrap()
}

/// A handset bound to the SMSC as `msisdn`; yields each reassembled WSP
/// push datagram.
async fn handset(smsc: SocketAddr, msisdn: &str, shutdown: Shutdown) -> mpsc::UnboundedReceiver<Vec<u8>> {
    let mut c = EsmeConfig::new(smsc.to_string(), "phone", "phone");
    c.bind = BindMode::Receiver;
    c.address_range = msisdn.trim_start_matches('+').to_owned();
    c.addr_ton = Ton::INTERNATIONAL;
    c.addr_npi = Npi::ISDN;
    let (esme, mut inbound) = Esme::start(c, shutdown).unwrap();
    tokio::time::timeout(WAIT, esme.bound()).await.expect("handset binds in time").expect("handset bind accepted");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let _keep = esme;
        let mut r: Reassembler<String> = Reassembler::new(ReassemblyConfig::default());
        while let Some(msg) = inbound.recv().await {
            if let Inbound::Message(d) = &msg {
                let (udhi, from) = match d.pdu.pdu().body {
                    Body::DeliverSm(sm) => (sm.esm_class.udhi(), String::from_utf8_lossy(sm.source.addr).into_owned()),
                    _ => (false, String::new()),
                };
                let payload = d.payload();
                if let Ok(Some(done)) = r.handle_short_message(Instant::now(), from, &payload, udhi) {
                    let _ = tx.send(done.payload);
                }
            }
            msg.accept();
        }
    });
    rx
}

/// Ferry's gateway with one SMPP link to `smsc`.
async fn ferry_ppg(smsc: SocketAddr, dir: &std::path::Path, shutdown: Shutdown) -> ferry_ppg::server::Running {
    let text = format!(
        r#"
listen = "127.0.0.1:0"
database = "{db}"
[[initiators]]
name = "mmsc"
username = "mmsc"
password = "secret"
allowed_addresses = ["127.0.0.1"]
[[links]]
name = "ferry-smsc"
address = "{smsc}"
system_id = "ppg"
password = "ppgpass"
source_addr = "9200"
prefixes = ["+"]
"#,
        db = dir.join("ppg.db").display()
    );
    let config: ferry_ppg::Config = ferry_service::config::from_str_with_env(&text, "X", vec![]).unwrap();
    let running = ferry_ppg::server::start(config, shutdown).await.unwrap();
    tokio::time::timeout(WAIT, running.links[0].esme().bound()).await.expect("gateway link binds").unwrap();
    running
}

fn decode_mms_push(datagram: &[u8]) -> ferry_wsp::Push<'_> {
    let push = ferry_wsp::Push::decode(datagram).unwrap_or_else(|e| panic!("WSP push does not decode: {e}: {datagram:02x?}"));
    assert!(push.is_mms(), "not an MMS push: {push:?}");
    push
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ferry_client_through_ferry_gateway_to_a_handset() {
    let smsc = smsc().await;
    let (sd, _fin) = Shutdown::new();
    let dir = tempfile::tempdir().unwrap();
    let msisdn = "+4790000001";
    let mut phone = handset(smsc.local_addr(), msisdn, sd.clone()).await;
    let ppg = ferry_ppg(smsc.local_addr(), dir.path(), sd.clone()).await;
    let client = PapClient::new(&format!("http://{}/pap", ppg.addr), Some(Credentials::basic("mmsc", "secret"))).unwrap();
    for (extra, id) in [(0, "short"), (300, "long")] {
        let body = notification(extra);
        let r = client.push(msisdn, MMS, Some(MMS_UA), &body, id, &PushOptions::default()).await.unwrap();
        assert!(r.is_accepted(), "{r:?}");
        let datagram = tokio::time::timeout(WAIT, phone.recv()).await.expect("push reaches the handset").unwrap();
        let push = decode_mms_push(&datagram);
        assert_eq!(push.body, &body[..]);
        if extra == 0 {
            assert_eq!(&datagram[1..6], &[0x06, 0x03, 0xBE, 0xAF, 0x84], "compact headers");
            assert!(datagram.len() <= 133, "one SMS");
        }
        let m = ferry_mms::Pdu::decode(push.body).expect("M-Notification.ind decodes");
        assert!(format!("{m:?}").contains("mmsc.example.net"));
    }
    // The SMSC's receipts make both pushes delivered.
    let end = Instant::now() + WAIT;
    loop {
        let a = client.status("short").await.unwrap();
        let b = client.status("long").await.unwrap();
        if a.results[0].message_state == MessageState::Delivered && b.results[0].message_state == MessageState::Delivered {
            assert_eq!(a.results[0].code, StatusCode::OK);
            break;
        }
        assert!(Instant::now() < end, "never delivered: {a:?} {b:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sd.trigger();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kannel_test_ppg_through_ferry_gateway_to_a_handset() {
    peers::check_installed().unwrap();
    let smsc = smsc().await;
    let (sd, _fin) = Shutdown::new();
    let dir = tempfile::tempdir().unwrap();
    let msisdn = "+4790000002";
    let mut phone = handset(smsc.local_addr(), msisdn, sd.clone()).await;
    let ppg = ferry_ppg(smsc.local_addr(), dir.path(), sd.clone()).await;
    let body = notification(0);
    let pap = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 2.0//EN\" \"http://www.wapforum.org/DTDs/pap_2.0.dtd\">\n<pap>\n<push-message push-id=\"kannel-test-ppg-1\">\n<address address-value=\"WAPPUSH={msisdn}/TYPE=PLMN@ppg.ferry.test\"/>\n</push-message>\n</pap>\n"
    );
    let url = format!("http://{}/cgi-bin/wap-push.cgi?username=mmsc&password=secret", ppg.addr);
    let out = tokio::task::spawn_blocking({
        let body = body.clone();
        let d = dir.path().to_owned();
        move || peers::run_test_ppg(&url, &body, &pap, &d)
    })
    .await
    .unwrap()
    .unwrap();
    assert!(out.contains("1001"), "test_ppg's push was not accepted; its output:\n{out}");
    let datagram = tokio::time::timeout(WAIT, phone.recv()).await.expect("push reaches the handset").unwrap();
    let push = decode_mms_push(&datagram);
    assert_eq!(push.body, &body[..], "the handset gets test_ppg's notification");
    assert_eq!(&datagram[1..6], &[0x06, 0x03, 0xBE, 0xAF, 0x84]);
    sd.trigger();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ferry_client_through_kannel_gateway_to_a_handset() {
    peers::check_installed().unwrap();
    let smsc = smsc().await;
    let (sd, _fin) = Shutdown::new();
    let dir = tempfile::tempdir().unwrap();
    let msisdn = "+4790000003";
    let mut phone = handset(smsc.local_addr(), msisdn, sd.clone()).await;
    let kannel = Kannel::start(&KannelOptions {
        smsc_port: smsc.local_addr().port(),
        smsc_credentials: ("kannel".into(), "kannel".into()),
        ppg_credentials: ("mmsc".into(), "secret".into()),
        sender: "9200".into(),
        log_level: 1,
        dir: dir.path().join("kannel"),
    })
    .unwrap();
    let client = PapClient::new(&kannel.ppg_base_url, Some(Credentials::query("mmsc", "secret"))).unwrap();
    // Kannel needs its SMPP link up before the push can go out; it queues meanwhile.
    for (extra, id) in [(0, "k-short"), (200, "k-long")] {
        let body = notification(extra);
        let r = client
            .push(msisdn, MMS, Some(MMS_UA), &body, &format!("{id}@ferry.test"), &PushOptions::default())
            .await
            .unwrap();
        assert_eq!(r.result.code, StatusCode::ACCEPTED_FOR_PROCESSING, "Kannel refused: {r:?}\n{}", kannel.log("wapbox.log"));
        let datagram = tokio::time::timeout(WAIT, phone.recv())
            .await
            .unwrap_or_else(|_| panic!("Kannel's push never reached the handset\n{}", kannel.log("bearerbox.log")))
            .unwrap();
        let push = decode_mms_push(&datagram);
        assert_eq!(push.body, &body[..], "Kannel's push decodes to the same notification");
        // Kannel's form: a textual content type and a Content-Length.
        assert_eq!(datagram[3], b'a', "textual content type: {datagram:02x?}");
        assert_eq!(push.content_length(), Some(body.len() as u64));
    }
    // A national number: Kannel answers 2000 (Ferry answers 2002).
    let r = client.push("0401234567", MMS, Some(MMS_UA), &notification(0), "k-national", &PushOptions::default()).await;
    if let Ok(r) = r {
        assert!(!r.is_accepted());
    }
    drop(kannel);
    sd.trigger();
}

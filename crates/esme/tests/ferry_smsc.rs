//! End to end through Ferry's own SMSC (crates/smsc): a gateway client
//! submits a two-segment WAP Push with receipts requested; a handset client
//! bound as receiver for the MSISDN gets both segments and accepts them;
//! the gateway gets the receipts, matched to its reference.

use std::time::Duration;

use ferry_esme::{BindMode, Esme, EsmeConfig, Inbound, PushOptions};
use ferry_service::Shutdown;
use ferry_smpp::{Body, MessageState, Npi, RegisteredDelivery, Ton};
use ferry_smsc::{Config, Smsc};
use tokio::sync::mpsc;

const CONFIG: &str = r#"
listen = "127.0.0.1:0"
store = "memory"
[[accounts]]
system_id = "gw"
password = "gwpass"
role = "gateway"
[[accounts]]
system_id = "handset"
password = "phone"
role = "handset"
prefixes = ["4790"]
[delivery]
retry_seconds = [1]
response_timeout_seconds = 2
"#;

async fn recv(rx: &mut mpsc::Receiver<Inbound>, what: &str) -> Inbound {
    match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
        Ok(Some(i)) => i,
        other => panic!("{what}: nothing within 10 s ({other:?})"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wap_push_through_ferry_smsc_with_receipts() {
    let smsc = Smsc::start(Config::from_toml(CONFIG).unwrap())
        .await
        .expect("SMSC starts");
    let addr = smsc.local_addr().to_string();
    let (sd, finished) = Shutdown::new();

    let mut handset_cfg = EsmeConfig::new(addr.clone(), "handset", "phone");
    handset_cfg.bind = BindMode::Receiver;
    handset_cfg.address_range = "4790123456".into();
    handset_cfg.addr_ton = Ton::INTERNATIONAL;
    handset_cfg.addr_npi = Npi::ISDN;
    let (handset, mut to_handset) = Esme::start(handset_cfg, sd.clone()).unwrap();
    let (gateway, mut to_gateway) =
        Esme::start(EsmeConfig::new(addr, "gw", "gwpass"), sd.clone()).unwrap();
    assert_eq!(handset.bound().await.unwrap(), BindMode::Receiver);
    assert_eq!(gateway.bound().await.unwrap(), BindMode::Transceiver);

    let datagram: Vec<u8> = (0..200u8).collect();
    let opts = PushOptions {
        source_addr: "12345".into(),
        registered_delivery: RegisteredDelivery::RECEIPT_ALWAYS,
        reference: Some("push-1".into()),
        ..Default::default()
    };
    let ids = gateway
        .submit_wap_push("+4790123456", &datagram, &opts)
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert!(ids.iter().all(|id| !id.is_empty()), "{ids:?}");

    let mut data = Vec::new();
    for i in 0..2 {
        let Inbound::Message(m) = recv(&mut to_handset, "segment").await else {
            panic!("not a message")
        };
        let Body::DeliverSm(d) = m.pdu.pdu().body else {
            panic!("not a deliver_sm")
        };
        assert!(d.esm_class.udhi());
        assert_eq!(
            &d.short_message[..9],
            [0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03]
        );
        assert_eq!(d.short_message[11], i + 1);
        data.extend_from_slice(&d.short_message[12..]);
        m.accept();
    }
    assert_eq!(data, datagram);

    let mut receipts = Vec::new();
    for _ in 0..2 {
        let Inbound::Receipt(r) = recv(&mut to_gateway, "receipt").await else {
            panic!("not a receipt")
        };
        assert!(r.matched, "{r:?}");
        assert_eq!(r.reference.as_deref(), Some("push-1"));
        assert_eq!(r.state, Some(MessageState::DELIVERED));
        receipts.push(r.message_id.clone().unwrap());
        r.accept();
    }
    receipts.sort();
    let mut sent = ids.clone();
    sent.sort();
    assert_eq!(receipts, sent);

    sd.trigger();
    drop(sd);
    tokio::time::timeout(Duration::from_secs(10), finished.wait())
        .await
        .expect("clients stop");
    smsc.shutdown().await;
}

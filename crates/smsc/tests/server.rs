//! The SMSC over real sockets on 127.0.0.1.

mod common;

use std::time::{Duration, Instant};

use common::{Client, config, sm, start};
use ferry_smpp::time::RelativeTime;
use ferry_smpp::{
    BindMode, Body, CommandId, CommandStatus, DeliveryReceipt, EsmClass, MessageState,
    RegisteredDelivery, SmppTime, Tlv,
};

const PHONE: &str = "4790000001";

#[tokio::test]
async fn bind_ok_bad_password_and_bind_rules() {
    let smsc = start(config("memory")).await;
    let addr = smsc.local_addr();
    let mut c = Client::connect(addr).await;
    assert_eq!(
        c.bind(BindMode::Transmitter, "gw", "wrong", "").await,
        CommandStatus::ESME_RINVPASWD
    );
    assert_eq!(
        c.bind(BindMode::Transmitter, "nobody", "gwpass", "").await,
        CommandStatus::ESME_RINVPASWD
    );
    assert_eq!(
        c.bind(BindMode::Transmitter, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );
    // Bound already.
    assert_eq!(
        c.bind(BindMode::Transmitter, "gw", "gwpass", "").await,
        CommandStatus::ESME_RALYBND
    );
    // A handset must give an MSISDN it may use; a transmitter-only account
    // may not bind as receiver.
    let mut h = Client::connect(addr).await;
    assert_eq!(
        h.bind(BindMode::Receiver, "handset", "phone", "").await,
        CommandStatus::ESME_RBINDFAIL
    );
    assert_eq!(
        h.bind(BindMode::Receiver, "handset", "phone", "4712345")
            .await,
        CommandStatus::ESME_RBINDFAIL
    );
    assert_eq!(
        h.bind(BindMode::Receiver, "txonly", "tx", "").await,
        CommandStatus::ESME_RBINDFAIL
    );
    assert_eq!(
        h.bind(BindMode::Receiver, "handset", "phone", "+4790000009")
            .await,
        CommandStatus::ESME_ROK
    );
    assert_eq!(smsc.bound_sessions(), 1);
    smsc.shutdown().await;
}

#[tokio::test]
async fn repeated_failed_binds_are_delayed() {
    let smsc = start(config("memory")).await;
    let mut c = Client::connect(smsc.local_addr()).await;
    for _ in 0..3 {
        let t = Instant::now();
        assert_eq!(
            c.bind(BindMode::Transmitter, "gw", "bad", "").await,
            CommandStatus::ESME_RINVPASWD
        );
        assert!(t.elapsed() < Duration::from_millis(300));
    }
    let t = Instant::now();
    assert_eq!(
        c.bind(BindMode::Transmitter, "gw", "bad", "").await,
        CommandStatus::ESME_RINVPASWD
    );
    assert!(
        t.elapsed() >= Duration::from_millis(380),
        "{:?}",
        t.elapsed()
    );
    smsc.shutdown().await;
}

#[tokio::test]
async fn nothing_before_bind() {
    let smsc = start(config("memory")).await;
    let mut c = Client::connect(smsc.local_addr()).await;
    let (status, _) = c.submit(sm("4790000002", PHONE, b"hi")).await;
    assert_eq!(status, CommandStatus::ESME_RINVBNDSTS);
    // enquire_link is allowed in any state (§2.3).
    assert!(c.enquire_link_ok().await);
    assert_eq!(smsc.queued(), 0);
    smsc.shutdown().await;
}

#[tokio::test]
async fn routing_statuses() {
    let smsc = start(config("memory")).await;
    let mut c = Client::connect(smsc.local_addr()).await;
    assert_eq!(
        c.bind(BindMode::Transmitter, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );
    // Not a number, no route, another SMSC's prefix (forwarding).
    assert_eq!(
        c.submit(sm("1", "abc", b"x")).await.0,
        CommandStatus::ESME_RINVDSTADR
    );
    assert_eq!(
        c.submit(sm("1", "4412345", b"x")).await.0,
        CommandStatus::ESME_RINVDSTADR
    );
    assert_eq!(
        c.submit(sm("1", "4791000001", b"x")).await.0,
        CommandStatus::ESME_RSYSERR
    );
    // A local number that is not attached is stored.
    let (status, id) = c.submit(sm("1", "+4790000123", b"x")).await;
    assert_eq!(status, CommandStatus::ESME_ROK);
    assert!(!id.is_empty());
    assert_eq!(smsc.queued(), 1);
    // A receiver-bound session may not submit.
    let mut h = Client::connect(smsc.local_addr()).await;
    assert_eq!(
        h.bind(BindMode::Receiver, "handset", "phone", PHONE).await,
        CommandStatus::ESME_ROK
    );
    assert_eq!(
        h.submit(sm(PHONE, "4790000002", b"x")).await.0,
        CommandStatus::ESME_RINVBNDSTS
    );
    // A transceiver handset submits from its own number only.
    let mut t = Client::connect(smsc.local_addr()).await;
    assert_eq!(
        t.bind(BindMode::Transceiver, "handset", "phone", "4790000005")
            .await,
        CommandStatus::ESME_ROK
    );
    assert_eq!(
        t.submit(sm("4790000006", PHONE, b"x")).await.0,
        CommandStatus::ESME_RINVSRCADR
    );
    assert_eq!(
        t.submit(sm("", PHONE, b"from me")).await.0,
        CommandStatus::ESME_ROK
    );
    let d = h.deliver().await;
    let Body::DeliverSm(d) = d.pdu().body else {
        panic!()
    };
    assert_eq!(d.source.addr, b"4790000005");
    smsc.shutdown().await;
}

/// A gateway (transceiver) submits a two-segment binary message to a
/// handset bound as receiver: it arrives byte for byte, and the gateway
/// gets `stat:DELIVRD` receipts.
#[tokio::test]
async fn local_delivery_with_receipts() {
    let smsc = start(config("memory")).await;
    let addr = smsc.local_addr();
    let mut h = Client::connect(addr).await;
    assert_eq!(
        h.bind(BindMode::Receiver, "handset", "phone", PHONE).await,
        CommandStatus::ESME_ROK
    );
    let mut g = Client::connect(addr).await;
    assert_eq!(
        g.bind(BindMode::Transceiver, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );

    let seg1: Vec<u8> = [
        &hex::decode("0B05040B8423F0000302010206").unwrap()[..],
        &[0xAA; 120],
    ]
    .concat();
    let seg2: Vec<u8> = [
        &hex::decode("0B05040B8423F0000302020206").unwrap()[..],
        &[0xBB; 30],
    ]
    .concat();
    let mut ids = Vec::new();
    for (i, seg) in [&seg1, &seg2].into_iter().enumerate() {
        let mut s = sm("9200", PHONE, seg);
        s.esm_class = EsmClass(0x43);
        s.data_coding = ferry_smpp::DataCoding(0x04);
        s.registered_delivery = RegisteredDelivery(1);
        if i == 0 {
            s.tlvs.push(Tlv::new_more_messages_to_send(1));
        }
        let (status, id) = g.submit(s).await;
        assert_eq!(status, CommandStatus::ESME_ROK);
        ids.push(id);
    }
    for (i, seg) in [&seg1, &seg2].into_iter().enumerate() {
        let p = h.deliver().await;
        let Body::DeliverSm(d) = p.pdu().body else {
            panic!()
        };
        assert_eq!(d.short_message, &seg[..]);
        assert_eq!(d.esm_class, EsmClass(0x43));
        assert_eq!(d.data_coding.0, 0x04);
        assert_eq!(d.source.addr, b"9200");
        assert_eq!(d.destination.addr, PHONE.as_bytes());
        assert_eq!(
            d.tlvs.more_messages_to_send(),
            if i == 0 { Some(1) } else { None }
        );
    }
    for _ in 0..2 {
        let p = g.deliver().await;
        let Body::DeliverSm(d) = p.pdu().body else {
            panic!()
        };
        assert!(d.esm_class.is_delivery_receipt());
        let r = DeliveryReceipt::parse(d.short_message).unwrap();
        assert!(
            ids.iter().any(|id| r.id == Some(id.as_str())),
            "{r:?} {ids:?}"
        );
        assert_eq!(r.stat, Some("DELIVRD"));
        assert_eq!(r.sub, Some(1));
        assert_eq!(r.dlvrd, Some(1));
        assert_eq!(r.err, Some("000"));
        assert_eq!(d.tlvs.message_state(), Some(MessageState::DELIVERED));
        assert_eq!(
            d.tlvs.receipted_message_id().map(<[u8]>::to_vec),
            r.id.map(|s| s.as_bytes().to_vec())
        );
        let text = String::from_utf8(d.short_message.to_vec()).unwrap();
        assert!(
            text.starts_with("id:")
                && text.contains(" submit date:")
                && text.contains(" done date:"),
            "{text}"
        );
    }
    wait_queued(&smsc, 0).await;
    smsc.shutdown().await;
}

async fn wait_queued(smsc: &ferry_smsc::Smsc, n: usize) {
    for _ in 0..100 {
        if smsc.queued() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(smsc.queued(), n);
}

/// Accepted messages survive a restart: submit to a handset that is not
/// attached, stop the SMSC, start a new one on the same database, bind the
/// handset: the message arrives, then the receipt.
#[tokio::test]
async fn store_and_forward_across_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("smsc.db");
    let store = db.to_str().unwrap().to_owned();
    let smsc = start(config(&store)).await;
    let mut g = Client::connect(smsc.local_addr()).await;
    assert_eq!(
        g.bind(BindMode::Transmitter, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );
    let mut s = sm("4790000002", PHONE, b"kept for you");
    s.registered_delivery = RegisteredDelivery(1);
    let (status, id) = g.submit(s).await;
    assert_eq!(status, CommandStatus::ESME_ROK);
    assert_eq!(smsc.queued(), 1);
    drop(g);
    smsc.shutdown().await;

    let smsc = start(config(&store)).await;
    assert_eq!(smsc.queued(), 1);
    let mut h = Client::connect(smsc.local_addr()).await;
    assert_eq!(
        h.bind(BindMode::Receiver, "handset", "phone", PHONE).await,
        CommandStatus::ESME_ROK
    );
    let p = h.deliver().await;
    let Body::DeliverSm(d) = p.pdu().body else {
        panic!()
    };
    assert_eq!(d.short_message, b"kept for you");
    // The receipt waits durably for the gateway, across another restart.
    tokio::time::sleep(Duration::from_millis(300)).await;
    smsc.shutdown().await;
    let smsc = start(config(&store)).await;
    assert_eq!(smsc.queued(), 1, "only the receipt is left");
    let mut g = Client::connect(smsc.local_addr()).await;
    assert_eq!(
        g.bind(BindMode::Receiver, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );
    let p = g.deliver().await;
    let Body::DeliverSm(d) = p.pdu().body else {
        panic!()
    };
    let r = DeliveryReceipt::from_deliver_sm(&d).unwrap();
    assert_eq!(r.id, Some(id.as_str()));
    assert_eq!(r.stat, Some("DELIVRD"));
    assert_eq!(r.text, Some(&b"kept for you"[..]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    smsc.shutdown().await;
    let smsc = start(config(&store)).await;
    assert_eq!(smsc.queued(), 0);
    smsc.shutdown().await;
}

/// A message whose validity ends before the handset attaches is dropped,
/// with an EXPIRED receipt.
#[tokio::test]
async fn validity_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("smsc.db").to_str().unwrap().to_owned();
    let smsc = start(config(&store)).await;
    let mut g = Client::connect(smsc.local_addr()).await;
    assert_eq!(
        g.bind(BindMode::Transceiver, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );
    let mut s = sm("4790000002", PHONE, b"short-lived");
    s.registered_delivery = RegisteredDelivery(1);
    s.validity_period = Some(SmppTime::Relative(RelativeTime {
        seconds: 1,
        ..Default::default()
    }));
    let (status, id) = g.submit(s).await;
    assert_eq!(status, CommandStatus::ESME_ROK);
    let p = g.deliver().await;
    let Body::DeliverSm(d) = p.pdu().body else {
        panic!()
    };
    let r = DeliveryReceipt::from_deliver_sm(&d).unwrap();
    assert_eq!(r.id, Some(id.as_str()));
    assert_eq!(r.stat, Some("EXPIRED"));
    assert_eq!(r.dlvrd, Some(0));
    let mut h = Client::connect(smsc.local_addr()).await;
    assert_eq!(
        h.bind(BindMode::Receiver, "handset", "phone", PHONE).await,
        CommandStatus::ESME_ROK
    );
    assert!(h.no_deliver_within(Duration::from_millis(700)).await);
    // A validity already past is refused.
    let mut s = sm("4790000002", PHONE, b"x");
    s.validity_period = Some(SmppTime::parse(b"200101000000000+").unwrap());
    assert_eq!(g.submit(s).await.0, CommandStatus::ESME_RINVEXPIRY);
    smsc.shutdown().await;
}

/// A refused or unanswered deliver_sm is retried after back-off.
#[tokio::test]
async fn failed_delivery_is_retried() {
    let smsc = start(config("memory")).await;
    let mut h = Client::connect(smsc.local_addr()).await;
    h.auto_ack = false;
    assert_eq!(
        h.bind(BindMode::Transceiver, "handset", "phone", PHONE)
            .await,
        CommandStatus::ESME_ROK
    );
    let mut g = Client::connect(smsc.local_addr()).await;
    assert_eq!(
        g.bind(BindMode::Transmitter, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );
    assert_eq!(
        g.submit(sm("1", PHONE, b"again")).await.0,
        CommandStatus::ESME_ROK
    );
    let first = h.deliver().await;
    h.answer(&first, CommandStatus::ESME_RX_T_APPN).await;
    let t = Instant::now();
    // Unanswered this time: the response timeout (2 s) then back-off (1 s).
    let second = h.deliver().await;
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(first.pdu().body, second.pdu().body);
    h.auto_ack = true;
    let third = h.deliver().await;
    assert_eq!(first.pdu().body, third.pdu().body);
    wait_queued(&smsc, 0).await;
    smsc.shutdown().await;
}

/// Bad input: a malformed body, a length that lies, an unknown command;
/// the session goes on. A length outside the limits closes the session;
/// another session is not affected.
#[tokio::test]
async fn bad_input() {
    let smsc = start(config("memory")).await;
    let addr = smsc.local_addr();
    let mut other = Client::connect(addr).await;
    assert_eq!(
        other.bind(BindMode::Transceiver, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );

    let mut c = Client::connect(addr).await;
    assert_eq!(
        c.bind(BindMode::Transmitter, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );
    // Malformed submit_sm: service_type without its NUL within 6 octets.
    let mut bad = vec![0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 7];
    bad.extend_from_slice(b"ABCDEFGHIJ");
    let len = bad.len() as u32;
    bad[..4].copy_from_slice(&len.to_be_bytes());
    c.send_raw(&bad).await;
    let r = c.response(7).await;
    assert_eq!(r.command_id(), CommandId::SUBMIT_SM_RESP);
    assert!(!r.command_status().is_ok());
    // A length that lies (says 20, the body of enquire_link is empty): the
    // 4 extra octets are inside the frame, so the stream stays in step.
    c.send_raw(&[
        0, 0, 0, 20, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 8, 1, 2, 3, 4,
    ])
    .await;
    let r = c.response(8).await;
    assert_eq!(r.command_id(), CommandId::ENQUIRE_LINK_RESP);
    assert_eq!(r.command_status(), CommandStatus::ESME_RINVCMDLEN);
    // Unknown command: generic_nack ESME_RINVCMDID.
    c.send_raw(&[0, 0, 0, 16, 0, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 9])
        .await;
    let r = c.response(9).await;
    assert_eq!(r.command_id(), CommandId::GENERIC_NACK);
    assert_eq!(r.command_status(), CommandStatus::ESME_RINVCMDID);
    // The session goes on.
    assert!(c.enquire_link_ok().await);
    assert_eq!(
        c.submit(sm("1", PHONE, b"still here")).await.0,
        CommandStatus::ESME_ROK
    );
    // A length beyond the limit: generic_nack, then the SMSC closes.
    c.send_raw(&[0x7F, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 10])
        .await;
    let r = c.read_pdu().await.unwrap();
    assert_eq!(r.command_id(), CommandId::GENERIC_NACK);
    assert_eq!(r.command_status(), CommandStatus::ESME_RINVCMDLEN);
    assert!(c.read_pdu().await.is_none(), "closed");
    // A length below the header size: the same.
    let mut d = Client::connect(addr).await;
    d.send_raw(&[0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1])
        .await;
    assert_eq!(
        d.read_pdu().await.unwrap().command_id(),
        CommandId::GENERIC_NACK
    );
    assert!(d.read_pdu().await.is_none());
    // The other session never noticed.
    assert!(other.enquire_link_ok().await);
    assert_eq!(
        other.submit(sm("1", PHONE, b"fine")).await.0,
        CommandStatus::ESME_ROK
    );
    smsc.shutdown().await;
}

/// A flood of pipelined requests is answered in full (ESME_RTHROTTLED past
/// the limit of submissions awaiting commit), and other sessions go on.
#[tokio::test]
async fn flood() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("smsc.db").to_str().unwrap().to_owned();
    let mut cfg = config(&store);
    cfg.limits.max_pending_submits = 50;
    let smsc = start(cfg).await;
    let addr = smsc.local_addr();
    let mut other = Client::connect(addr).await;
    assert_eq!(
        other.bind(BindMode::Transceiver, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );
    let mut c = Client::connect(addr).await;
    assert_eq!(
        c.bind(BindMode::Transmitter, "gw", "gwpass", "").await,
        CommandStatus::ESME_ROK
    );
    const N: u32 = 3000;
    let mut wire = Vec::new();
    let first = c.next_seq();
    for i in 0..N {
        let s = sm("1", PHONE, b"flood");
        ferry_smpp::Pdu::new(first + i, Body::SubmitSm(s))
            .encode(&mut wire)
            .unwrap();
        // Enquire links mixed in.
        ferry_smpp::Pdu::new(100_000 + i, Body::EnquireLink)
            .encode(&mut wire)
            .unwrap();
    }
    let (mut rd, mut wr) = c.stream.into_split();
    let writer = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        wr.write_all(&wire).await.unwrap();
        wr
    });
    let (mut ok, mut throttled, mut links) = (0, 0, 0);
    let mut buf = Vec::new();
    let dec = ferry_smpp::FrameDecoder::new();
    while ok + throttled + links < 2 * N {
        use tokio::io::AsyncReadExt;
        let mut chunk = [0u8; 65536];
        let n = tokio::time::timeout(Duration::from_secs(20), rd.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed after {ok} {throttled} {links}");
        buf.extend_from_slice(&chunk[..n]);
        while let Some(f) = dec.next_frame(&buf).unwrap() {
            let (id, st, len) = (f.header.command_id, f.header.command_status, f.len());
            match (id, st) {
                (CommandId::SUBMIT_SM_RESP, CommandStatus::ESME_ROK) => ok += 1,
                (CommandId::SUBMIT_SM_RESP, CommandStatus::ESME_RTHROTTLED) => throttled += 1,
                (CommandId::ENQUIRE_LINK_RESP, CommandStatus::ESME_ROK) => links += 1,
                other => panic!("unexpected {other:?}"),
            }
            buf.drain(..len);
        }
        // The other session is served meanwhile.
        if links == N / 2 {
            assert!(other.enquire_link_ok().await);
        }
    }
    let _ = writer.await.unwrap();
    assert_eq!(links, N);
    assert_eq!(ok + throttled, N);
    assert!(ok > 0);
    wait_queued(&smsc, ok as usize).await;
    assert!(other.enquire_link_ok().await);
    smsc.shutdown().await;
}

#[tokio::test]
async fn admin_endpoint() {
    let mut cfg = config("memory");
    cfg.admin = Some("127.0.0.1:0".parse().unwrap());
    let smsc = start(cfg).await;
    let admin = smsc.admin_addr().unwrap();
    let get = |path: &'static str| async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(admin).await.unwrap();
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    };
    let h = get("/healthz").await;
    assert!(h.starts_with("HTTP/1.1 200") && h.contains("ok"), "{h}");
    let m = get("/metrics").await;
    assert!(m.starts_with("HTTP/1.1 200"), "{m}");
    smsc.shutdown().await;
}

#[test]
fn example_config_parses() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/smsc.toml");
    let c = ferry_smsc::Config::load(std::path::Path::new(path)).unwrap();
    assert_eq!(c.accounts.len(), 3);
    assert_eq!(c.routes.len(), 1);
    assert!(matches!(c.store, ferry_smsc::Store::Sqlite(_)));
    let e =
        ferry_smsc::Config::from_toml("listen = \"127.0.0.1:1\"\nstore = \"memory\"\nbogus = 1\n")
            .unwrap_err();
    assert!(format!("{e:#}").contains("bogus"));
}

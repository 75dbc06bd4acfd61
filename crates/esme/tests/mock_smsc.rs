//! The client against a mock SMSC (ferry-smpp's session core as the SMSC)
//! over real sockets on 127.0.0.1.

mod common;

use std::time::{Duration, Instant};

use common::{MockConfig, MockSmsc, OnSubmit};
use ferry_esme::{
    Backoff, BindMode, Error, Esme, EsmeConfig, EsmeState, Inbound, OutbindConfig, PushOptions,
    RateLimit,
};
use ferry_service::Shutdown;
use ferry_smpp::{
    Address, Body, CommandId, CommandStatus, EsmClass, MessageState, Npi, OwnedPdu, Pdu,
    RegisteredDelivery, SubmitSm, Tlv, TlvList, Ton,
};
use tokio::sync::mpsc;

fn config(addr: std::net::SocketAddr) -> EsmeConfig {
    let mut c = EsmeConfig::new(addr.to_string(), "ferry", "secret");
    c.response_timeout = Duration::from_secs(2);
    c.queue_timeout = Duration::from_secs(3);
    c.reconnect = Backoff {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(200),
        multiplier: 2.0,
        jitter: 0.2,
    };
    c
}

fn sm(registered: RegisteredDelivery) -> SubmitSm<'static> {
    SubmitSm {
        source: Address::new(Ton::ALPHANUMERIC, Npi::UNKNOWN, b"Ferry"),
        destination: Address::new(Ton::INTERNATIONAL, Npi::ISDN, b"358401234567"),
        registered_delivery: registered,
        short_message: b"hello",
        ..Default::default()
    }
}

fn deliver(esm_class: u8, text: &[u8], tlvs: TlvList<'_>) -> OwnedPdu {
    let d = SubmitSm {
        source: Address::new(Ton::INTERNATIONAL, Npi::ISDN, b"358401234567"),
        destination: Address::new(Ton::UNKNOWN, Npi::ISDN, b"12345"),
        esm_class: EsmClass(esm_class),
        short_message: text,
        tlvs,
        ..Default::default()
    };
    Pdu::new(0, Body::DeliverSm(d)).to_owned_pdu().unwrap()
}

async fn recv(rx: &mut mpsc::Receiver<Inbound>) -> Inbound {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("no inbound within 5 s")
        .expect("channel closed")
}

async fn start(cfg: EsmeConfig) -> (Esme, mpsc::Receiver<Inbound>, Shutdown) {
    let (sd, _finished) = Shutdown::new();
    let (esme, rx) = Esme::start(cfg, sd.clone()).unwrap();
    (esme, rx, sd)
}

fn resp_statuses(mock: &MockSmsc) -> Vec<(CommandId, CommandStatus)> {
    mock.log(|l| {
        l.responses
            .iter()
            .map(|p| (p.command_id(), p.command_status()))
            .collect()
    })
}

#[tokio::test]
async fn bind_submit_and_receipt_matched_to_reference() {
    let mock = MockSmsc::start(MockConfig::default()).await;
    let (esme, mut rx, _sd) = start(config(mock.addr)).await;
    assert_eq!(esme.bound().await.unwrap(), BindMode::Transceiver);
    assert_eq!(
        mock.log(|l| l.binds.clone()),
        vec![(
            CommandId::BIND_TRANSCEIVER,
            "ferry".to_owned(),
            "secret".to_owned()
        )]
    );

    let out = esme
        .submit_with_reference(&sm(RegisteredDelivery::RECEIPT_ALWAYS), "ref-1")
        .await
        .unwrap();
    assert_eq!(out.message_id, "m1");
    let got = mock.log(|l| l.submits[0].clone());
    let Body::SubmitSm(s) = got.pdu().body else {
        panic!()
    };
    assert_eq!(s.short_message, b"hello");
    assert_eq!(s.registered_delivery, RegisteredDelivery::RECEIPT_ALWAYS);

    // An SMPP 3.4 receipt in the customary text.
    mock.send(deliver(
        0x04,
        b"id:m1 sub:001 dlvrd:001 submit date:2401021530 done date:2401021531 stat:DELIVRD err:000 text:hello",
        TlvList::new(),
    ));
    let Inbound::Receipt(r) = recv(&mut rx).await else {
        panic!("not a receipt")
    };
    assert!(r.matched);
    assert_eq!(r.reference.as_deref(), Some("ref-1"));
    assert_eq!(r.message_id.as_deref(), Some("m1"));
    assert_eq!(r.state, Some(MessageState::DELIVERED));
    assert_eq!(r.error.as_deref(), Some("000"));
    assert!(r.is_final());
    // Not answered until the application says so.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(resp_statuses(&mock).is_empty());
    r.accept();
    mock.wait_log("deliver_sm_resp", |l| !l.responses.is_empty())
        .await;
    assert_eq!(
        resp_statuses(&mock),
        vec![(CommandId::DELIVER_SM_RESP, CommandStatus::ESME_ROK)]
    );

    // A receipt naming the message only by TLVs, with an intermediate state
    // first: the match survives it, and ends with the final one.
    let out = esme
        .submit_with_reference(&sm(RegisteredDelivery::RECEIPT_ALWAYS), "ref-2")
        .await
        .unwrap();
    assert_eq!(out.message_id, "m2");
    for state in [MessageState::ENROUTE, MessageState::UNDELIVERABLE] {
        let tlvs = TlvList::new()
            .with(Tlv::new_receipted_message_id(b"M2"))
            .with(Tlv::new_message_state(state));
        mock.send(deliver(0x04, b"", tlvs));
        let Inbound::Receipt(r) = recv(&mut rx).await else {
            panic!("not a receipt")
        };
        assert!(r.matched, "{state:?}");
        assert_eq!(r.reference.as_deref(), Some("ref-2"));
        assert_eq!(r.state, Some(state));
        r.accept();
    }
    // Unknown id: still delivered, unmatched.
    mock.send(deliver(0x04, b"id:zz9 stat:DELIVRD", TlvList::new()));
    let Inbound::Receipt(r) = recv(&mut rx).await else {
        panic!("not a receipt")
    };
    assert!(!r.matched);
    assert_eq!(r.reference, None);
    assert_eq!(r.message_id.as_deref(), Some("zz9"));
    r.accept();
    mock.wait_log("4 answers", |l| l.responses.len() == 4).await;
}

#[tokio::test]
async fn inbound_message_answered_by_the_application() {
    let mock = MockSmsc::start(MockConfig::default()).await;
    let (esme, mut rx, _sd) = start(config(mock.addr)).await;
    esme.bound().await.unwrap();

    mock.send(deliver(0x00, b"mobile originated", TlvList::new()));
    let Inbound::Message(m) = recv(&mut rx).await else {
        panic!("not a message")
    };
    assert_eq!(m.payload(), b"mobile originated");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(
        resp_statuses(&mock).is_empty(),
        "answered before the application accepted"
    );
    m.accept();
    mock.wait_log("first answer", |l| l.responses.len() == 1)
        .await;

    // A handset refusing: dropped unanswered means "try again later".
    mock.send(deliver(
        0x40,
        &[0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x01],
        TlvList::new(),
    ));
    drop(recv(&mut rx).await);
    mock.wait_log("second answer", |l| l.responses.len() == 2)
        .await;
    // And an explicit permanent rejection.
    mock.send(deliver(0x00, b"no", TlvList::new()));
    recv(&mut rx).await.reject(CommandStatus::ESME_RX_P_APPN);
    mock.wait_log("third answer", |l| l.responses.len() == 3)
        .await;
    assert_eq!(
        resp_statuses(&mock),
        vec![
            (CommandId::DELIVER_SM_RESP, CommandStatus::ESME_ROK),
            (CommandId::DELIVER_SM_RESP, CommandStatus::ESME_RX_T_APPN),
            (CommandId::DELIVER_SM_RESP, CommandStatus::ESME_RX_P_APPN),
        ]
    );
}

#[tokio::test]
async fn wrong_password_is_a_typed_bind_error() {
    let mock = MockSmsc::start(MockConfig::default()).await;
    let mut cfg = config(mock.addr);
    cfg.password = "wrong".into();
    cfg.reconnect.initial = Duration::from_secs(1);
    let (esme, _rx, _sd) = start(cfg).await;
    assert_eq!(
        esme.bound().await,
        Err(Error::BindRejected {
            status: CommandStatus::ESME_RINVPASWD
        })
    );
    assert_eq!(
        esme.state(),
        EsmeState::BindRejected(CommandStatus::ESME_RINVPASWD)
    );
    let e = esme
        .submit(&sm(RegisteredDelivery::NONE))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        Error::BindRejected {
            status: CommandStatus::ESME_RINVPASWD
        }
    );
    assert!(e.not_accepted());
    assert!(mock.log(|l| l.submits.is_empty()));
}

#[tokio::test]
async fn window_limits_outstanding_and_timeouts_free_slots() {
    let mock = MockSmsc::start(MockConfig {
        on_submit: OnSubmit::Ignore,
        ..Default::default()
    })
    .await;
    let mut cfg = config(mock.addr);
    cfg.window = 3;
    cfg.response_timeout = Duration::from_millis(700);
    let (esme, _rx, _sd) = start(cfg).await;
    esme.bound().await.unwrap();
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let e = esme.clone();
            tokio::spawn(async move {
                (
                    e.submit(&sm(RegisteredDelivery::NONE)).await,
                    Instant::now(),
                )
            })
        })
        .collect();
    mock.wait_log("3 submits", |l| l.submits.len() == 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mock.log(|l| l.submits.len()), 3, "window of 3 exceeded");
    // After the first three time out, the other two go out.
    mock.wait_log("5 submits", |l| l.submits.len() == 5).await;
    for t in tasks {
        let (r, at) = t.await.unwrap();
        let e = r.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Timeout {
                    command_id: CommandId::SUBMIT_SM,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.outcome_unknown());
        assert!(
            at - t0 >= Duration::from_millis(650),
            "timed out too early: {:?}",
            at - t0
        );
    }
    assert_eq!(esme.state(), EsmeState::Bound(BindMode::Transceiver));
}

#[tokio::test]
async fn server_close_reconnects_and_rebinds() {
    let mock = MockSmsc::start(MockConfig {
        on_submit: OnSubmit::AcceptThenClose,
        ..Default::default()
    })
    .await;
    let (esme, _rx, _sd) = start(config(mock.addr)).await;
    esme.bound().await.unwrap();
    assert_eq!(
        esme.submit(&sm(RegisteredDelivery::NONE))
            .await
            .unwrap()
            .message_id,
        "m1"
    );
    // The mock hung up after answering: this one waits for the new bind.
    assert_eq!(
        esme.submit(&sm(RegisteredDelivery::NONE))
            .await
            .unwrap()
            .message_id,
        "m2"
    );
    mock.wait_log("second bind", |l| l.binds.len() == 2 && l.connections == 2)
        .await;
    // Closed with a request in flight: the outcome is unknown.
    let mock2 = MockSmsc::start(MockConfig {
        on_submit: OnSubmit::Ignore,
        ..Default::default()
    })
    .await;
    let (esme2, _rx2, _sd2) = start(config(mock2.addr)).await;
    esme2.bound().await.unwrap();
    let e2 = esme2.clone();
    let t = tokio::spawn(async move { e2.submit(&sm(RegisteredDelivery::NONE)).await });
    mock2.wait_log("submit", |l| l.submits.len() == 1).await;
    mock2.close();
    let e = t.await.unwrap().unwrap_err();
    assert_eq!(
        e,
        Error::ConnectionLost {
            command_id: CommandId::SUBMIT_SM
        }
    );
    mock2.wait_log("rebind", |l| l.binds.len() == 2).await;
    esme2.bound().await.unwrap();
}

#[tokio::test]
async fn not_bound_requests_fail_after_the_queue_deadline() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let mut cfg = config(port);
    cfg.queue_timeout = Duration::from_millis(400);
    let (esme, _rx, _sd) = start(cfg).await;
    let t0 = Instant::now();
    let e = esme
        .submit(&sm(RegisteredDelivery::NONE))
        .await
        .unwrap_err();
    assert!(
        t0.elapsed() >= Duration::from_millis(390),
        "{:?}",
        t0.elapsed()
    );
    let Error::NotBound { last_error, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(
        last_error
            .as_deref()
            .unwrap_or("")
            .contains("connecting to"),
        "{e}"
    );
    assert!(e.not_accepted());
}

#[tokio::test]
async fn enquire_link_keeps_the_link_and_detects_a_dead_one() {
    let mock = MockSmsc::start(MockConfig::default()).await;
    let mut cfg = config(mock.addr);
    cfg.enquire_link_interval = Some(Duration::from_millis(100));
    let (esme, _rx, _sd) = start(cfg).await;
    esme.bound().await.unwrap();
    mock.wait_log("enquire_links", |l| {
        l.frames
            .iter()
            .filter(|&&c| c == CommandId::ENQUIRE_LINK)
            .count()
            >= 3
    })
    .await;
    assert_eq!(mock.log(|l| l.binds.len()), 1);
    assert_eq!(esme.state(), EsmeState::Bound(BindMode::Transceiver));

    // A peer that stops answering: the link is dropped and bound again.
    let silent = MockSmsc::start(MockConfig {
        silent_after_bind: true,
        ..Default::default()
    })
    .await;
    let mut cfg = config(silent.addr);
    cfg.enquire_link_interval = Some(Duration::from_millis(100));
    cfg.response_timeout = Duration::from_millis(200);
    let (esme, _rx, _sd) = start(cfg).await;
    esme.bound().await.unwrap();
    silent
        .wait_log("rebind after unanswered enquire_link", |l| {
            l.binds.len() >= 2
        })
        .await;
    assert!(silent.log(|l| l.frames.contains(&CommandId::ENQUIRE_LINK)));
}

#[tokio::test]
async fn rate_limit_spaces_submits() {
    let mock = MockSmsc::start(MockConfig::default()).await;
    let mut cfg = config(mock.addr);
    cfg.rate_limit = Some(RateLimit::per_second(20.0));
    let (esme, _rx, _sd) = start(cfg).await;
    esme.bound().await.unwrap();
    let t0 = Instant::now();
    let futs: Vec<_> = (0..6)
        .map(|_| {
            let e = esme.clone();
            tokio::spawn(async move { e.submit(&sm(RegisteredDelivery::NONE)).await })
        })
        .collect();
    for f in futs {
        f.await.unwrap().unwrap();
    }
    // Six at 20/s with a burst of one: five gaps of 50 ms.
    assert!(
        t0.elapsed() >= Duration::from_millis(240),
        "{:?}",
        t0.elapsed()
    );
}

#[tokio::test]
async fn rejections_and_bind_mode_are_typed() {
    let mock = MockSmsc::start(MockConfig {
        on_submit: OnSubmit::Reject(CommandStatus::ESME_RTHROTTLED),
        ..Default::default()
    })
    .await;
    let (esme, _rx, _sd) = start(config(mock.addr)).await;
    let e = esme
        .submit(&sm(RegisteredDelivery::NONE))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        Error::Rejected {
            command_id: CommandId::SUBMIT_SM,
            status: CommandStatus::ESME_RTHROTTLED
        }
    );

    let mut cfg = config(mock.addr);
    cfg.bind = BindMode::Receiver;
    let (rx_only, _rx, _sd) = start(cfg).await;
    assert_eq!(rx_only.bound().await.unwrap(), BindMode::Receiver);
    let e = rx_only
        .submit(&sm(RegisteredDelivery::NONE))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        Error::WrongBindMode {
            mode: BindMode::Receiver,
            command_id: CommandId::SUBMIT_SM
        }
    );
    assert!(mock.log(|l| l.binds.iter().any(|b| b.0 == CommandId::BIND_RECEIVER)));
}

#[tokio::test]
async fn wap_push_segments_like_kannel() {
    let mock = MockSmsc::start(MockConfig::default()).await;
    let (esme, _rx, _sd) = start(config(mock.addr)).await;
    let datagram: Vec<u8> = (0..200u8).collect();
    let opts = PushOptions {
        source_addr: "12345".into(),
        ..Default::default()
    };
    let ids = esme
        .submit_wap_push("+358401234567", &datagram, &opts)
        .await
        .unwrap();
    assert_eq!(ids, ["m1", "m2"]);
    let ids = esme
        .submit_wap_push("+358401234567", &datagram, &opts)
        .await
        .unwrap();
    assert_eq!(ids, ["m3", "m4"]);
    let subs = mock.log(|l| l.submits.clone());
    let mut refs = Vec::new();
    for (i, p) in subs.iter().enumerate() {
        let Body::SubmitSm(s) = p.pdu().body else {
            panic!()
        };
        assert_eq!(s.esm_class, EsmClass(0x43));
        assert_eq!(s.data_coding.0, 0x04);
        assert_eq!(s.destination.addr, b"358401234567");
        assert_eq!(
            &s.short_message[..9],
            [0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03]
        );
        assert_eq!(s.short_message[11], (i % 2) as u8 + 1, "segment order");
        assert_eq!(s.tlvs.more_messages_to_send(), (i % 2 == 0).then_some(1));
        refs.push(s.short_message[9]);
    }
    assert_eq!(refs[0], refs[1]);
    assert_eq!(refs[2], refs[3]);
    assert_eq!(
        refs[2],
        refs[0].wrapping_add(1),
        "a new reference per push to the destination"
    );
}

#[tokio::test]
async fn shutdown_unbinds_and_stops() {
    let mock = MockSmsc::start(MockConfig::default()).await;
    let (sd, finished) = Shutdown::new();
    let (esme, mut rx) = Esme::start(config(mock.addr), sd.clone()).unwrap();
    esme.bound().await.unwrap();
    sd.trigger();
    drop(sd);
    mock.wait_log("unbind", |l| l.frames.contains(&CommandId::UNBIND))
        .await;
    tokio::time::timeout(Duration::from_secs(5), finished.wait())
        .await
        .expect("driver did not finish");
    assert_eq!(esme.state(), EsmeState::Stopped);
    assert_eq!(
        esme.submit(&sm(RegisteredDelivery::NONE))
            .await
            .unwrap_err(),
        Error::Stopped
    );
    assert!(rx.recv().await.is_none());
}

/// Reads until the session reports something.
async fn next_event(
    sock: &mut tokio::net::TcpStream,
    s: &mut ferry_smpp::Session<u32>,
) -> Option<ferry_smpp::Event<u32>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = [0u8; 4096];
    loop {
        let mut out = Vec::new();
        s.poll_transmit(&mut out);
        sock.write_all(&out).await.unwrap();
        let n = tokio::time::timeout(Duration::from_secs(5), sock.read(&mut buf))
            .await
            .expect("peer silent")
            .unwrap();
        if n == 0 {
            return None;
        }
        if let Some(ev) = s.handle_input(Instant::now(), &buf[..n]).into_iter().next() {
            let mut out = Vec::new();
            s.poll_transmit(&mut out);
            sock.write_all(&out).await.unwrap();
            return Some(ev);
        }
    }
}

#[tokio::test]
async fn outbind_binds_on_the_smscs_connection() {
    use ferry_smpp::{Config, Event, Outbind, Role, Session};
    let listen = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut cfg = config(listen);
    cfg.bind = BindMode::Receiver;
    cfg.outbind = Some(OutbindConfig {
        listen: listen.to_string(),
        system_id: Some("smsc".into()),
        password: Some("pw".into()),
    });
    let (esme, mut rx, _sd) = start(cfg).await;
    let connect = || async {
        let t0 = Instant::now();
        loop {
            match tokio::net::TcpStream::connect(listen).await {
                Ok(s) => return s,
                Err(e) => assert!(
                    t0.elapsed() < Duration::from_secs(5),
                    "ESME not listening: {e}"
                ),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let smsc_cfg = Config {
        enquire_link_interval: None,
        ..Default::default()
    };

    // Wrong credentials: the connection is dropped without a bind.
    let mut sock = connect().await;
    let mut smsc: Session<u32> = Session::new(Role::Smsc, smsc_cfg, Instant::now());
    smsc.outbind(Outbind {
        system_id: b"smsc",
        password: b"nope",
    })
    .unwrap();
    assert!(
        next_event(&mut sock, &mut smsc).await.is_none(),
        "bound despite a wrong outbind password"
    );

    // The right ones: bind_receiver on the SMSC's connection, then delivery.
    let mut sock = connect().await;
    let mut smsc: Session<u32> = Session::new(Role::Smsc, smsc_cfg, Instant::now());
    smsc.outbind(Outbind {
        system_id: b"smsc",
        password: b"pw",
    })
    .unwrap();
    let Some(Event::Request { pdu }) = next_event(&mut sock, &mut smsc).await else {
        panic!("no bind")
    };
    assert_eq!(pdu.command_id(), CommandId::BIND_RECEIVER);
    smsc.accept_bind(Instant::now(), pdu.sequence_number(), b"smsc")
        .unwrap();
    let mut out = Vec::new();
    smsc.poll_transmit(&mut out);
    tokio::io::AsyncWriteExt::write_all(&mut sock, &out)
        .await
        .unwrap();
    assert_eq!(esme.bound().await.unwrap(), BindMode::Receiver);

    let d = deliver(0, b"via outbind", TlvList::new());
    smsc.send_request(Instant::now(), d.pdu().body, 7).unwrap();
    let mut out = Vec::new();
    smsc.poll_transmit(&mut out);
    tokio::io::AsyncWriteExt::write_all(&mut sock, &out)
        .await
        .unwrap();
    let Inbound::Message(m) = recv(&mut rx).await else {
        panic!("not a message")
    };
    assert_eq!(m.payload(), b"via outbind");
    m.accept();
    let Some(Event::Response { token: 7, pdu }) = next_event(&mut sock, &mut smsc).await else {
        panic!("no answer")
    };
    assert_eq!(
        (pdu.command_id(), pdu.command_status()),
        (CommandId::DELIVER_SM_RESP, CommandStatus::ESME_ROK)
    );
}

/// `start_wap_push` calls back once per push, with the ids in segment order
/// or the error, from the client's task, and at once when nothing can be
/// queued.
#[tokio::test]
async fn started_wap_pushes_call_back_with_their_outcome() {
    let mock = MockSmsc::start(MockConfig::default()).await;
    let (esme, _rx, sd) = start(config(mock.addr)).await;
    let opts = PushOptions {
        source_addr: "12345".into(),
        ..Default::default()
    };
    let call = |esme: &Esme, datagram: &[u8]| {
        let (tx, rx) = tokio::sync::oneshot::channel();
        esme.start_wap_push("+358401234567", datagram, &opts, Box::new(move |r| {
            let _ = tx.send(r);
        }));
        rx
    };
    let two: Vec<u8> = (0..200u8).collect();
    assert_eq!(call(&esme, &two).await.unwrap().unwrap(), ["m1", "m2"]);
    assert_eq!(call(&esme, &[1, 2, 3]).await.unwrap().unwrap(), ["m3"]);
    assert_eq!(mock.log(|l| l.submits.len()), 3);
    // Refused by the SMSC: the error of the segment.
    let mock = MockSmsc::start(MockConfig {
        on_submit: OnSubmit::Reject(CommandStatus::ESME_RTHROTTLED),
        ..MockConfig::default()
    })
    .await;
    let (refusing, _rx2, _sd2) = start(config(mock.addr)).await;
    let e = call(&refusing, &two).await.unwrap().unwrap_err();
    assert_eq!(
        e,
        Error::Rejected {
            command_id: CommandId::SUBMIT_SM,
            status: CommandStatus::ESME_RTHROTTLED
        }
    );
    // A stopped client: called at once with the error.
    sd.trigger();
    tokio::time::timeout(Duration::from_secs(5), async {
        while esme.state() != EsmeState::Stopped {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    let mut rx = call(&esme, &two);
    let r = rx.try_recv().expect("answered before start_wap_push returned");
    assert_eq!(r.unwrap_err(), Error::Stopped);
}

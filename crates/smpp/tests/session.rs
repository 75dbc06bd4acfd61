//! The session core driven in memory: an ESME and an SMSC wired together
//! with simulated time (quinn's `Pair` pattern). No sockets, no sleeps.

use std::time::{Duration, Instant};

use ferry_smpp::session::{BindMode, Config, Event, Role, Session, SessionError, State};
use ferry_smpp::*;

struct Pair {
    now: Instant,
    esme: Session<&'static str>,
    smsc: Session<&'static str>,
    esme_events: Vec<Event<&'static str>>,
    smsc_events: Vec<Event<&'static str>>,
    /// Bytes are handed over in chunks of this size (1 = byte by byte).
    chunk: usize,
    /// When false, nothing the SMSC sends reaches the ESME.
    smsc_to_esme: bool,
}

impl Pair {
    fn new(config: Config) -> Pair {
        let now = Instant::now();
        Pair {
            now,
            esme: Session::new(Role::Esme, config, now),
            smsc: Session::new(Role::Smsc, config, now),
            esme_events: Vec::new(),
            smsc_events: Vec::new(),
            chunk: usize::MAX,
            smsc_to_esme: true,
        }
    }

    /// Moves bytes one way and the other; true if any moved.
    fn step(&mut self) -> bool {
        let mut moved = false;
        let mut buf = Vec::new();
        if self.esme.poll_transmit(&mut buf) > 0 {
            moved = true;
            for c in buf.chunks(self.chunk.min(buf.len()).max(1)) {
                self.smsc_events.extend(self.smsc.handle_input(self.now, c));
            }
        }
        buf.clear();
        if self.smsc.poll_transmit(&mut buf) > 0 {
            moved = true;
            if self.smsc_to_esme {
                for c in buf.chunks(self.chunk.min(buf.len()).max(1)) {
                    self.esme_events.extend(self.esme.handle_input(self.now, c));
                }
            }
        }
        moved
    }

    fn drive(&mut self) {
        while self.step() {}
    }

    /// Advances simulated time by `d`, firing timers that come due.
    fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            let next = [self.esme.poll_timeout(), self.smsc.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    self.esme_events.extend(self.esme.handle_timeout(self.now));
                    self.smsc_events.extend(self.smsc.handle_timeout(self.now));
                    self.drive();
                }
                _ => break,
            }
        }
        self.now = end;
    }

    fn bind(&mut self, mode: BindMode) {
        let now = self.now;
        self.esme
            .bind(
                now,
                mode,
                Bind {
                    system_id: b"ferry",
                    password: b"secret",
                    ..Default::default()
                },
            )
            .unwrap();
        self.drive();
        let Some(Event::Request { pdu }) = self.smsc_events.pop() else {
            panic!("no bind request")
        };
        let p = pdu.pdu();
        assert_eq!(BindMode::from_command_id(p.command_id()), Some(mode));
        let system_id = match &p.body {
            Body::BindTransceiver(b) | Body::BindTransmitter(b) | Body::BindReceiver(b) => {
                b.system_id
            }
            _ => panic!(),
        };
        assert_eq!(system_id, b"ferry");
        assert_eq!(self.smsc.state(), State::BindPending(mode));
        self.smsc
            .accept_bind(now, p.sequence_number, b"ferrysmsc")
            .unwrap();
        self.drive();
        assert_eq!(self.smsc.state(), State::Bound(mode));
        assert_eq!(self.esme.state(), State::Bound(mode));
        match self.esme_events.pop() {
            Some(Event::Bound { mode: m, system_id }) => {
                assert_eq!(m, mode);
                assert_eq!(system_id, b"ferrysmsc");
            }
            e => panic!("{e:?}"),
        }
    }
}

fn submit() -> Body<'static> {
    Body::SubmitSm(SubmitSm {
        destination: Address::new(Ton::INTERNATIONAL, Npi::ISDN, b"447700900123"),
        short_message: b"hi",
        ..Default::default()
    })
}

fn quiet() -> Config {
    Config {
        enquire_link_interval: None,
        ..Config::default()
    }
}

#[test]
fn bind_submit_respond_unbind() {
    for chunk in [usize::MAX, 1, 3, 7] {
        let mut p = Pair::new(quiet());
        p.chunk = chunk;
        p.bind(BindMode::Transceiver);
        let now = p.now;
        let seq = p.esme.send_request(now, submit(), "msg-1").unwrap();
        assert_eq!(p.esme.outstanding(), 1);
        p.drive();
        let Some(Event::Request { pdu }) = p.smsc_events.pop() else {
            panic!()
        };
        assert_eq!(pdu.sequence_number(), seq);
        assert_eq!(pdu.command_id(), CommandId::SUBMIT_SM);
        p.smsc
            .respond(
                seq,
                CommandStatus::ESME_ROK,
                Body::SubmitSmResp(SubmitSmResp {
                    message_id: b"m-77",
                    ..Default::default()
                }),
            )
            .unwrap();
        p.drive();
        match p.esme_events.pop() {
            Some(Event::Response { token, pdu }) => {
                assert_eq!(token, "msg-1");
                let Body::SubmitSmResp(r) = pdu.pdu().body else {
                    panic!()
                };
                assert_eq!(r.message_id, b"m-77");
            }
            e => panic!("{e:?}"),
        }
        assert_eq!(p.esme.outstanding(), 0);

        // Delivery the other way: SMSC → ESME, token on the SMSC side.
        let seq = p
            .smsc
            .send_request(now, Body::DeliverSm(DeliverSm::default()), "dlr-1")
            .unwrap();
        p.drive();
        let Some(Event::Request { pdu }) = p.esme_events.pop() else {
            panic!()
        };
        assert_eq!(pdu.command_id(), CommandId::DELIVER_SM);
        // A wrong response type is refused.
        assert_eq!(
            p.esme.respond(
                seq,
                CommandStatus::ESME_ROK,
                Body::SubmitSmResp(SubmitSmResp::default())
            ),
            Err(SessionError::WrongResponse {
                expected: CommandId::DELIVER_SM_RESP,
                got: CommandId::SUBMIT_SM_RESP
            })
        );
        p.esme
            .respond(
                seq,
                CommandStatus::ESME_ROK,
                Body::DeliverSmResp(SubmitSmResp::default()),
            )
            .unwrap();
        assert_eq!(
            p.esme.respond(
                seq,
                CommandStatus::ESME_ROK,
                Body::DeliverSmResp(SubmitSmResp::default())
            ),
            Err(SessionError::UnknownRequest {
                sequence_number: seq
            })
        );
        p.drive();
        assert!(matches!(
            p.smsc_events.pop(),
            Some(Event::Response { token: "dlr-1", .. })
        ));

        // Unbind: both sides end Closed.
        p.esme.unbind(now).unwrap();
        assert_eq!(p.esme.state(), State::Unbinding);
        p.drive();
        assert!(matches!(
            p.smsc_events.pop(),
            Some(Event::Unbound { by_peer: true })
        ));
        assert!(matches!(
            p.esme_events.pop(),
            Some(Event::Unbound { by_peer: false })
        ));
        assert!(p.esme.is_closed() && p.smsc.is_closed());
        assert!(p.esme.send_request(now, submit(), "late").is_err());
    }
}

#[test]
fn nothing_but_bind_before_binding() {
    let mut p = Pair::new(quiet());
    let now = p.now;
    // The API refuses to submit before binding.
    assert_eq!(
        p.esme.send_request(now, submit(), "x"),
        Err(SessionError::InvalidState {
            state: State::Open,
            command_id: CommandId::SUBMIT_SM
        })
    );
    // A peer that submits anyway gets submit_sm_resp ESME_RINVBNDSTS.
    let bytes = Pdu::new(5, submit()).to_bytes().unwrap();
    assert!(p.smsc.handle_input(now, &bytes).is_empty());
    let mut out = Vec::new();
    p.smsc.poll_transmit(&mut out);
    let r = Pdu::decode(&out).unwrap();
    assert_eq!(
        (r.command_id(), r.command_status, r.sequence_number),
        (CommandId::SUBMIT_SM_RESP, CommandStatus::ESME_RINVBNDSTS, 5)
    );
    // enquire_link is answered in any state.
    p.smsc
        .handle_input(now, &Pdu::new(6, Body::EnquireLink).to_bytes().unwrap());
    out.clear();
    p.smsc.poll_transmit(&mut out);
    assert_eq!(
        Pdu::decode(&out).unwrap(),
        Pdu::new(6, Body::EnquireLinkResp)
    );
    // unbind before bind: ESME_RINVBNDSTS.
    p.smsc
        .handle_input(now, &Pdu::new(7, Body::Unbind).to_bytes().unwrap());
    out.clear();
    p.smsc.poll_transmit(&mut out);
    assert_eq!(
        Pdu::decode(&out).unwrap().command_status,
        CommandStatus::ESME_RINVBNDSTS
    );
    assert_eq!(p.smsc.state(), State::Open);
}

#[test]
fn receiver_may_not_submit_and_transmitter_gets_no_delivery() {
    let mut p = Pair::new(quiet());
    p.bind(BindMode::Receiver);
    let now = p.now;
    assert!(matches!(
        p.esme.send_request(now, submit(), "x"),
        Err(SessionError::InvalidState { .. })
    ));
    let mut out = Vec::new();
    p.smsc
        .handle_input(now, &Pdu::new(9, submit()).to_bytes().unwrap());
    p.smsc.poll_transmit(&mut out);
    assert_eq!(
        Pdu::decode(&out).unwrap().command_status,
        CommandStatus::ESME_RINVBNDSTS
    );
    // The receiver is delivered to.
    p.smsc
        .send_request(now, Body::DeliverSm(DeliverSm::default()), "d")
        .unwrap();

    let mut p = Pair::new(quiet());
    p.bind(BindMode::Transmitter);
    assert!(matches!(
        p.smsc
            .send_request(p.now, Body::DeliverSm(DeliverSm::default()), "d"),
        Err(SessionError::InvalidState { .. })
    ));
    let mut out = Vec::new();
    p.esme.handle_input(
        p.now,
        &Pdu::new(3, Body::DeliverSm(DeliverSm::default()))
            .to_bytes()
            .unwrap(),
    );
    p.esme.poll_transmit(&mut out);
    let r = Pdu::decode(&out).unwrap();
    assert_eq!(
        (r.command_id(), r.command_status),
        (CommandId::DELIVER_SM_RESP, CommandStatus::ESME_RINVBNDSTS)
    );
    // Wrong direction (an SMSC does not submit to an ESME): ESME_RINVCMDID.
    out.clear();
    p.esme
        .handle_input(p.now, &Pdu::new(4, submit()).to_bytes().unwrap());
    p.esme.poll_transmit(&mut out);
    assert_eq!(
        Pdu::decode(&out).unwrap().command_status,
        CommandStatus::ESME_RINVCMDID
    );
    // A second bind: ESME_RALYBND.
    out.clear();
    p.smsc.handle_input(
        p.now,
        &Pdu::new(5, Body::BindTransceiver(Bind::default()))
            .to_bytes()
            .unwrap(),
    );
    p.smsc.poll_transmit(&mut out);
    let r = Pdu::decode(&out).unwrap();
    assert_eq!(
        (r.command_id(), r.command_status),
        (
            CommandId::BIND_TRANSCEIVER_RESP,
            CommandStatus::ESME_RALYBND
        )
    );
}

#[test]
fn bind_rejected() {
    let mut p = Pair::new(quiet());
    let now = p.now;
    p.esme
        .bind(
            now,
            BindMode::Transceiver,
            Bind {
                system_id: b"ferry",
                password: b"wrong",
                ..Default::default()
            },
        )
        .unwrap();
    p.drive();
    let Some(Event::Request { pdu }) = p.smsc_events.pop() else {
        panic!()
    };
    p.smsc
        .reject_bind(pdu.sequence_number(), CommandStatus::ESME_RINVPASWD)
        .unwrap();
    p.drive();
    assert!(matches!(
        p.esme_events.pop(),
        Some(Event::BindFailed {
            status: CommandStatus::ESME_RINVPASWD
        })
    ));
    assert_eq!(p.esme.state(), State::Open);
    assert_eq!(p.smsc.state(), State::Open);
    // And it may try again.
    p.bind(BindMode::Transceiver);
}

#[test]
fn window_and_response_timeouts() {
    let config = Config {
        window: 2,
        response_timeout: Duration::from_secs(10),
        ..quiet()
    };
    let mut p = Pair::new(config);
    p.bind(BindMode::Transmitter);
    let t0 = p.now;
    let s1 = p.esme.send_request(t0, submit(), "a").unwrap();
    let s2 = p.esme.send_request(t0, submit(), "b").unwrap();
    assert_ne!(s1, s2);
    assert_eq!(
        p.esme.send_request(t0, submit(), "c"),
        Err(SessionError::WindowFull { window: 2 })
    );
    assert_eq!(p.esme.window_available(), 0);
    assert_eq!(p.esme.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    p.drive();
    // The SMSC answers only "b".
    p.smsc
        .respond(
            s2,
            CommandStatus::ESME_ROK,
            Body::SubmitSmResp(SubmitSmResp::default()),
        )
        .unwrap();
    p.drive();
    assert!(matches!(
        p.esme_events.pop(),
        Some(Event::Response { token: "b", .. })
    ));
    p.advance(Duration::from_secs(9));
    assert!(p.esme_events.is_empty());
    p.advance(Duration::from_secs(2));
    match p.esme_events.pop() {
        Some(Event::Timeout {
            token,
            command_id,
            sequence_number,
        }) => {
            assert_eq!(
                (token, command_id, sequence_number),
                ("a", CommandId::SUBMIT_SM, s1)
            );
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(p.esme.window_available(), 2);
    // A late answer to "a" is reported as unexpected.
    p.smsc
        .respond(
            s1,
            CommandStatus::ESME_ROK,
            Body::SubmitSmResp(SubmitSmResp::default()),
        )
        .unwrap();
    p.drive();
    assert!(matches!(
        p.esme_events.pop(),
        Some(Event::UnexpectedResponse { .. })
    ));
}

#[test]
fn enquire_link_keepalive() {
    let config = Config {
        enquire_link_interval: Some(Duration::from_secs(30)),
        response_timeout: Duration::from_secs(5),
        ..Config::default()
    };
    let mut p = Pair::new(config);
    p.bind(BindMode::Transceiver);
    let t0 = p.now;
    assert_eq!(p.esme.poll_timeout(), Some(t0 + Duration::from_secs(30)));
    // Ten quiet minutes: enquire_links flow both ways, answered silently.
    p.advance(Duration::from_secs(600));
    assert!(p.esme_events.is_empty(), "{:?}", p.esme_events);
    assert!(p.smsc_events.is_empty(), "{:?}", p.smsc_events);
    assert_eq!(p.esme.state(), State::Bound(BindMode::Transceiver));
    // The SMSC goes silent: the ESME's next enquire_link times out.
    p.smsc_to_esme = false;
    let now = p.now;
    p.esme.send_request(now, submit(), "pending").unwrap();
    p.advance(Duration::from_secs(60));
    assert!(p.esme.is_closed());
    assert!(
        p.esme_events
            .iter()
            .any(|e| matches!(e, Event::LinkTimeout))
    );
    // The submit timed out first (5 s) or was aborted at close: never lost.
    assert!(p.esme_events.iter().any(|e| matches!(
        e,
        Event::Timeout {
            token: "pending",
            ..
        } | Event::Aborted {
            token: "pending",
            ..
        }
    )));
}

#[test]
fn unbind_aborts_outstanding_requests() {
    let mut p = Pair::new(quiet());
    p.bind(BindMode::Transceiver);
    let now = p.now;
    p.esme.send_request(now, submit(), "x").unwrap();
    p.drive();
    p.smsc_events.clear();
    // The SMSC unbinds while the ESME still waits for submit_sm_resp.
    p.smsc.unbind(now).unwrap();
    p.drive();
    assert!(
        p.esme_events
            .iter()
            .any(|e| matches!(e, Event::Aborted { token: "x", .. }))
    );
    assert!(
        p.esme_events
            .iter()
            .any(|e| matches!(e, Event::Unbound { by_peer: true }))
    );
    assert!(
        p.smsc_events
            .iter()
            .any(|e| matches!(e, Event::Unbound { by_peer: false }))
    );
}

#[test]
fn malformed_input() {
    let now = Instant::now();
    let mut s: Session<()> = Session::new(Role::Smsc, Config::default(), now);
    let mut out = Vec::new();
    // Unknown command id: generic_nack ESME_RINVCMDID, session continues.
    let ev = s.handle_input(
        now,
        &::hex::decode("0000001000000099000000000000002a").unwrap(),
    );
    assert!(matches!(
        ev.as_slice(),
        [Event::ProtocolError { fatal: false, .. }]
    ));
    s.poll_transmit(&mut out);
    assert_eq!(::hex::encode(&out), "0000001080000000000000030000002a");
    assert_eq!(s.state(), State::Open);
    // command_length 8: generic_nack ESME_RINVCMDLEN and the session closes.
    out.clear();
    let ev = s.handle_input(now, &::hex::decode("000000080000000400000000").unwrap());
    assert!(matches!(
        ev.as_slice(),
        [Event::ProtocolError { fatal: true, .. }]
    ));
    s.poll_transmit(&mut out);
    assert_eq!(::hex::encode(&out), "00000010800000000000000200000000");
    assert!(s.is_closed());
    // Oversized: same.
    let mut s: Session<()> = Session::new(
        Role::Smsc,
        Config {
            max_command_length: 1000,
            ..Config::default()
        },
        now,
    );
    let ev = s.handle_input(
        now,
        &::hex::decode("000003e9000000040000000000000007").unwrap(),
    );
    assert!(matches!(
        ev.as_slice(),
        [Event::ProtocolError { fatal: true, .. }]
    ));
    out.clear();
    s.poll_transmit(&mut out);
    assert_eq!(::hex::encode(&out), "00000010800000000000000200000007");
}

#[test]
fn arbitrary_input_never_panics() {
    // A small deterministic generator (no extra dependency): xorshift.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let now = Instant::now();
    for round in 0..2000 {
        let role = if round % 2 == 0 {
            Role::Smsc
        } else {
            Role::Esme
        };
        let mut s: Session<u32> = Session::new(role, Config::default(), now);
        let len = (next() % 200) as usize;
        let mut data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        // Often make the length plausible so bodies get decoded.
        if data.len() >= 4 && round % 3 != 0 {
            let l = (data.len() as u32).to_be_bytes();
            data[..4].copy_from_slice(&l);
            if data.len() >= 8 {
                data[4..8].copy_from_slice(&[
                    (next() % 2) as u8 * 0x80,
                    0,
                    (next() % 2) as u8,
                    (next() % 0x22) as u8,
                ]);
            }
        }
        let _ = s.handle_input(now, &data);
        let _ = s.handle_timeout(now + Duration::from_secs(100));
        let mut out = Vec::new();
        s.poll_transmit(&mut out);
        // Whatever the session sends is well formed.
        let mut rest = &out[..];
        while !rest.is_empty() {
            let f = FrameDecoder::new().next_frame(rest).unwrap().unwrap();
            f.decode().unwrap();
            rest = &rest[f.len()..];
        }
    }
}

#[test]
fn outbind_and_alert_notification() {
    let now = Instant::now();
    let mut p = Pair::new(quiet());
    p.smsc
        .outbind(Outbind {
            system_id: b"smsc",
            password: b"pw",
        })
        .unwrap();
    p.drive();
    let Some(Event::Request { pdu }) = p.esme_events.pop() else {
        panic!()
    };
    assert_eq!(pdu.command_id(), CommandId::OUTBIND);
    p.bind(BindMode::Receiver);
    p.smsc
        .send_request(
            now,
            Body::AlertNotification(AlertNotification::default()),
            "alert",
        )
        .unwrap();
    assert_eq!(
        p.smsc.outstanding(),
        0,
        "alert_notification has no response"
    );
    p.drive();
    let Some(Event::Request { pdu }) = p.esme_events.pop() else {
        panic!()
    };
    assert_eq!(pdu.command_id(), CommandId::ALERT_NOTIFICATION);
    let mut out = Vec::new();
    assert_eq!(
        p.esme.poll_transmit(&mut out),
        0,
        "nothing answers an alert"
    );
}

#[test]
fn broken_response_finishes_its_request() {
    let mut p = Pair::new(quiet());
    p.bind(BindMode::Transmitter);
    let now = p.now;
    let seq = p.esme.send_request(now, submit(), "m").unwrap();
    p.drive();
    // submit_sm_resp whose message_id lacks its NUL.
    let mut bytes = ::hex::decode("00000013800000040000000000000000616263").unwrap();
    bytes[12..16].copy_from_slice(&seq.to_be_bytes());
    let ev = p.esme.handle_input(now, &bytes);
    assert!(
        matches!(ev.first(), Some(Event::BadResponse { token: "m", .. })),
        "{ev:?}"
    );
    assert_eq!(p.esme.outstanding(), 0);
    let mut out = Vec::new();
    p.esme.poll_transmit(&mut out);
    let nack = Pdu::decode(&out).unwrap();
    assert_eq!(
        (nack.command_id(), nack.sequence_number),
        (CommandId::GENERIC_NACK, seq)
    );
}

/// A request queued already encoded goes out with the session's sequence
/// number and the same bytes otherwise, counts against the window, and
/// its response finds its token.
#[test]
fn an_encoded_request_is_sent_as_it_is_with_its_sequence_number() {
    let mut p = Pair::new(Config {
        window: 2,
        ..quiet()
    });
    p.bind(BindMode::Transceiver);
    let now = p.now;
    let owned = Pdu::new(0, submit()).to_owned_pdu().unwrap();
    let s1 = p.esme.send_request_owned(now, &owned, "a").unwrap();
    let s2 = p.esme.send_request(now, submit(), "b").unwrap();
    assert_ne!(s1, s2);
    assert!(matches!(
        p.esme.send_request_owned(now, &owned, "c"),
        Err(SessionError::WindowFull { window: 2 })
    ));
    p.drive();
    let mut got = Vec::new();
    while let Some(Event::Request { pdu }) = p.smsc_events.pop() {
        got.push(pdu);
    }
    got.sort_by_key(|p| p.sequence_number());
    let first = got.iter().find(|p| p.sequence_number() == s1).unwrap();
    assert_eq!(first.as_bytes()[16..], owned.as_bytes()[16..]);
    assert_eq!(first.as_bytes()[..12], owned.as_bytes()[..12]);
    p.smsc
        .respond(s1, CommandStatus::ESME_ROK, Body::SubmitSmResp(SubmitSmResp { message_id: b"m1", ..Default::default() }))
        .unwrap();
    p.drive();
    match p.esme_events.pop() {
        Some(Event::Response { token, .. }) => assert_eq!(token, "a"),
        e => panic!("{e:?}"),
    }
    // A response is no request.
    let resp = Pdu::new(0, Body::EnquireLinkResp).to_owned_pdu().unwrap();
    assert!(matches!(
        p.esme.send_request_owned(now, &resp, "x"),
        Err(SessionError::NotARequest { .. })
    ));
}

//! The retrieval state machine, in memory with simulated time.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ferry_handset::config::{RetrievalConfig, RetrievalMode};
use ferry_handset::retrieval::{Action, Alert, FetchError, Recorded, Report, Retriever};
use ferry_mms::{
    Address, ContentType, FromValue, Header, MessageType, Pdu, RetrieveStatus, Status, TimeValue,
    YesNo,
};
use ferry_wsp::{ApplicationId, Part, Push};

fn notification(tid: &str, size: u64, from: Option<&str>) -> Vec<u8> {
    let mut p = Pdu::notification_ind(
        tid.to_owned(),
        format!("http://mmsc.example/m/{tid}"),
        size,
        TimeValue::Relative(3600),
    );
    if let Some(f) = from {
        p = p.with(Header::From(FromValue::Address(Address::plmn(f))));
    }
    p = p.with(Header::Subject(ferry_wsp::EncodedString::new("hello")));
    p.to_bytes()
}

fn push(body: &[u8]) -> Vec<u8> {
    Push::mms(1, body).with_content_length().to_bytes()
}

fn retrieve_conf(tid: &str) -> Vec<u8> {
    Pdu::retrieve_conf(
        Some(tid.to_owned().into()),
        Some("MID-1".into()),
        Some(Address::plmn("+15550001")),
        1_700_000_000,
        ContentType::new("application/vnd.wap.multipart.mixed"),
        vec![Part::new(ContentType::new("text/plain"), b"hi".to_vec())],
    )
    .to_bytes()
}

fn policy() -> RetrievalConfig {
    RetrievalConfig {
        retry_backoff_ms: 1000,
        retry_backoff_max_ms: 8000,
        max_attempts: 3,
        ..RetrievalConfig::default()
    }
}

fn drain(r: &mut Retriever) -> Vec<Action> {
    std::iter::from_fn(|| r.poll_action()).collect()
}

/// The message type and status of a posted PDU.
fn posted(a: &Action) -> (MessageType, Option<Status>, Option<YesNo>) {
    let Action::Post { pdu, .. } = a else {
        panic!("not a post: {a:?}")
    };
    let p = Pdu::decode(pdu).unwrap();
    let allowed = p.headers.iter().find_map(|h| match h {
        Header::ReportAllowed(v) => Some(*v),
        _ => None,
    });
    (p.message_type().unwrap(), p.status(), allowed)
}

#[test]
fn immediate_fetches_then_acknowledges_after_store() {
    let mut r = Retriever::new(policy(), true);
    r.handle_push(&push(&notification("T1", 1000, Some("+15550001"))));
    let a = drain(&mut r);
    assert!(
        matches!(&a[0], Action::Record { state: Recorded::Fetching, notice, .. } if notice.transaction_id == "T1" && notice.from.as_deref() == Some("+15550001"))
    );
    assert_eq!(
        a[1],
        Action::Fetch {
            transaction_id: "T1".into(),
            url: "http://mmsc.example/m/T1".into(),
            attempt: 1
        }
    );
    assert_eq!(a.len(), 2);
    assert!(!r.is_idle());
    r.handle_fetched(Instant::now(), "T1", Ok(retrieve_conf("T1")));
    let a = drain(&mut r);
    assert!(
        matches!(&a[..], [Action::Store { transaction_id, .. }] if transaction_id == "T1"),
        "{a:?}"
    );
    r.handle_stored("T1", Ok(()));
    let a = drain(&mut r);
    assert_eq!(
        posted(&a[0]),
        (
            MessageType::NOTIFYRESP_IND,
            Some(Status::RETRIEVED),
            Some(YesNo::YES)
        )
    );
    assert!(
        matches!(&a[1], Action::Alert(Alert::Received { transaction_id, subject, .. }) if transaction_id == "T1" && subject.as_deref() == Some("hello"))
    );
    assert!(r.is_idle());
}

#[test]
fn deferred_alerts_first_and_acknowledges_after_fetch() {
    let mut r = Retriever::new(
        RetrievalConfig {
            mode: RetrievalMode::Deferred,
            ..policy()
        },
        false,
    );
    r.handle_push(&push(&notification("T2", 1000, Some("+15550001"))));
    let a = drain(&mut r);
    assert!(matches!(
        &a[0],
        Action::Record {
            state: Recorded::Deferred,
            ..
        }
    ));
    assert_eq!(
        posted(&a[1]),
        (
            MessageType::NOTIFYRESP_IND,
            Some(Status::DEFERRED),
            Some(YesNo::NO)
        )
    );
    let Action::Alert(Alert::Pending(n)) = &a[2] else {
        panic!("{a:?}")
    };
    assert_eq!(
        (n.from.as_deref(), n.subject.as_deref(), n.size),
        (Some("+15550001"), Some("hello"), Some(1000))
    );
    assert_eq!(a.len(), 3);
    assert!(r.is_idle());
    r.fetch("T2").unwrap();
    assert!(
        r.fetch("T2").is_err(),
        "a second fetch while one is out is refused"
    );
    assert!(matches!(
        drain(&mut r)[..],
        [Action::Fetch { attempt: 1, .. }]
    ));
    r.handle_fetched(Instant::now(), "T2", Ok(retrieve_conf("T2")));
    assert!(matches!(drain(&mut r)[..], [Action::Store { .. }]));
    r.handle_stored("T2", Ok(()));
    let a = drain(&mut r);
    assert_eq!(
        posted(&a[0]),
        (MessageType::ACKNOWLEDGE_IND, None, Some(YesNo::NO))
    );
    assert!(matches!(&a[1], Action::Alert(Alert::Received { .. })));
    assert!(r.fetch("T2").is_err(), "nothing left to fetch");
    assert!(r.fetch("nope").is_err());
}

#[test]
fn duplicate_notification_is_not_fetched_twice() {
    let mut r = Retriever::new(policy(), true);
    let p = push(&notification("T3", 10, Some("+1")));
    r.handle_push(&p);
    assert_eq!(drain(&mut r).len(), 2);
    r.handle_push(&p);
    assert_eq!(
        drain(&mut r),
        [Action::Alert(Alert::Duplicate {
            transaction_id: "T3".into()
        })]
    );
    // After a restart, transaction ids from the index are remembered.
    let mut r = Retriever::new(policy(), true);
    r.remember("T3");
    r.handle_push(&p);
    assert_eq!(
        drain(&mut r),
        [Action::Alert(Alert::Duplicate {
            transaction_id: "T3".into()
        })]
    );
}

#[test]
fn non_mms_pushes_are_ignored() {
    let mut r = Retriever::new(policy(), true);
    // A Service Indication (application/vnd.wap.sic, app id wml.ua).
    let si = Push::new(
        2,
        ContentType::new("application/vnd.wap.sic"),
        Some(ApplicationId::Code(2)),
        b"\x02\x05\x6a\x00\x45\xc6\x01",
    )
    .to_bytes();
    r.handle_push(&si);
    let a = drain(&mut r);
    assert!(
        matches!(&a[..], [Action::Alert(Alert::Ignored { what })] if what.contains("application/vnd.wap.sic")),
        "{a:?}"
    );
    // Provisioning (application/vnd.wap.connectivity-wbxml).
    let prov = Push::new(
        3,
        ContentType::new("application/vnd.wap.connectivity-wbxml"),
        None,
        b"\x03\x0b",
    )
    .to_bytes();
    r.handle_push(&prov);
    assert!(matches!(
        &drain(&mut r)[..],
        [Action::Alert(Alert::Ignored { .. })]
    ));
    // Not a push at all, and an MMS push whose body is garbage.
    r.handle_push(b"This is not a valid WAP push PDU");
    assert!(matches!(
        &drain(&mut r)[..],
        [Action::Alert(Alert::Ignored { .. })]
    ));
    r.handle_push(&push(b"\x8c\x82garbage"));
    assert!(matches!(
        &drain(&mut r)[..],
        [Action::Alert(Alert::Ignored { .. })]
    ));
    // An M-NotifyResp.ind pushed to the phone (UnsupportedPush).
    r.handle_push(&push(
        &Pdu::notifyresp_ind("x", Status::RETRIEVED).to_bytes(),
    ));
    assert!(matches!(
        &drain(&mut r)[..],
        [Action::Alert(Alert::Ignored { .. })]
    ));
    assert!(r.is_idle());
}

#[test]
fn transient_failures_retry_with_backoff_then_give_up() {
    let mut r = Retriever::new(policy(), true);
    let t0 = Instant::now();
    r.handle_push(&push(&notification("T4", 10, Some("+1"))));
    drain(&mut r);
    let fail = || {
        Err(FetchError {
            transient: true,
            reason: "connection refused".into(),
        })
    };
    r.handle_fetched(t0, "T4", fail());
    assert!(drain(&mut r).is_empty());
    assert_eq!(r.poll_timeout(), Some(t0 + Duration::from_secs(1)));
    r.handle_timeout(t0 + Duration::from_millis(999));
    assert!(drain(&mut r).is_empty());
    let t1 = t0 + Duration::from_secs(1);
    r.handle_timeout(t1);
    assert!(matches!(
        drain(&mut r)[..],
        [Action::Fetch { attempt: 2, .. }]
    ));
    r.handle_fetched(t1, "T4", fail());
    assert_eq!(
        r.poll_timeout(),
        Some(t1 + Duration::from_secs(2)),
        "back-off doubles"
    );
    let t2 = t1 + Duration::from_secs(2);
    r.handle_timeout(t2);
    assert!(matches!(
        drain(&mut r)[..],
        [Action::Fetch { attempt: 3, .. }]
    ));
    r.handle_fetched(t2, "T4", fail());
    let a = drain(&mut r);
    assert!(
        matches!(&a[0], Action::MarkFailed { reason, .. } if reason.contains("after 3 attempts")),
        "{a:?}"
    );
    assert!(matches!(&a[1], Action::Alert(Alert::Failed { .. })));
    assert_eq!(r.poll_timeout(), None);
    // The user may try again.
    r.fetch("T4").unwrap();
    assert!(matches!(
        drain(&mut r)[..],
        [Action::Fetch { attempt: 1, .. }]
    ));
    r.handle_fetched(t2, "T4", Ok(retrieve_conf("T4")));
    drain(&mut r);
    r.handle_stored("T4", Ok(()));
    // No M-NotifyResp.ind went out before: the answer is NotifyResp Retrieved.
    assert_eq!(posted(&drain(&mut r)[0]).1, Some(Status::RETRIEVED));
}

#[test]
fn a_retry_that_succeeds() {
    let mut r = Retriever::new(policy(), true);
    let t0 = Instant::now();
    r.handle_push(&push(&notification("T4b", 10, Some("+1"))));
    drain(&mut r);
    r.handle_fetched(
        t0,
        "T4b",
        Err(FetchError {
            transient: true,
            reason: "HTTP 503".into(),
        }),
    );
    r.handle_timeout(t0 + Duration::from_secs(5));
    assert!(matches!(
        drain(&mut r)[..],
        [Action::Fetch { attempt: 2, .. }]
    ));
    r.handle_fetched(t0, "T4b", Ok(retrieve_conf("T4b")));
    assert!(matches!(drain(&mut r)[..], [Action::Store { .. }]));
}

#[test]
fn permanent_failure_and_retrieve_status() {
    let mut r = Retriever::new(policy(), true);
    r.handle_push(&push(&notification("T5", 10, Some("+1"))));
    drain(&mut r);
    r.handle_fetched(
        Instant::now(),
        "T5",
        Err(FetchError {
            transient: false,
            reason: "HTTP 404".into(),
        }),
    );
    let a = drain(&mut r);
    assert!(
        matches!(
            &a[..],
            [
                Action::MarkFailed { .. },
                Action::Alert(Alert::Failed { .. })
            ]
        ),
        "{a:?}"
    );
    // Retrieve-Status permanent error: no answer (the message is gone), failed.
    r.handle_push(&push(&notification("T6", 10, Some("+1"))));
    drain(&mut r);
    let gone = Pdu::new(MessageType::RETRIEVE_CONF, None, ferry_mms::Version::V1_2)
        .with(Header::RetrieveStatus(
            RetrieveStatus::PERMANENT_MESSAGE_NOT_FOUND,
        ))
        .to_bytes();
    r.handle_fetched(Instant::now(), "T6", Ok(gone));
    let a = drain(&mut r);
    assert!(
        matches!(&a[..], [Action::MarkFailed { reason, .. }, Action::Alert(Alert::Failed { .. })] if reason.contains("not-found")),
        "{a:?}"
    );
    // Retrieve-Status transient error: retried.
    r.handle_push(&push(&notification("T7", 10, Some("+1"))));
    drain(&mut r);
    let later = Pdu::new(MessageType::RETRIEVE_CONF, None, ferry_mms::Version::V1_2)
        .with(Header::RetrieveStatus(
            RetrieveStatus::TRANSIENT_NETWORK_PROBLEM,
        ))
        .to_bytes();
    r.handle_fetched(Instant::now(), "T7", Ok(later));
    assert!(drain(&mut r).is_empty());
    assert!(r.poll_timeout().is_some());
}

#[test]
fn undecodable_pdu_is_answered_unrecognised() {
    let mut r = Retriever::new(policy(), true);
    r.handle_push(&push(&notification("T8", 10, Some("+1"))));
    drain(&mut r);
    r.handle_fetched(
        Instant::now(),
        "T8",
        Ok(b"<html>Not an MMS</html>".to_vec()),
    );
    let a = drain(&mut r);
    assert_eq!(posted(&a[0]).1, Some(Status::UNRECOGNISED));
    assert!(matches!(&a[1], Action::MarkFailed { .. }));
    assert!(matches!(&a[2], Action::Alert(Alert::Failed { .. })));
    // A decodable PDU of the wrong type is unrecognised too.
    r.handle_push(&push(&notification("T9", 10, Some("+1"))));
    drain(&mut r);
    r.handle_fetched(
        Instant::now(),
        "T9",
        Ok(Pdu::notifyresp_ind("T9", Status::RETRIEVED).to_bytes()),
    );
    assert_eq!(posted(&drain(&mut r)[0]).1, Some(Status::UNRECOGNISED));
}

#[test]
fn too_big_is_deferred() {
    let mut r = Retriever::new(
        RetrievalConfig {
            max_auto_size: 5000,
            ..policy()
        },
        true,
    );
    r.handle_push(&push(&notification("T10", 5001, Some("+1"))));
    let a = drain(&mut r);
    assert!(matches!(
        &a[0],
        Action::Record {
            state: Recorded::Deferred,
            ..
        }
    ));
    assert_eq!(posted(&a[1]).1, Some(Status::DEFERRED));
    assert!(matches!(&a[2], Action::Alert(Alert::Pending(_))));
    r.handle_push(&push(&notification("T11", 5000, Some("+1"))));
    assert!(matches!(drain(&mut r)[1], Action::Fetch { .. }));
}

#[test]
fn anonymous_sender_rejected_when_configured() {
    let mut r = Retriever::new(
        RetrievalConfig {
            reject_anonymous: true,
            ..policy()
        },
        true,
    );
    r.handle_push(&push(&notification("T12", 10, None)));
    let a = drain(&mut r);
    assert!(matches!(
        &a[0],
        Action::Record {
            state: Recorded::Rejected,
            ..
        }
    ));
    assert_eq!(posted(&a[1]).1, Some(Status::REJECTED));
    assert!(
        matches!(&a[2], Action::Alert(Alert::Rejected { reason, .. }) if reason.contains("anonymous"))
    );
    assert!(r.fetch("T12").is_err());
    r.handle_push(&push(&notification("T13", 10, Some("+1"))));
    assert!(matches!(drain(&mut r)[1], Action::Fetch { .. }));
    // Without the setting, anonymous messages are fetched.
    let mut r = Retriever::new(policy(), true);
    r.handle_push(&push(&notification("T14", 10, None)));
    assert!(matches!(drain(&mut r)[1], Action::Fetch { .. }));
}

#[test]
fn store_failure_sends_no_acknowledgement() {
    let mut r = Retriever::new(policy(), true);
    r.handle_push(&push(&notification("T15", 10, Some("+1"))));
    drain(&mut r);
    r.handle_fetched(Instant::now(), "T15", Ok(retrieve_conf("T15")));
    drain(&mut r);
    r.handle_stored("T15", Err("disk full".into()));
    let a = drain(&mut r);
    assert!(a.iter().all(|a| !matches!(a, Action::Post { .. })), "{a:?}");
    assert!(
        matches!(&a[1], Action::Alert(Alert::Failed { reason, .. }) if reason.contains("disk full"))
    );
}

#[test]
fn reports_are_alerted() {
    let mut r = Retriever::new(policy(), true);
    r.handle_push(&push(
        &Pdu::delivery_ind("MID-9", Address::plmn("+15550002"), 1, Status::RETRIEVED).to_bytes(),
    ));
    assert_eq!(
        drain(&mut r),
        [Action::Alert(Alert::Report(Report::Delivery {
            message_id: "MID-9".into(),
            recipient: "+15550002".into(),
            status: Status::RETRIEVED
        }))]
    );
}

fn vectors() -> PathBuf {
    let dir = std::env::var_os("FERRY_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/vectors"
            ))
        });
    assert!(
        dir.is_dir(),
        "test vectors not found at {} (set FERRY_VECTORS)",
        dir.display()
    );
    dir.join("sailfishos-mms-engine/test_retrieve")
}

#[test]
fn real_phone_vectors() {
    let dir = vectors();
    for case in [
        "Success1",
        "Success2",
        "Success3",
        "QuotedPrintable",
        "Base64",
        "InvalidSubject",
    ] {
        let n = std::fs::read(dir.join(case).join("m-notification.ind")).unwrap();
        let conf = std::fs::read(dir.join(case).join("m-retrieve.conf")).unwrap();
        let mut r = Retriever::new(
            RetrievalConfig {
                max_auto_size: u64::MAX,
                ..policy()
            },
            true,
        );
        r.handle_push(&push(&n));
        let a = drain(&mut r);
        let Some(Action::Fetch { transaction_id, .. }) = a.get(1) else {
            panic!("{case}: {a:?}")
        };
        let tid = transaction_id.clone();
        r.handle_fetched(Instant::now(), &tid, Ok(conf));
        assert!(
            matches!(drain(&mut r)[..], [Action::Store { .. }]),
            "{case}"
        );
        r.handle_stored(&tid, Ok(()));
        let a = drain(&mut r);
        let Action::Post { pdu, .. } = &a[0] else {
            panic!()
        };
        assert_eq!(
            Pdu::decode(pdu).unwrap().status(),
            Some(Status::RETRIEVED),
            "{case}"
        );
    }
    // GarbageRetrieve: Unrecognised.
    let n = std::fs::read(dir.join("GarbageRetrieve/m-notification.ind")).unwrap();
    let garbage = std::fs::read(dir.join("GarbageRetrieve/garbage")).unwrap();
    let mut r = Retriever::new(
        RetrievalConfig {
            max_auto_size: u64::MAX,
            ..policy()
        },
        true,
    );
    r.handle_push(&push(&n));
    let Some(Action::Fetch { transaction_id, .. }) = drain(&mut r).get(1).cloned() else {
        panic!()
    };
    r.handle_fetched(Instant::now(), &transaction_id, Ok(garbage));
    assert_eq!(posted(&drain(&mut r)[0]).1, Some(Status::UNRECOGNISED));
    // MessageNotFound: Retrieve-Status 0xE2, no answer.
    let n = std::fs::read(dir.join("MessageNotFound/m-notification.ind")).unwrap();
    let conf = std::fs::read(dir.join("MessageNotFound/m-retrieve.conf")).unwrap();
    let mut r = Retriever::new(
        RetrievalConfig {
            max_auto_size: u64::MAX,
            ..policy()
        },
        true,
    );
    r.handle_push(&push(&n));
    let Some(Action::Fetch { transaction_id, .. }) = drain(&mut r).get(1).cloned() else {
        panic!()
    };
    r.handle_fetched(Instant::now(), &transaction_id, Ok(conf));
    let a = drain(&mut r);
    assert!(
        matches!(
            &a[..],
            [
                Action::MarkFailed { .. },
                Action::Alert(Alert::Failed { .. })
            ]
        ),
        "{a:?}"
    );
    // GarbagePush: ignored.
    let g = std::fs::read(dir.join("GarbagePush/garbage")).unwrap();
    r.handle_push(&g);
    assert!(matches!(
        drain(&mut r)[..],
        [Action::Alert(Alert::Ignored { .. })]
    ));
}

//! The backend-independent test battery.
//!
//! Every backend runs the same checks of the [`crate::backend`] contract:
//! call [`run_all`] from the backend's test with a factory that returns a
//! fresh, empty [`Store`] each time. (After hickory's `zone_handler_battery`.)

use std::future::Future;
use std::sync::Arc;

use crate::*;

/// Clock start for the battery (any time would do).
pub const T0: u64 = 1_700_000_000;

/// A message from `+15550000001` to `to`, expiring at `T0 + 3600`, asking
/// for delivery reports, with a recognisable body.
pub fn message(id: &str, to: &[&str]) -> NewMessage {
    NewMessage {
        id: id.to_owned(),
        sender: "+15550000001/TYPE=PLMN".into(),
        sender_hidden: false,
        content_type: "application/vnd.wap.multipart.related".into(),
        subject: Some(format!("subject of {id}")),
        message_class: Some("personal".into()),
        priority: Some("normal".into()),
        date: T0,
        expiry: T0 + 3600,
        delivery_report: true,
        read_report: false,
        recipients: to
            .iter()
            .map(|a| {
                let kind = if a.contains('@') {
                    AddressKind::Email
                } else {
                    AddressKind::Msisdn
                };
                NewRecipient::new(*a, kind)
            })
            .collect(),
        body: format!("body of {id}").into_bytes().repeat(8),
    }
}

/// Runs every check, each on a fresh store from `open`.
pub async fn run_all<F, Fut>(mut open: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Store>,
{
    macro_rules! check {
        ($($name:ident),* $(,)?) => {$(
            let store = open().await;
            $name(&store).await;
            store.close().await.expect(concat!("closing after ", stringify!($name)));
        )*};
    }
    check!(
        submit_and_read,
        rejects_bad_submissions,
        tokens,
        transitions,
        idempotent_updates,
        delivery_reports,
        acknowledge_withdraws_reports,
        notification_leases,
        expiry,
        gc_safety,
        report_queue,
        subscribers,
        counts,
        outbound_queue,
    );
    let store = Arc::new(open().await);
    concurrent_submits(store.clone()).await;
    store
        .close()
        .await
        .expect("closing after concurrent_submits");
}

/// Submit, then every read path finds the message.
pub async fn submit_and_read(s: &Store) {
    let m = message("m1", &["+15550000002/TYPE=PLMN", "bob@example.org"]);
    let sub = s.submit(m.clone(), T0).await.unwrap();
    assert_eq!(sub.id, "m1");
    assert_eq!(sub.recipients.len(), 2);
    assert_eq!(sub.recipients[1].address, "bob@example.org");

    let meta = s.message("m1").await.unwrap().expect("stored");
    assert_eq!(meta.sender, m.sender);
    assert_eq!(meta.size, m.body.len() as u64);
    assert_eq!(meta.subject.as_deref(), Some("subject of m1"));
    assert_eq!(meta.message_class.as_deref(), Some("personal"));
    assert_eq!(meta.priority.as_deref(), Some("normal"));
    assert_eq!(
        (meta.date, meta.expiry, meta.created_at),
        (T0, T0 + 3600, T0)
    );
    assert!(meta.delivery_report && !meta.read_report && !meta.sender_hidden && meta.body_present);
    assert_eq!(s.read_body("m1").await.unwrap(), m.body);

    let rs = s.recipients("m1").await.unwrap();
    assert_eq!(rs.len(), 2);
    assert_eq!(rs[0].kind, AddressKind::Msisdn);
    assert_eq!(rs[1].kind, AddressKind::Email);
    for (r, sr) in rs.iter().zip(&sub.recipients) {
        assert_eq!(r.id, sr.id);
        assert_eq!(r.token, sr.token);
        assert_eq!(r.state, RecipientState::Pending);
        assert_eq!(r.next_notify_at, Some(T0));
        assert_eq!(r.notify_attempts, 0);
        assert!(r.report_allowed && !r.acknowledged);
        assert_eq!(r.message_id, "m1");
    }
    let d = s
        .by_token(&sub.recipients[0].token)
        .await
        .unwrap()
        .expect("by token");
    assert_eq!(d.message, meta);
    assert_eq!(d.recipient, rs[0]);
    let d = s
        .delivery(&RecipientKey::Id(sub.recipients[1].id))
        .await
        .unwrap()
        .expect("by id");
    assert_eq!(d.recipient.address, "bob@example.org");

    assert_eq!(s.message("nope").await.unwrap(), None);
    assert!(s.recipients("nope").await.unwrap().is_empty());
    assert_eq!(s.by_token("nope").await.unwrap(), None);
    assert!(matches!(
        s.read_body("nope").await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Invalid and duplicate submissions are refused and leave nothing behind.
pub async fn rejects_bad_submissions(s: &Store) {
    s.submit(message("dup", &["+1"]), T0).await.unwrap();
    let e = s.submit(message("dup", &["+2"]), T0).await.unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Duplicate {
                what: "message",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(s.read_body("dup").await.unwrap(), message("dup", &[]).body);
    assert_eq!(s.recipients("dup").await.unwrap()[0].address, "+1");

    for (m, what) in [
        (message("none", &[]), "no recipients"),
        (message("twice", &["+1", "+1"]), "given twice"),
        (message("empty", &[""]), "empty recipient"),
        (message("", &["+1"]), "empty message id"),
    ] {
        let e = s.submit(m, T0).await.unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid(t) if t.contains(what)),
            "{e:?}"
        );
        assert!(!e.is_transient());
    }
    let c = s.counts(T0).await.unwrap();
    assert_eq!((c.messages, c.bodies), (1, 1));
}

/// Tokens: at least 128 random bits, URL-safe, all distinct.
pub async fn tokens(s: &Store) {
    let to: Vec<String> = (0..50).map(|i| format!("+1555{i:07}")).collect();
    let to: Vec<&str> = to.iter().map(String::as_str).collect();
    let mut all = std::collections::HashSet::new();
    for n in 0..4 {
        let sub = s.submit(message(&format!("t{n}"), &to), T0).await.unwrap();
        for r in sub.recipients {
            // 22 base64 characters carry 132 bits.
            assert!(r.token.len() >= 22, "{}", r.token);
            assert!(
                r.token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{}",
                r.token
            );
            assert!(all.insert(r.token.clone()), "token repeated");
        }
    }
    assert_eq!(all.len(), 200);
}

/// The transition table holds through the store.
pub async fn transitions(s: &Store) {
    use RecipientState::*;
    let from_states = [Pending, Notified, Deferred, Retrieved, Rejected, Expired];
    let targets = RecipientState::ALL;
    let mut n = 0;
    for &from in &from_states {
        for &to in targets {
            n += 1;
            let id = format!("tr{n}");
            let sub = s.submit(message(&id, &["+1"]), T0).await.unwrap();
            let key = RecipientKey::Token(sub.recipients[0].token.clone());
            // Walk to `from`.
            let path: Vec<RecipientState> = match from {
                Pending => vec![],
                Notified => vec![Notified],
                Deferred => vec![Notified, Deferred],
                other => vec![Notified, other],
            };
            for step in path {
                s.update_recipient(key.clone(), RecipientUpdate::to(step), T0)
                    .await
                    .unwrap();
            }
            let got = s
                .update_recipient(key.clone(), RecipientUpdate::to(to), T0 + 1)
                .await;
            match from.check_transition(to) {
                Some(changed) => {
                    let t = got.unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
                    assert_eq!(
                        (t.from, t.changed, t.recipient.state),
                        (from, changed, to),
                        "{from} -> {to}"
                    );
                }
                None => {
                    let e = got.expect_err(&format!("{from} -> {to} must be refused"));
                    assert!(
                        matches!(e, StoreError::InvalidTransition { from: f, to: t, .. } if f == from && t == to),
                        "{e:?}"
                    );
                    let now = s.delivery(&key).await.unwrap().unwrap().recipient.state;
                    assert_eq!(now, from, "a refused change must not write");
                }
            }
        }
    }
    let e = s.mark_retrieved("no-such-token", T0).await.unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::NotFound {
                what: "recipient",
                ..
            }
        ),
        "{e:?}"
    );
}

/// Repeating a change reports `changed == false` and writes nothing.
pub async fn idempotent_updates(s: &Store) {
    let sub = s.submit(message("idem", &["+1", "+2"]), T0).await.unwrap();
    let tok = &sub.recipients[0].token;
    let a = s.mark_retrieved(tok, T0 + 10).await.unwrap();
    assert!(a.changed);
    assert_eq!(a.from, RecipientState::Pending);
    assert_eq!(a.recipient.retrieved_at, Some(T0 + 10));
    assert_eq!(a.recipient.next_notify_at, None);
    let b = s.mark_retrieved(tok, T0 + 20).await.unwrap();
    assert!(!b.changed);
    assert_eq!(b.from, RecipientState::Retrieved);
    assert_eq!(b.report, None);
    assert_eq!(
        b.recipient.retrieved_at,
        Some(T0 + 10),
        "repeat must not move retrieved_at"
    );
    assert_eq!(b.recipient.updated_at, T0 + 10);
    // Failed carries its reason.
    let f = s
        .update_recipient(
            RecipientKey::Token(sub.recipients[1].token.clone()),
            RecipientUpdate::to(RecipientState::Failed).reason("unreachable after 5 attempts"),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        f.recipient.reason.as_deref(),
        Some("unreachable after 5 attempts")
    );
}

/// Delivery reports are queued with the change, once, and only if asked and
/// allowed.
pub async fn delivery_reports(s: &Store) {
    let sub = s
        .submit(message("dr", &["+2", "+3", "+4"]), T0)
        .await
        .unwrap();
    let t = |i: usize| RecipientKey::Token(sub.recipients[i].token.clone());
    let r0 = s
        .update_recipient(t(0), RecipientUpdate::to(RecipientState::Retrieved), T0 + 5)
        .await
        .unwrap();
    let id = r0.report.expect("delivery report queued");
    let rep = s.report(id).await.unwrap().unwrap();
    assert_eq!(rep.kind, ReportKind::Delivery);
    assert_eq!(rep.status, ReportStatus::Retrieved);
    assert_eq!(
        (rep.to.as_str(), rep.from.as_str(), rep.message_id.as_str()),
        ("+15550000001/TYPE=PLMN", "+2", "dr")
    );
    assert_eq!(
        (rep.state, rep.date, rep.next_attempt_at, rep.attempts),
        (ReportState::Pending, T0 + 5, T0 + 5, 0)
    );
    // Not allowed by the recipient: no report.
    let r1 = s
        .update_recipient(
            t(1),
            RecipientUpdate::to(RecipientState::Rejected).report_allowed(false),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(r1.report, None);
    assert!(!r1.recipient.report_allowed);
    // Deferred has a status too, and a later retrieval another.
    let d = s
        .update_recipient(t(2), RecipientUpdate::to(RecipientState::Deferred), T0)
        .await
        .unwrap();
    assert_eq!(
        s.report(d.report.unwrap()).await.unwrap().unwrap().status,
        ReportStatus::Deferred
    );
    // Notified has no delivery status.
    let mut m = message("nodr", &["+2"]);
    m.delivery_report = false;
    let sub2 = s.submit(m, T0).await.unwrap();
    let r = s
        .mark_retrieved(&sub2.recipients[0].token, T0)
        .await
        .unwrap();
    assert_eq!(r.report, None, "sender did not ask");
    assert_eq!(
        s.counts(T0 + 5)
            .await
            .unwrap()
            .reports
            .get(&ReportState::Pending),
        Some(&2)
    );
    // By transaction id, after a notification.
    let sub3 = s.submit(message("bytid", &["+9"]), T0).await.unwrap();
    let attempt = NotifyAttempt {
        sent: true,
        transaction_id: Some("tid-9".into()),
        next_notify_at: None,
        error: None,
    };
    s.record_notification(sub3.recipients[0].id, attempt, T0)
        .await
        .unwrap();
    let x = s
        .update_recipient(
            RecipientKey::TransactionId("tid-9".into()),
            RecipientUpdate::to(RecipientState::Rejected),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        (x.from, x.recipient.state),
        (RecipientState::Notified, RecipientState::Rejected)
    );
}

/// M-Acknowledge.ind with Report-Allowed: No withdraws unsent reports.
pub async fn acknowledge_withdraws_reports(s: &Store) {
    let sub = s.submit(message("ack", &["+2"]), T0).await.unwrap();
    let key = RecipientKey::Token(sub.recipients[0].token.clone());
    let t = s
        .mark_retrieved(&sub.recipients[0].token, T0)
        .await
        .unwrap();
    let r = s
        .acknowledge(key.clone(), Some(false), T0 + 1)
        .await
        .unwrap();
    assert!(r.acknowledged && !r.report_allowed);
    let rep = s.report(t.report.unwrap()).await.unwrap().unwrap();
    assert_eq!(rep.state, ReportState::Failed);
    assert!(s.claim_reports(T0 + 10, 10, 60).await.unwrap().is_empty());
    let r = s.acknowledge(key, None, T0 + 2).await.unwrap();
    assert!(r.acknowledged && !r.report_allowed);
}

/// Claims lease recipients; an unrecorded claim comes back after the lease.
pub async fn notification_leases(s: &Store) {
    let sub = s.submit(message("n1", &["+2", "+3"]), T0).await.unwrap();
    assert!(
        s.claim_notifications(T0 - 1, 10, 30)
            .await
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    let c = s.claim_notifications(T0, 10, 30).await.unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].message.id, "n1");
    assert_eq!(c[0].recipient.id, sub.recipients[0].id);
    assert!(
        s.claim_notifications(T0 + 10, 10, 30)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    // Record one; the other "crashed" mid-send.
    let attempt = NotifyAttempt {
        sent: true,
        transaction_id: Some("tx-1".into()),
        next_notify_at: Some(T0 + 300),
        error: None,
    };
    let r = s
        .record_notification(c[0].recipient.id, attempt, T0 + 1)
        .await
        .unwrap();
    assert_eq!(
        (r.state, r.notify_attempts, r.next_notify_at),
        (RecipientState::Notified, 1, Some(T0 + 300))
    );
    assert_eq!(r.transaction_id.as_deref(), Some("tx-1"));
    // Lease of the other runs out at T0 + 30: it is claimed again.
    let again = s.claim_notifications(T0 + 30, 10, 30).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].recipient.id, sub.recipients[1].id);
    let failed = NotifyAttempt {
        sent: false,
        transaction_id: Some("tx-2".into()),
        next_notify_at: Some(T0 + 90),
        error: Some("push gateway said 503".into()),
    };
    let r = s
        .record_notification(again[0].recipient.id, failed, T0 + 31)
        .await
        .unwrap();
    assert_eq!(
        r.state,
        RecipientState::Pending,
        "a failed attempt does not make it notified"
    );
    assert_eq!(r.last_error.as_deref(), Some("push gateway said 503"));
    assert_eq!(r.next_notify_at, Some(T0 + 90));
    // Back-off respected; limit respected.
    assert!(
        s.claim_notifications(T0 + 89, 10, 30)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.claim_notifications(T0 + 400, 1, 30).await.unwrap().len(),
        1
    );
    assert_eq!(
        s.claim_notifications(T0 + 400, 10, 30).await.unwrap().len(),
        1
    );
    // Final recipients are not notified; neither are expired messages.
    s.mark_retrieved(&sub.recipients[0].token, T0 + 500)
        .await
        .unwrap();
    s.update_recipient(
        RecipientKey::Id(sub.recipients[1].id),
        RecipientUpdate::to(RecipientState::Failed).reason("gave up"),
        T0 + 500,
    )
    .await
    .unwrap();
    assert!(
        s.claim_notifications(T0 + 1000, 10, 30)
            .await
            .unwrap()
            .is_empty()
    );
    s.submit(message("n2", &["+2"]), T0).await.unwrap();
    assert!(
        s.claim_notifications(T0 + 3600, 10, 30)
            .await
            .unwrap()
            .is_empty(),
        "expired message"
    );
    // A transaction id is unique.
    let sub3 = s.submit(message("n3", &["+2"]), T0).await.unwrap();
    let dup = NotifyAttempt {
        sent: true,
        transaction_id: Some("tx-1".into()),
        next_notify_at: None,
        error: None,
    };
    let e = s
        .record_notification(sub3.recipients[0].id, dup, T0)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Duplicate { .. }), "{e:?}");
    let e = s
        .record_notification(
            RecipientId(-5),
            NotifyAttempt {
                sent: true,
                transaction_id: None,
                next_notify_at: None,
                error: None,
            },
            T0,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
}

/// Expiry moves live recipients of expired messages to `expired`, once.
pub async fn expiry(s: &Store) {
    let a = s
        .submit(message("old", &["+2", "+3", "+4"]), T0)
        .await
        .unwrap();
    let mut young = message("young", &["+2"]);
    young.expiry = T0 + 7200;
    s.submit(young, T0).await.unwrap();
    s.mark_retrieved(&a.recipients[0].token, T0 + 1)
        .await
        .unwrap();
    s.update_recipient(
        RecipientKey::Id(a.recipients[1].id),
        RecipientUpdate::to(RecipientState::Deferred),
        T0 + 1,
    )
    .await
    .unwrap();
    assert!(s.expire(T0 + 3599).await.unwrap().is_empty());
    let ex = s.expire(T0 + 3600).await.unwrap();
    let mut ids: Vec<_> = ex.iter().map(|t| t.recipient.id).collect();
    ids.sort();
    assert_eq!(ids, vec![a.recipients[1].id, a.recipients[2].id]);
    for t in &ex {
        assert!(t.changed);
        assert_eq!(t.recipient.state, RecipientState::Expired);
        let rep = s
            .report(t.report.expect("expired report"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rep.status, ReportStatus::Expired);
    }
    assert_eq!(ex[0].from, RecipientState::Deferred);
    assert!(
        s.expire(T0 + 3600).await.unwrap().is_empty(),
        "twice is a no-op"
    );
    let young = s.recipients("young").await.unwrap();
    assert_eq!(young[0].state, RecipientState::Pending);
    assert_eq!(
        s.recipients("old").await.unwrap()[0].state,
        RecipientState::Retrieved
    );
}

/// Garbage collection removes a body only when no recipient needs it.
pub async fn gc_safety(s: &Store) {
    let a = s.submit(message("gc-a", &["+2", "+3"]), T0).await.unwrap();
    let b = s.submit(message("gc-b", &["+2"]), T0).await.unwrap();
    assert_eq!(
        s.collect_garbage(T0, None).await.unwrap(),
        GcStats::default()
    );
    s.mark_retrieved(&a.recipients[0].token, T0).await.unwrap();
    s.update_recipient(
        RecipientKey::Id(b.recipients[0].id),
        RecipientUpdate::to(RecipientState::Deferred),
        T0,
    )
    .await
    .unwrap();
    let st = s.collect_garbage(T0, None).await.unwrap();
    assert_eq!(
        st.bodies_removed, 0,
        "a live recipient still needs each body"
    );
    assert!(s.read_body("gc-a").await.is_ok() && s.read_body("gc-b").await.is_ok());

    s.update_recipient(
        RecipientKey::Id(a.recipients[1].id),
        RecipientUpdate::to(RecipientState::Rejected),
        T0 + 1,
    )
    .await
    .unwrap();
    // Fetched but not confirmed: the M-Retrieve.conf may have been lost, the
    // handset may fetch again — the body stays (until expiry).
    let st = s.collect_garbage(T0 + 2, None).await.unwrap();
    assert_eq!(st.bodies_removed, 0, "a fetched, unconfirmed body stays");
    s.acknowledge(RecipientKey::Id(a.recipients[0].id), None, T0 + 2)
        .await
        .unwrap();
    let st = s.collect_garbage(T0 + 2, None).await.unwrap();
    assert_eq!(st.bodies_removed, 1);
    assert_eq!(st.bytes_freed, message("gc-a", &[]).body.len() as u64);
    assert!(matches!(
        s.read_body("gc-a").await,
        Err(StoreError::BodyGone(_))
    ));
    assert!(!s.message("gc-a").await.unwrap().unwrap().body_present);
    // The rows stay until purged: a late retrieval finds a final state.
    let d = s.by_token(&a.recipients[0].token).await.unwrap().unwrap();
    assert_eq!(d.recipient.state, RecipientState::Retrieved);
    assert_eq!(
        s.read_body("gc-b").await.unwrap(),
        message("gc-b", &[]).body
    );
    assert_eq!(
        s.collect_garbage(T0 + 3, None)
            .await
            .unwrap()
            .bodies_removed,
        0
    );

    // Purge: only rows whose body went before the cutoff, and finished
    // reports before it.
    let st = s.collect_garbage(T0 + 3, Some(T0 + 2)).await.unwrap();
    assert_eq!(st.messages_purged, 0);
    let reps = s.claim_reports(T0 + 3, 10, 60).await.unwrap();
    for r in &reps {
        s.report_done(r.id, T0 + 3).await.unwrap();
    }
    let st = s.collect_garbage(T0 + 10, Some(T0 + 10)).await.unwrap();
    assert_eq!(st.messages_purged, 1);
    assert_eq!(st.reports_purged, reps.len() as u64);
    assert_eq!(s.message("gc-a").await.unwrap(), None);
    assert_eq!(s.by_token(&a.recipients[0].token).await.unwrap(), None);
    assert!(s.message("gc-b").await.unwrap().unwrap().body_present);
    // Expiry then GC.
    s.expire(T0 + 3600).await.unwrap();
    assert_eq!(
        s.collect_garbage(T0 + 3600, None)
            .await
            .unwrap()
            .bodies_removed,
        1
    );
    let c = s.counts(T0 + 3600).await.unwrap();
    assert_eq!((c.messages, c.bodies, c.body_bytes), (1, 0, 0));
}

/// The outbound report queue: claim with lease, retry, done, failed.
pub async fn report_queue(s: &Store) {
    let new = |status| NewReport {
        kind: ReportKind::Read,
        message_id: "rq".into(),
        to: "+1".into(),
        from: "+2".into(),
        status,
        date: T0,
    };
    let a = s.enqueue_report(new(ReportStatus::Read), T0).await.unwrap();
    let b = s
        .enqueue_report(new(ReportStatus::DeletedWithoutRead), T0 + 1)
        .await
        .unwrap();
    let c = s.claim_reports(T0 + 1, 10, 60).await.unwrap();
    assert_eq!(c.iter().map(|r| r.id).collect::<Vec<_>>(), vec![a, b]);
    assert_eq!(
        (c[0].attempts, c[0].kind, c[0].status),
        (1, ReportKind::Read, ReportStatus::Read)
    );
    assert!(
        s.claim_reports(T0 + 30, 10, 60).await.unwrap().is_empty(),
        "leased"
    );
    s.report_retry(a, T0 + 120, "sender's handset unreachable", T0 + 2)
        .await
        .unwrap();
    s.report_done(b, T0 + 2).await.unwrap();
    s.report_done(b, T0 + 3).await.unwrap(); // idempotent
    assert!(
        s.claim_reports(T0 + 119, 10, 60).await.unwrap().is_empty(),
        "back-off"
    );
    let c = s.claim_reports(T0 + 120, 10, 60).await.unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].id, c[0].attempts), (a, 2));
    assert_eq!(
        c[0].last_error.as_deref(),
        Some("sender's handset unreachable")
    );
    // A crash mid-send: the lease runs out and the report comes back.
    let c = s.claim_reports(T0 + 180, 10, 60).await.unwrap();
    assert_eq!((c.len(), c[0].attempts), (1, 3));
    s.report_failed(a, "too many attempts", T0 + 181)
        .await
        .unwrap();
    s.report_retry(a, T0 + 200, "ignored", T0 + 182)
        .await
        .unwrap(); // finished stays finished
    let ra = s.report(a).await.unwrap().unwrap();
    assert_eq!(
        (ra.state, ra.last_error.as_deref()),
        (ReportState::Failed, Some("too many attempts"))
    );
    assert_eq!(s.report(b).await.unwrap().unwrap().state, ReportState::Done);
    assert!(
        s.claim_reports(T0 + 10_000, 10, 60)
            .await
            .unwrap()
            .is_empty()
    );
    let e = s.report_done(ReportId(-1), T0).await.unwrap_err();
    assert!(
        matches!(e, StoreError::NotFound { what: "report", .. }),
        "{e:?}"
    );
}

/// Subscribers: add, get, list, remove, verify passwords.
pub async fn subscribers(s: &Store) {
    let mut alice = NewSubscriber::new("+15550000002");
    alice.username = Some("alice".into());
    alice.password = Some("correct horse".into());
    alice.max_message_size = Some(300_000);
    alice.profile = Some("http://uaprof.example/phone.xml".into());
    alice.may_hide_sender = true;
    let a = s.add_subscriber(alice.clone(), T0).await.unwrap();
    assert!(a.has_password && a.may_send && a.may_hide_sender);
    assert_eq!((a.max_message_size, a.created_at), (Some(300_000), T0));
    let mut bob = NewSubscriber::new("+15550000003");
    bob.may_send = false;
    s.add_subscriber(bob, T0).await.unwrap();

    let e = s.add_subscriber(alice.clone(), T0).await.unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Duplicate {
                what: "subscriber",
                ..
            }
        ),
        "{e:?}"
    );
    let mut carol = NewSubscriber::new("+15550000004");
    carol.username = Some("alice".into());
    assert!(matches!(
        s.add_subscriber(carol.clone(), T0).await,
        Err(StoreError::Duplicate { .. })
    ));
    carol.username = None;
    carol.password = Some("x".into());
    assert!(matches!(
        s.add_subscriber(carol, T0).await,
        Err(StoreError::Invalid(_))
    ));

    assert_eq!(s.subscriber("+15550000002").await.unwrap(), Some(a.clone()));
    let list = s.subscribers().await.unwrap();
    assert_eq!(
        list.iter().map(|x| x.msisdn.as_str()).collect::<Vec<_>>(),
        ["+15550000002", "+15550000003"]
    );
    assert!(!list[1].may_send && !list[1].has_password);

    assert_eq!(
        s.verify_password("alice", "correct horse").await.unwrap(),
        Some(a)
    );
    assert_eq!(s.verify_password("alice", "wrong").await.unwrap(), None);
    assert_eq!(
        s.verify_password("nobody", "correct horse").await.unwrap(),
        None
    );

    assert!(s.remove_subscriber("+15550000002").await.unwrap());
    assert!(!s.remove_subscriber("+15550000002").await.unwrap());
    assert_eq!(s.subscriber("+15550000002").await.unwrap(), None);
    assert_eq!(
        s.verify_password("alice", "correct horse").await.unwrap(),
        None
    );
}

/// Counts for metrics.
pub async fn counts(s: &Store) {
    assert_eq!(s.counts(T0).await.unwrap(), Counts::default());
    let sub = s
        .submit(message("c1", &["+2", "+3", "+4"]), T0)
        .await
        .unwrap();
    s.mark_retrieved(&sub.recipients[0].token, T0)
        .await
        .unwrap();
    s.claim_notifications(T0, 1, 60).await.unwrap();
    let c = s.counts(T0).await.unwrap();
    assert_eq!(
        (c.messages, c.bodies, c.body_bytes),
        (1, 1, message("c1", &[]).body.len() as u64)
    );
    assert_eq!(c.recipients.get(&RecipientState::Pending), Some(&2));
    assert_eq!(c.recipients.get(&RecipientState::Retrieved), Some(&1));
    assert_eq!(c.notifications_due, 2);
    assert_eq!(c.reports.get(&ReportState::Pending), Some(&1));
    assert_eq!(c.reports_due, 1);
    assert_eq!(s.counts(T0 - 1).await.unwrap().reports_due, 0);
}

/// Many concurrent submits through group commit: all answered, all stored.
pub async fn concurrent_submits(s: Arc<Store>) {
    const N: usize = 200;
    let mut tasks = Vec::with_capacity(N);
    for i in 0..N {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut m = message(&format!("cc{i}"), &["+2", "+3"]);
            m.body = vec![i as u8; 30 * 1024];
            s.submit(m, T0).await
        }));
    }
    let mut tokens = std::collections::HashSet::new();
    for (i, t) in tasks.into_iter().enumerate() {
        let sub = t
            .await
            .expect("task")
            .unwrap_or_else(|e| panic!("submit {i}: {e}"));
        assert_eq!(sub.id, format!("cc{i}"));
        for r in sub.recipients {
            assert!(tokens.insert(r.token));
        }
    }
    for i in (0..N).step_by(37) {
        assert_eq!(
            s.read_body(&format!("cc{i}")).await.unwrap(),
            vec![i as u8; 30 * 1024]
        );
    }
    let c = s.counts(T0).await.unwrap();
    assert_eq!((c.messages, c.bodies), (N as u64, N as u64));
    assert_eq!(
        c.recipients.get(&RecipientState::Pending),
        Some(&(2 * N as u64))
    );
}

/// The interconnect's queue: routing a recipient elsewhere takes it off
/// the notification queue and queues one job (never two); claims lease;
/// retry, done and failed; `.RES` matching by transaction id; a final
/// recipient is not routed.
pub async fn outbound_queue(s: &Store) {
    let sub = s
        .submit(message("o1", &["+2", "+3", "+4"]), T0)
        .await
        .unwrap();
    let (r2, r3, r4) = (
        sub.recipients[0].id,
        sub.recipients[1].id,
        sub.recipients[2].id,
    );
    let job = |kind, rcpt: &str, tid: &str| NewOutbound {
        kind,
        message_id: "o1".into(),
        recipient: None,
        destination: "b".into(),
        envelope_from: "mms@a.example".into(),
        rcpt: rcpt.into(),
        transaction_id: Some(tid.into()),
        payload: None,
    };
    let mm4 = RecipientRoute {
        route: "mm4".into(),
        operator: Some("b".into()),
    };
    assert!(
        s.route_recipient(
            r2,
            mm4.clone(),
            Some(job(OutboundKind::Mm4Forward, "+2/TYPE=PLMN@b", "tx-f")),
            T0
        )
        .await
        .unwrap()
    );
    // A second call queues nothing.
    assert!(
        !s.route_recipient(
            r2,
            mm4.clone(),
            Some(job(OutboundKind::Mm4Forward, "+2/TYPE=PLMN@b", "tx-g")),
            T0
        )
        .await
        .unwrap()
    );
    assert_eq!(s.recipient_route(r2).await.unwrap(), Some(mm4));
    assert_eq!(s.recipient_route(r3).await.unwrap(), None);
    // The queued forward is the backlog the MMSC's gauge shows.
    let c = s.counts(T0).await.unwrap();
    assert_eq!(c.outbound_pending.get("mm4-forward"), Some(&1), "{c:?}");
    assert_eq!(c.outbound_pending.get("mm3"), None);
    // Sender-hosted: recorded, still notified here.
    let hosted = RecipientRoute {
        route: "sender-hosted".into(),
        operator: Some("c".into()),
    };
    assert!(
        s.route_recipient(r3, hosted.clone(), None, T0)
            .await
            .unwrap()
    );
    let due = s.claim_notifications(T0, 10, 30).await.unwrap();
    let ids: Vec<_> = due.iter().map(|d| d.recipient.id).collect();
    assert_eq!(
        ids,
        vec![r3, r4],
        "the MM4 recipient left the notification queue"
    );
    // A final recipient is not routed.
    s.update_recipient(
        RecipientKey::Id(r4),
        RecipientUpdate::to(RecipientState::Rejected),
        T0,
    )
    .await
    .unwrap();
    assert!(
        !s.route_recipient(
            r4,
            RecipientRoute {
                route: "email".into(),
                operator: None
            },
            Some(job(OutboundKind::Mm3, "x@y.example", "tx-e")),
            T0
        )
        .await
        .unwrap()
    );
    // A prebuilt message.
    let mut res = job(OutboundKind::Mm4, "sys@b", "tx-r");
    res.payload = Some(b"X-Mms-Message-Type: MM4_forward.RES\r\n\r\n".to_vec());
    let rid = s.enqueue_outbound(res, T0 + 1).await.unwrap();
    let c = s.claim_outbound(T0 + 1, 10, 60).await.unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(
        (c[0].kind, c[0].recipient, c[0].attempts),
        (OutboundKind::Mm4Forward, Some(r2), 1)
    );
    assert_eq!(c[1].id, rid);
    assert!(
        c[1].payload
            .as_deref()
            .unwrap()
            .starts_with(b"X-Mms-Message-Type")
    );
    assert!(
        s.claim_outbound(T0 + 2, 10, 60).await.unwrap().is_empty(),
        "leased"
    );
    s.finish_outbound(
        c[0].id,
        OutboundOutcome::Retry {
            at: T0 + 100,
            error: "451 later".into(),
        },
        T0 + 2,
    )
    .await
    .unwrap();
    s.finish_outbound(rid, OutboundOutcome::Done, T0 + 2)
        .await
        .unwrap();
    // Done stays done.
    s.finish_outbound(
        rid,
        OutboundOutcome::Retry {
            at: T0,
            error: "x".into(),
        },
        T0 + 3,
    )
    .await
    .unwrap();
    assert!(s.claim_outbound(T0 + 99, 10, 60).await.unwrap().is_empty());
    let again = s.claim_outbound(T0 + 100, 10, 60).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(
        (again[0].attempts, again[0].last_error.as_deref()),
        (2, Some("451 later"))
    );
    s.finish_outbound(
        again[0].id,
        OutboundOutcome::Failed {
            error: "554 no".into(),
        },
        T0 + 101,
    )
    .await
    .unwrap();
    let by_tid = s.outbound_by_transaction("tx-f").await.unwrap().unwrap();
    assert_eq!(
        (by_tid.recipient, by_tid.state),
        (Some(r2), ReportState::Failed)
    );
    assert!(s.outbound_by_transaction("nope").await.unwrap().is_none());
    let all = s.outbound_for_message("o1").await.unwrap();
    assert_eq!(
        all.iter().map(|o| o.state).collect::<Vec<_>>(),
        vec![ReportState::Failed, ReportState::Done]
    );
    assert_eq!(s.purge_outbound(T0 + 102).await.unwrap(), 2);
    assert!(s.outbound_for_message("o1").await.unwrap().is_empty());
}

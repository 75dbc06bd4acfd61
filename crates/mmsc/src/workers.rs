//! The background tasks: notification (with re-notification back-off),
//! reports (M-Delivery.ind, M-Read-Orig.ind), and the sweep (expiry, body
//! collection, queue gauges).
//!
//! All three work from the store's queues with leases, so a crash loses
//! nothing: what was claimed but not recorded is claimed again once its
//! lease runs out.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferry_mms::{ReadStatus, Status};
use ferry_service::Shutdown;
use ferry_store::{
    Delivery, NotifyAttempt, RecipientKey, RecipientState, RecipientUpdate, Report, ReportKind, ReportStatus,
};
use futures_util::StreamExt;

use crate::cdr::Cdr;
use crate::identity::{is_msisdn, normalize_msisdn};
use crate::pdu::{self, NotificationFields};
use crate::{Inner, unix_now};

/// The transaction id of a recipient's notifications (the store records it
/// at submission; derived again here for rows written before it did).
pub(crate) fn transaction_id_for(token: &str) -> String {
    ferry_store::transaction_id_for(token)
}

/// Sends due notifications until shutdown.
pub(crate) async fn notify_loop(m: Arc<Inner>, shutdown: Shutdown) {
    let batch = (m.config.notify.concurrency * 4).min(1024) as u32;
    loop {
        let now = unix_now();
        match m
            .store
            .claim_notifications(now, batch, m.config.notify.lease_secs)
            .await
        {
            Ok(ds) if !ds.is_empty() => {
                let full = ds.len() as u32 == batch;
                futures_util::stream::iter(ds)
                    .for_each_concurrent(m.config.notify.concurrency, |d| notify_one(&m, d))
                    .await;
                if full {
                    continue;
                }
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "claiming notifications"),
        }
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = m.wake.notified() => {}
            _ = tokio::time::sleep(m.config.notify_poll()) => {}
        }
    }
}

async fn notify_one(m: &Inner, d: Delivery) {
    let now = unix_now();
    let r = &d.recipient;
    if !crate::interconnect::notify_here(m, &d).await {
        return;
    }
    let tid = r.transaction_id.clone().unwrap_or_else(|| transaction_id_for(&r.token));
    let location = format!("{}/m/{}", m.config.public_base(), r.token);
    let full = m.config.notify.include_from_subject;
    let from = (!d.message.sender_hidden && full).then_some(d.message.sender.as_str());
    let content = pdu::notification_ind(&NotificationFields {
        transaction_id: &tid,
        content_location: &location,
        size: d.message.size,
        expiry: d.message.expiry,
        class: d.message.message_class.as_deref(),
        priority: if full { d.message.priority.as_deref() } else { None },
        from,
        subject: if full { d.message.subject.as_deref() } else { None },
        delivery_report: full && d.message.delivery_report,
    });
    let msisdn = normalize_msisdn(&r.address);
    let result = m.notifier.push(&msisdn, Bytes::from(content)).await;
    let attempts = r.notify_attempts + 1;
    let max = m.config.notify.max_attempts;
    let last = max > 0 && attempts >= max;
    let next = (!last)
        .then(|| now + m.config.notify.backoff(attempts))
        .filter(|&t| t < d.message.expiry);
    let (sent, error) = match &result {
        Ok(()) => (true, None),
        Err(e) => (false, Some(e.to_string())),
    };
    metrics::counter!("mmsc_notifications_total", "result" => if sent { "sent" } else { "failed" }).increment(1);
    if let Some(e) = &error {
        tracing::warn!(%msisdn, attempt = attempts, error = %e, "notification failed");
    } else {
        tracing::debug!(%msisdn, transaction_id = %tid, attempt = attempts, "notified");
    }
    let attempt = NotifyAttempt {
        sent,
        transaction_id: Some(tid),
        next_notify_at: next,
        error: error.clone(),
    };
    if let Err(e) = m.store.record_notification(r.id, attempt, unix_now()).await {
        tracing::error!(error = %e, "recording a notification");
        return;
    }
    if last && !sent && r.state != RecipientState::Notified {
        let u = RecipientUpdate::to(RecipientState::Failed).reason(format!(
            "not notified after {attempts} attempts: {}",
            error.unwrap_or_default()
        ));
        let _ = m.store.update_recipient(RecipientKey::Id(r.id), u, unix_now()).await;
    }
}

pub(crate) fn delivery_status(s: ReportStatus) -> Status {
    match s {
        ReportStatus::Expired => Status::EXPIRED,
        ReportStatus::Retrieved => Status::RETRIEVED,
        ReportStatus::Rejected => Status::REJECTED,
        ReportStatus::Deferred => Status::DEFERRED,
        ReportStatus::Unrecognised => Status::UNRECOGNISED,
        ReportStatus::Forwarded => Status::FORWARDED,
        ReportStatus::Unreachable => Status::UNREACHABLE,
        _ => Status::INDETERMINATE,
    }
}

/// Sends due reports until shutdown.
pub(crate) async fn report_loop(m: Arc<Inner>, shutdown: Shutdown) {
    let poll = Duration::from_millis(m.config.reports.poll_ms.max(10));
    loop {
        let now = unix_now();
        match m.store.claim_reports(now, 128, 60).await {
            Ok(rs) if !rs.is_empty() => {
                let full = rs.len() == 128;
                futures_util::stream::iter(rs)
                    .for_each_concurrent(32, |r| report_one(&m, r))
                    .await;
                if full {
                    continue;
                }
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "claiming reports"),
        }
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = m.wake_reports.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

async fn report_one(m: &Inner, r: Report) {
    let now = unix_now();
    let c = &m.config.reports;
    let grace_until = r.date + c.ack_grace_secs;
    if r.kind == ReportKind::Delivery && r.status == ReportStatus::Retrieved && now < grace_until {
        // Leave room for the recipient's Report-Allowed: No.
        let _ = m
            .store
            .report_retry(r.id, grace_until, "waiting for the recipient's acknowledgement", now)
            .await;
        return;
    }
    if crate::interconnect::report_over_mm4(m, &r).await {
        return;
    }
    let to = normalize_msisdn(&r.to);
    if !is_msisdn(&to) {
        let _ = m
            .store
            .report_failed(r.id, format!("sender {} cannot be reached by WAP Push", r.to), now)
            .await;
        return;
    }
    let (content, event) = match r.kind {
        ReportKind::Delivery => (crate::interconnect::delivery_ind(m, &r).await, "delivery-report"),
        _ => {
            let rs = if r.status == ReportStatus::DeletedWithoutRead {
                ReadStatus::DELETED_WITHOUT_BEING_READ
            } else {
                ReadStatus::READ
            };
            (
                pdu::read_orig_ind(&r.message_id, &r.to, &r.from, r.date, rs),
                "read-report",
            )
        }
    };
    let size = content.len() as u64;
    match m.notifier.push(&to, Bytes::from(content)).await {
        Ok(()) => {
            metrics::counter!("mmsc_reports_total", "kind" => r.kind.as_str(), "result" => "sent").increment(1);
            if let Err(e) = m.store.report_done(r.id, unix_now()).await {
                tracing::error!(error = %e, "recording a sent report");
            }
            m.cdr.record(Cdr {
                ts: now,
                event,
                message_id: r.message_id.clone(),
                from: r.from.clone(),
                to: vec![r.to.clone()],
                size,
                status: r.status.as_str().into(),
                class: None,
            });
        }
        Err(e) => {
            metrics::counter!("mmsc_reports_total", "kind" => r.kind.as_str(), "result" => "failed").increment(1);
            tracing::warn!(report = r.id.0, error = %e, "report push failed");
            if r.attempts >= c.max_attempts {
                let _ = m.store.report_failed(r.id, e.to_string(), unix_now()).await;
            } else {
                let i = (r.attempts.max(1) as usize - 1).min(c.retry_secs.len().saturating_sub(1));
                let delay = c.retry_secs.get(i).copied().unwrap_or(60);
                let _ = m.store.report_retry(r.id, now + delay, e.to_string(), unix_now()).await;
            }
        }
    }
}

/// Expires messages, collects bodies and updates gauges until shutdown.
pub(crate) async fn sweep_loop(m: Arc<Inner>, shutdown: Shutdown) {
    let every = Duration::from_secs(m.config.expiry.sweep_secs.max(1));
    loop {
        sweep_once(&m).await;
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

/// One sweep (public to the crate for tests).
pub(crate) async fn sweep_once(m: &Inner) {
    let now = unix_now();
    match m.store.expire(now).await {
        Ok(ts) => {
            if !ts.is_empty() {
                metrics::counter!("mmsc_recipients_expired_total").increment(ts.len() as u64);
                m.wake_reports.notify_one();
            }
            for t in ts {
                m.cdr.record(Cdr {
                    ts: now,
                    event: "expire",
                    message_id: t.recipient.message_id.clone(),
                    from: String::new(),
                    to: vec![t.recipient.address.clone()],
                    size: 0,
                    status: "expired".into(),
                    class: None,
                });
            }
        }
        Err(e) => tracing::error!(error = %e, "expiring"),
    }
    let retention = m.config.expiry.retention_secs;
    let purge = (retention > 0).then(|| now.saturating_sub(retention));
    match m.store.collect_garbage(now, purge).await {
        Ok(g) => {
            metrics::counter!("mmsc_bodies_removed_total").increment(g.bodies_removed);
        }
        Err(e) => tracing::error!(error = %e, "collecting bodies"),
    }
    match m.store.counts(now).await {
        Ok(c) => {
            metrics::gauge!("mmsc_queue_depth", "queue" => "notifications").set(c.notifications_due as f64);
            metrics::gauge!("mmsc_queue_depth", "queue" => "reports").set(c.reports_due as f64);
            metrics::gauge!("mmsc_stored_messages").set(c.messages as f64);
            metrics::gauge!("mmsc_stored_body_bytes").set(c.body_bytes as f64);
            for kind in ["mm4-forward", "mm4", "mm3"] {
                let n = c.outbound_pending.get(kind).copied().unwrap_or(0);
                metrics::gauge!("mmsc_outbound_pending", "kind" => kind).set(n as f64);
            }
            for (state, n) in &c.recipients {
                metrics::gauge!("mmsc_recipients", "state" => state.as_str()).set(*n as f64);
            }
        }
        Err(e) => tracing::error!(error = %e, "counting"),
    }
}

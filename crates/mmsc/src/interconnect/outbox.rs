//! The outbound worker: takes jobs from the store's outbox (leased, so a
//! crash loses none), builds the `MM4_forward.REQ` or the e-mail from the
//! stored body when it sends (a queued job holds no copy of the message),
//! sends it over SMTP, and records the outcome: the recipient moves on
//! (forwarded over MM4: `notified`, awaiting the peer's delivery report;
//! handed to the mail relay: `forwarded`), or the job is retried with
//! back-off, or the recipient fails with the reason (which goes into the
//! delivery report).

use std::sync::Arc;
use std::time::Duration;

use ferry_mm4::ForwardMeta;
use ferry_mms::{Address, FromValue, Header, Pdu, SenderVisibility};
use ferry_service::Shutdown;
use ferry_store::{Outbound, OutboundKind, OutboundOutcome, RecipientKey, RecipientState, RecipientUpdate, StoreError};
use futures_util::StreamExt;

use crate::cdr::Cdr;
use crate::{Inner, unix_now};

/// How one attempt went.
enum Failure {
    /// Try again later.
    Transient(String),
    /// Never: the recipient fails with this reason.
    Permanent(String),
    /// Nothing left to do (the recipient is final, the body gone).
    Moot(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::BodyGone(_) => Failure::Moot("the message body is gone".into()),
            e => Failure::Transient(format!("store: {e}")),
        }
    }
}

/// Sends due outbound jobs until shutdown.
pub(crate) async fn outbox_loop(m: Arc<Inner>, shutdown: Shutdown) {
    if m.config.mm4.is_none() && m.config.mm3.is_none() {
        return;
    }
    // MM3 alone: the [mm4] defaults drive the queue.
    let (poll_ms, lease_secs, concurrency) = m
        .config
        .mm4
        .as_ref()
        .map_or((1000, 120, 8), |c| (c.poll_ms, c.lease_secs, c.concurrency));
    let poll = Duration::from_millis(poll_ms.max(10));
    let batch = (concurrency * 4).min(256) as u32;
    loop {
        match m.store.claim_outbound(unix_now(), batch, lease_secs).await {
            Ok(jobs) if !jobs.is_empty() => {
                let full = jobs.len() as u32 == batch;
                futures_util::stream::iter(jobs)
                    .for_each_concurrent(concurrency, |j| one(&m, j))
                    .await;
                if full {
                    continue;
                }
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "claiming outbound messages"),
        }
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = m.wake_outbox.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

fn kind_label(k: OutboundKind) -> &'static str {
    match k {
        OutboundKind::Mm4Forward => "forward",
        OutboundKind::Mm3 => "email",
        OutboundKind::Mm4 => "answer",
    }
}

async fn one(m: &Inner, job: Outbound) {
    let result = match job.kind {
        OutboundKind::Mm4Forward => forward(m, &job).await,
        OutboundKind::Mm3 => email(m, &job).await,
        OutboundKind::Mm4 => prebuilt(m, &job).await,
    };
    let now = unix_now();
    let label = kind_label(job.kind);
    let outcome = match result {
        Ok(()) => {
            metrics::counter!("mmsc_outbound_total", "kind" => label, "result" => "sent").increment(1);
            tracing::info!(job = job.id.0, kind = label, to = %job.rcpt, destination = %job.destination, "sent");
            if let Some(rid) = job.recipient {
                let (state, reason) = match job.kind {
                    OutboundKind::Mm3 => (RecipientState::Forwarded, "handed to the mail relay (MM3)".to_owned()),
                    _ => (
                        RecipientState::Notified,
                        format!("forwarded to operator {} over MM4", job.destination),
                    ),
                };
                match m
                    .store
                    .update_recipient(RecipientKey::Id(rid), RecipientUpdate::to(state).reason(reason), now)
                    .await
                {
                    Ok(t) => {
                        if t.report.is_some() {
                            m.wake_reports.notify_one();
                        }
                    }
                    Err(StoreError::InvalidTransition { .. }) => {}
                    Err(e) => tracing::error!(error = %e, "recording a sent message"),
                }
                m.cdr.record(Cdr {
                    ts: now,
                    event: if job.kind == OutboundKind::Mm3 {
                        "mm3-out"
                    } else {
                        "mm4-out"
                    },
                    message_id: job.message_id.clone(),
                    from: job.envelope_from.clone(),
                    to: vec![job.rcpt.clone()],
                    size: 0,
                    status: "sent".into(),
                    class: None,
                });
            }
            OutboundOutcome::Done
        }
        Err(Failure::Moot(why)) => {
            tracing::info!(job = job.id.0, why, "outbound message no longer needed");
            OutboundOutcome::Failed { error: why }
        }
        Err(Failure::Transient(e)) if !out_of_attempts(m, &job).await => {
            metrics::counter!("mmsc_outbound_total", "kind" => label, "result" => "retry").increment(1);
            let delay = backoff(m, &job);
            tracing::warn!(job = job.id.0, kind = label, error = %e, retry_in = delay, "outbound message not sent");
            OutboundOutcome::Retry {
                at: now + delay,
                error: e,
            }
        }
        Err(Failure::Transient(e) | Failure::Permanent(e)) => {
            metrics::counter!("mmsc_outbound_total", "kind" => label, "result" => "failed").increment(1);
            tracing::warn!(job = job.id.0, kind = label, error = %e, "outbound message given up");
            if let Some(rid) = job.recipient {
                let why = format!("not delivered to {}: {e}", job.rcpt);
                match m
                    .store
                    .update_recipient(
                        RecipientKey::Id(rid),
                        RecipientUpdate::to(RecipientState::Failed).reason(why),
                        now,
                    )
                    .await
                {
                    Ok(t) => {
                        if t.report.is_some() {
                            m.wake_reports.notify_one();
                        }
                    }
                    Err(StoreError::InvalidTransition { .. }) => {}
                    Err(e) => tracing::error!(error = %e, "recording a failed recipient"),
                }
            }
            OutboundOutcome::Failed { error: e }
        }
    };
    if let Err(e) = m.store.finish_outbound(job.id, outcome, unix_now()).await {
        tracing::error!(job = job.id.0, error = %e, "recording an outbound attempt");
    }
}

fn policy(m: &Inner, job: &Outbound) -> (Vec<u64>, u32) {
    match (job.kind, &m.config.mm3, &m.config.mm4) {
        (OutboundKind::Mm3, Some(c), _) => (c.retry_secs.clone(), c.max_attempts),
        (_, _, Some(c)) => (c.retry_secs.clone(), c.max_attempts),
        _ => (vec![60], 0),
    }
}

fn backoff(m: &Inner, job: &Outbound) -> u64 {
    let (retry, _) = policy(m, job);
    let i = (job.attempts.max(1) as usize - 1).min(retry.len().saturating_sub(1));
    retry.get(i).copied().unwrap_or(60).max(1)
}

/// True when the job may not be tried again: the attempts are used up, or
/// the next attempt would come after the message's expiry.
async fn out_of_attempts(m: &Inner, job: &Outbound) -> bool {
    let (_, max) = policy(m, job);
    if max > 0 && job.attempts >= max {
        return true;
    }
    let next = unix_now() + backoff(m, job);
    match m.store.message(&job.message_id).await {
        Ok(Some(msg)) => job.recipient.is_some() && next >= msg.expiry,
        // A prebuilt answer about a message we no longer hold: a day of tries.
        Ok(None) => next > job.created_at + 86_400,
        Err(_) => false,
    }
}

/// The stored message for a recipient's job, or why there is nothing to send.
async fn stored_pdu(m: &Inner, job: &Outbound) -> Result<(ferry_store::Delivery, Vec<u8>), Failure> {
    let rid = job
        .recipient
        .ok_or_else(|| Failure::Permanent("no recipient on the job".into()))?;
    let d = m
        .store
        .delivery(&RecipientKey::Id(rid))
        .await?
        .ok_or_else(|| Failure::Moot("the recipient is gone".into()))?;
    if d.recipient.state.is_final() {
        return Err(Failure::Moot(format!("the recipient is already {}", d.recipient.state)));
    }
    let body = m.store.read_body(&job.message_id).await?;
    Ok((d, body))
}

/// The stored M-Retrieve.conf with a From (a hidden sender's is put back
/// with Sender-Visibility: Hide, for the peer to honour).
fn with_from<'a>(pdu: Pdu<'a>, msg: &ferry_store::MessageMeta) -> Pdu<'a> {
    if pdu.from().is_some() {
        return pdu;
    }
    let mut p = pdu;
    p.headers
        .push(Header::From(FromValue::Address(Address::new(msg.sender.clone()))));
    if msg.sender_hidden {
        p.headers.push(Header::SenderVisibility(SenderVisibility::HIDE));
    }
    p
}

async fn forward(m: &Inner, job: &Outbound) -> Result<(), Failure> {
    let mm4 = m
        .config
        .mm4
        .as_ref()
        .ok_or_else(|| Failure::Permanent("MM4 is no longer configured ([mm4])".into()))?;
    let peer =
        m.ic.peers
            .get(&job.destination)
            .ok_or_else(|| Failure::Permanent(format!("operator {:?} is no longer an MM4 peer", job.destination)))?;
    let (d, body) = stored_pdu(m, job).await?;
    let pdu = Pdu::decode(&body).map_err(|e| Failure::Permanent(format!("stored message unreadable: {e}")))?;
    let pdu = with_from(pdu, &d.message);
    let meta = ForwardMeta {
        transaction_id: job.transaction_id.clone().unwrap_or_else(super::new_transaction_id),
        message_id: job.message_id.clone(),
        originator_system: mm4.system(),
        originator_domain: mm4.domain.clone(),
        recipient_domain: peer.domain.clone(),
        ack_request: mm4.ack_request,
        forward_counter: None,
        version: None,
    };
    let bytes = ferry_mm4::forward_req(&pdu, &meta)
        .map_err(|e| Failure::Permanent(format!("building MM4_forward.REQ: {e}")))?;
    send(&peer.client, job, &bytes).await
}

async fn email(m: &Inner, job: &Outbound) -> Result<(), Failure> {
    let (mm3, relay) = match (&m.config.mm3, &m.ic.relay) {
        (Some(c), Some(r)) => (c, r),
        _ => {
            return Err(Failure::Permanent("MM3 is no longer configured ([mm3])".into()));
        }
    };
    let (d, body) = stored_pdu(m, job).await?;
    let pdu = Pdu::decode(&body).map_err(|e| Failure::Permanent(format!("stored message unreadable: {e}")))?;
    let from = super::email_sender(&d.message.sender, d.message.sender_hidden, &mm3.domain);
    let bytes = ferry_mm4::mm3::email_from_mms(&pdu, &from, &[job.rcpt.as_str()])
        .map_err(|e| Failure::Permanent(format!("building the e-mail: {e}")))?;
    send(relay, job, &bytes).await
}

async fn prebuilt(m: &Inner, job: &Outbound) -> Result<(), Failure> {
    let peer =
        m.ic.peers
            .get(&job.destination)
            .ok_or_else(|| Failure::Permanent(format!("operator {:?} is no longer an MM4 peer", job.destination)))?;
    let payload = job
        .payload
        .as_deref()
        .ok_or_else(|| Failure::Permanent("no message in the job".into()))?;
    send(&peer.client, job, payload).await
}

async fn send(client: &ferry_interconnect::SmtpClient, job: &Outbound, bytes: &[u8]) -> Result<(), Failure> {
    client
        .send(&job.envelope_from, std::slice::from_ref(&job.rcpt), bytes)
        .await
        .map_err(|e| {
            let (transient, text) = super::send_failure(&e);
            if transient {
                Failure::Transient(text)
            } else {
                Failure::Permanent(text)
            }
        })
}

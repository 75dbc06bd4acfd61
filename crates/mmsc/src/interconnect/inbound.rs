//! What arrives at the SMTP listener (only from configured peers; the
//! listener has already refused other addresses, foreign sender domains,
//! relaying and oversized messages): MM4 messages from peer MMSCs, and
//! e-mail for `+number@` one of our domains (MM3).
//!
//! Every accepted message is stored (committed) before the handler returns,
//! so the 250 means durable. Answers to the peer (`.RES`) go through the
//! outbox. A message that makes no sense is refused with 554 and the
//! reason; a store failure is 451 (the peer retries).

use std::sync::Arc;

use ferry_interconnect::{InboundMessage, Mm4Handler, Rejection, Route};
use ferry_mm4::address::from_mm4;
use ferry_mm4::{
    DeliveryReportReq, ForwardReq, Mm4Message, Mm4Response, ReadReplyReportReq, ReadStatus as Mm4ReadStatus,
    RequestStatus,
};
use ferry_mms::{Address, Header, MessageType, SenderVisibility, TimeValue};
use ferry_store::{
    AddressKind, NewMessage, NewOutbound, NewRecipient, NewReport, OutboundKind, RecipientKey, ReportKind,
    ReportStatus, StoreError, new_message_id,
};

use crate::cdr::Cdr;
use crate::identity::normalize_msisdn;
use crate::{Inner, unix_now};

/// The listener's handler.
#[derive(Debug, Clone)]
pub(crate) struct Inbound {
    pub(crate) m: Arc<Inner>,
}

impl Mm4Handler for Inbound {
    async fn handle(&self, msg: InboundMessage) -> Result<(), Rejection> {
        if ferry_mm4::is_mm4(&msg.data) {
            self.mm4(&msg).await
        } else {
            self.mm3(&msg).await
        }
    }
}

fn store_rejection(e: &StoreError) -> Rejection {
    if e.is_transient() {
        Rejection::transient(format!("temporary failure storing the message: {e}"))
    } else {
        Rejection::permanent(format!("message refused by the store: {e}"))
    }
}

fn expiry_of(m: &Inner, requested: Option<TimeValue>, now: u64) -> u64 {
    let e = &m.config.expiry;
    let secs = match requested {
        Some(TimeValue::Relative(s)) => s,
        Some(TimeValue::Absolute(t)) if t > now => t - now,
        _ => e.default_secs,
    };
    now + secs.clamp(1, e.max_secs)
}

impl Inbound {
    /// Our subscribers among the envelope recipients (`+1555…/TYPE=PLMN`).
    fn local_recipients(&self, rcpts: &[String]) -> (Vec<NewRecipient>, Vec<String>) {
        let mut ours: Vec<NewRecipient> = Vec::new();
        let mut refused = Vec::new();
        for r in rcpts {
            let msisdn = match &self.m.ic.router {
                Some(router) => match router.resolve(r) {
                    Route::Local { msisdn } => Some(msisdn),
                    Route::Operator { name, .. } => {
                        refused.push(format!("{r} is served by operator {name}"));
                        None
                    }
                    Route::Email(_) => {
                        refused.push(format!("{r} is not +number@ one of our domains"));
                        None
                    }
                    Route::Unroutable(why) => {
                        refused.push(format!("{r}: {why}"));
                        None
                    }
                },
                None => {
                    let n = normalize_msisdn(super::strip_type(r));
                    crate::identity::is_msisdn(&n).then_some(n)
                }
            };
            if let Some(msisdn) = msisdn {
                let a = format!("{msisdn}/TYPE=PLMN");
                if !ours.iter().any(|x| x.address == a) {
                    ours.push(NewRecipient::new(a, AddressKind::Msisdn));
                }
            } else if self.m.ic.router.is_none() {
                refused.push(format!("{r}: not a phone number"));
            }
        }
        (ours, refused)
    }

    /// The MM4 operator to answer: by the domain of `addr` (the peer's
    /// system address), else by the sender's number.
    fn operator_for(&self, addr: Option<&str>, sender: Option<&str>) -> Option<String> {
        if let Some(a) = addr
            && let Some(d) = from_mm4(a).domain
            && let Some(op) = self.m.ic.peer_by_domain(&d)
        {
            return Some(op.to_owned());
        }
        let router = self.m.ic.router.as_ref()?;
        match router.resolve(sender?) {
            Route::Operator { name, .. } if self.m.ic.peers.contains_key(&name) => Some(name),
            _ => None,
        }
    }

    /// Queues a `.RES` for the peer.
    async fn answer(&self, res: Mm4Message<'static>, operator: Option<String>, about: &str) {
        let Some(mm4) = &self.m.config.mm4 else {
            return;
        };
        let (Mm4Message::ForwardRes(r) | Mm4Message::DeliveryReportRes(r) | Mm4Message::ReadReplyReportRes(r)) = &res
        else {
            return;
        };
        let Some(op) = operator else {
            tracing::warn!(message_id = about, "no MM4 peer to send the answer to");
            return;
        };
        let Some(to) = r.to.clone() else {
            tracing::warn!(message_id = about, "the request named no address to answer");
            return;
        };
        let job = NewOutbound {
            kind: OutboundKind::Mm4,
            message_id: about.to_owned(),
            recipient: None,
            destination: op,
            envelope_from: mm4.system(),
            rcpt: ferry_mm4::address::bare_email(&to).to_owned(),
            transaction_id: Some(r.transaction_id.clone()),
            payload: Some(res.encode()),
        };
        match self.m.store.enqueue_outbound(job, unix_now()).await {
            Ok(_) => self.m.wake_outbox.notify_one(),
            Err(e) => tracing::error!(error = %e, "queueing an MM4 answer"),
        }
    }

    fn response_to(
        &self,
        tid: &str,
        mid: &str,
        status: RequestStatus,
        text: Option<String>,
        to: Option<String>,
    ) -> Mm4Response {
        let mut r = Mm4Response::new(tid, mid, status);
        r.status_text = text;
        r.sender = self.m.config.mm4.as_ref().map(|c| c.system());
        r.to = to;
        r.date = Some(unix_now());
        r
    }

    async fn mm4(&self, msg: &InboundMessage) -> Result<(), Rejection> {
        let parsed = ferry_mm4::parse(&msg.data)
            .map_err(|e| Rejection::permanent(format!("malformed MM4 message: {e}")))?
            .into_owned();
        metrics::counter!("mmsc_mm4_in_total", "kind" => parsed.kind().to_string()).increment(1);
        tracing::info!(peer = %msg.peer, kind = %parsed.kind(), message_id = parsed.message_id(), "MM4 received");
        match parsed {
            Mm4Message::ForwardReq(f) => self.forward_in(msg, f).await,
            Mm4Message::ForwardRes(r) => self.forward_res(r).await,
            Mm4Message::DeliveryReportReq(r) => self.delivery_report_in(r).await,
            Mm4Message::ReadReplyReportReq(r) => self.read_report_in(r).await,
            // Acknowledgements of our reports: nothing to do but note them.
            _ => Ok(()),
        }
    }

    async fn forward_in(&self, msg: &InboundMessage, f: ForwardReq<'static>) -> Result<(), Rejection> {
        let m = &self.m;
        let (recipients, refused) = self.local_recipients(&msg.rcpt_to);
        if !refused.is_empty() {
            tracing::warn!(peer = %msg.peer, ?refused, "MM4 recipients that are not ours were dropped");
        }
        if recipients.is_empty() {
            return Err(Rejection::permanent(format!(
                "none of the recipients is a subscriber here: {}",
                refused.join("; ")
            )));
        }
        let id = f.message_id.trim();
        if id.is_empty() || id.len() > 200 {
            return Err(Rejection::permanent("X-Mms-Message-ID must be 1 to 200 characters"));
        }
        let sender_addr = from_mm4(&f.from).address;
        let sender = if sender_addr.kind() == ferry_mms::AddressKind::Email {
            sender_addr.value().into_owned()
        } else {
            format!("{}/TYPE=PLMN", m.ic.normalise(&sender_addr.value()))
        };
        let hidden = f.sender_visibility == Some(SenderVisibility::HIDE);
        let now = unix_now();
        let mut pdu = f.to_retrieve_conf(None);
        if hidden {
            pdu.headers.retain(|h| !matches!(h, Header::From(_)));
        } else {
            // Our form of the sender (no MM4 domain), in the From's place.
            for h in &mut pdu.headers {
                if matches!(h, Header::From(_)) {
                    *h = Header::From(ferry_mms::FromValue::Address(Address::new(sender.clone())));
                }
            }
        }
        debug_assert_eq!(pdu.message_type(), Some(MessageType::RETRIEVE_CONF));
        let body = pdu.to_bytes();
        let message = NewMessage {
            id: id.to_owned(),
            sender: sender.clone(),
            sender_hidden: hidden,
            content_type: f.content_type.media.as_str().into_owned(),
            subject: f.subject.clone(),
            message_class: f.message_class.as_ref().map(|c| c.to_string()),
            priority: f.priority.map(|p| p.to_string()),
            date: f.date.unwrap_or(now),
            expiry: expiry_of(m, f.expiry, now),
            delivery_report: f.delivery_report.unwrap_or(false),
            read_report: f.read_reply.unwrap_or(false),
            recipients,
            body,
        };
        let to: Vec<String> = message.recipients.iter().map(|r| r.address.clone()).collect();
        let size = message.body.len() as u64;
        match m.store.submit(message, now).await {
            Ok(_) => {
                m.wake.notify_one();
                metrics::counter!("mmsc_messages_accepted_total").increment(1);
                m.cdr.record(Cdr {
                    ts: now,
                    event: "mm4-in",
                    message_id: id.to_owned(),
                    from: sender.clone(),
                    to,
                    size,
                    status: "ok".into(),
                    class: f.message_class.as_ref().map(|c| c.to_string()),
                });
            }
            // The peer sent it again (our 250 got lost): we have it.
            Err(StoreError::Duplicate { .. }) => {
                tracing::info!(message_id = id, "MM4 forward received again: already stored");
            }
            Err(e) => return Err(store_rejection(&e)),
        }
        if f.ack_request {
            let op = self.operator_for(f.originator_system.as_deref().or(f.sender.as_deref()), Some(&sender));
            let mut res = f.response(RequestStatus::OK, m.config.mm4.as_ref().map(|c| c.system()).as_deref());
            res.date = Some(now);
            self.answer(Mm4Message::ForwardRes(res), op, id).await;
        }
        Ok(())
    }

    async fn forward_res(&self, r: Mm4Response) -> Result<(), Rejection> {
        let m = &self.m;
        let job = m
            .store
            .outbound_by_transaction(&r.transaction_id)
            .await
            .map_err(|e| store_rejection(&e))?;
        let Some(job) = job else {
            tracing::warn!(transaction_id = %r.transaction_id, "MM4_forward.RES for no forward of ours");
            return Ok(());
        };
        if r.status.is_ok() {
            tracing::info!(message_id = %job.message_id, to = %job.rcpt, "peer accepted the MM4 forward");
            return Ok(());
        }
        let Some(rid) = job.recipient else {
            return Ok(());
        };
        let why = format!(
            "operator {} refused the message: {}{}",
            job.destination,
            r.status,
            r.status_text.as_deref().map(|t| format!(" ({t})")).unwrap_or_default()
        );
        match m
            .store
            .update_recipient(
                RecipientKey::Id(rid),
                ferry_store::RecipientUpdate::to(ferry_store::RecipientState::Failed).reason(why),
                unix_now(),
            )
            .await
        {
            Ok(t) if t.report.is_some() => m.wake_reports.notify_one(),
            Ok(_) | Err(StoreError::InvalidTransition { .. }) => {}
            Err(e) => return Err(store_rejection(&e)),
        }
        Ok(())
    }

    /// Our recipient row a report is about: message by id, recipient by
    /// the report's From number.
    async fn reported_recipient(
        &self,
        message_id: &str,
        from: &str,
    ) -> Result<Option<(ferry_store::MessageMeta, ferry_store::Recipient)>, Rejection> {
        let m = &self.m;
        let Some(msg) = m.store.message(message_id).await.map_err(|e| store_rejection(&e))? else {
            return Ok(None);
        };
        let who = m.ic.normalise(&from_mm4(from).address.value());
        let rs = m.store.recipients(message_id).await.map_err(|e| store_rejection(&e))?;
        Ok(rs
            .into_iter()
            .find(|r| r.kind == AddressKind::Msisdn && m.ic.normalise(&r.address) == who)
            .map(|r| (msg, r)))
    }

    async fn delivery_report_in(&self, r: DeliveryReportReq) -> Result<(), Rejection> {
        let m = &self.m;
        let found = self.reported_recipient(&r.message_id, &r.from).await?;
        let answer_to = r.originator_system.clone().or(r.sender.clone());
        let op = self.operator_for(answer_to.as_deref(), Some(&r.from));
        let (status, text) = match &found {
            None => (
                RequestStatus::ERROR_MESSAGE_NOT_FOUND,
                Some(format!(
                    "no message {} to {} was forwarded from here",
                    r.message_id, r.from
                )),
            ),
            Some((_, rcp)) => match super::state_of(&r.mm_status) {
                Some(state) => {
                    let reason = format!(
                        "reported by the recipient's operator: {}{}",
                        r.mm_status,
                        r.status_text.as_deref().map(|t| format!(" ({t})")).unwrap_or_default()
                    );
                    match m
                        .store
                        .update_recipient(
                            RecipientKey::Id(rcp.id),
                            ferry_store::RecipientUpdate::to(state).reason(reason),
                            unix_now(),
                        )
                        .await
                    {
                        Ok(t) => {
                            if t.report.is_some() {
                                m.wake_reports.notify_one();
                            }
                        }
                        Err(StoreError::InvalidTransition { .. }) => {
                            tracing::info!(message_id = %r.message_id, "delivery report for a recipient already final");
                        }
                        Err(e) => return Err(store_rejection(&e)),
                    }
                    (RequestStatus::OK, None)
                }
                None => {
                    tracing::info!(status = %r.mm_status, "MM4 delivery report status with no state change");
                    (RequestStatus::OK, None)
                }
            },
        };
        if r.ack_request {
            let res = self.response_to(&r.transaction_id, &r.message_id, status, text, answer_to);
            self.answer(Mm4Message::DeliveryReportRes(res), op, &r.message_id).await;
        }
        Ok(())
    }

    async fn read_report_in(&self, r: ReadReplyReportReq) -> Result<(), Rejection> {
        let m = &self.m;
        let found = self.reported_recipient(&r.message_id, &r.from).await?;
        let answer_to = r.originator_system.clone().or(r.sender.clone());
        let op = self.operator_for(answer_to.as_deref(), Some(&r.from));
        let (status, text) = match found {
            None => (
                RequestStatus::ERROR_MESSAGE_NOT_FOUND,
                Some(format!(
                    "no message {} to {} was forwarded from here",
                    r.message_id, r.from
                )),
            ),
            Some((msg, _)) if !msg.read_report => {
                tracing::info!(message_id = %r.message_id, "read report not requested by the sender: dropped");
                (RequestStatus::OK, None)
            }
            Some((msg, rcp)) => {
                let now = unix_now();
                let status = if r.read_status == Mm4ReadStatus::DELETED_WITHOUT_BEING_READ {
                    ReportStatus::DeletedWithoutRead
                } else {
                    ReportStatus::Read
                };
                let rep = NewReport {
                    kind: ReportKind::Read,
                    message_id: msg.id.clone(),
                    to: msg.sender.clone(),
                    from: rcp.address.clone(),
                    status,
                    date: r.date.unwrap_or(now),
                };
                m.store
                    .enqueue_report(rep, now)
                    .await
                    .map_err(|e| store_rejection(&e))?;
                m.wake_reports.notify_one();
                (RequestStatus::OK, None)
            }
        };
        if r.ack_request {
            let res = self.response_to(&r.transaction_id, &r.message_id, status, text, answer_to);
            self.answer(Mm4Message::ReadReplyReportRes(res), op, &r.message_id)
                .await;
        }
        Ok(())
    }

    /// An e-mail for `+number@` one of our domains becomes an MMS.
    async fn mm3(&self, msg: &InboundMessage) -> Result<(), Rejection> {
        let m = &self.m;
        let (recipients, refused) = self.local_recipients(&msg.rcpt_to);
        if recipients.is_empty() {
            return Err(Rejection::permanent(format!(
                "no recipient is a subscriber here (write +number@our domain): {}",
                refused.join("; ")
            )));
        }
        let mail = ferry_mm4::mm3::mms_from_email(&msg.data)
            .map_err(|e| Rejection::permanent(format!("e-mail not understood: {e}")))?;
        let from = mail.from.clone().unwrap_or_else(|| msg.mail_from.clone());
        if from.is_empty() {
            return Err(Rejection::permanent("the e-mail has no sender (From)"));
        }
        let now = unix_now();
        let id = new_message_id();
        let to: Vec<Address<'static>> = recipients.iter().map(|r| Address::new(r.address.clone())).collect();
        let body = mail.to_retrieve_conf(None, Some(&id), &to).to_bytes();
        let size = body.len() as u64;
        let message = NewMessage {
            id: id.clone(),
            sender: from.clone(),
            sender_hidden: false,
            content_type: mail.content_type.media.as_str().into_owned(),
            subject: mail.subject.clone(),
            message_class: None,
            priority: None,
            date: mail.date.unwrap_or(now),
            expiry: expiry_of(m, None, now),
            delivery_report: false,
            read_report: false,
            recipients,
            body,
        };
        let to: Vec<String> = message.recipients.iter().map(|r| r.address.clone()).collect();
        m.store.submit(message, now).await.map_err(|e| store_rejection(&e))?;
        m.wake.notify_one();
        metrics::counter!("mmsc_messages_accepted_total").increment(1);
        if !mail.dropped.is_empty() {
            tracing::info!(message_id = %id, dropped = ?mail.dropped, "e-mail parts with no place in an MMS dropped");
        }
        m.cdr.record(Cdr {
            ts: now,
            event: "mm3-in",
            message_id: id,
            from,
            to,
            size,
            status: "ok".into(),
            class: None,
        });
        Ok(())
    }
}

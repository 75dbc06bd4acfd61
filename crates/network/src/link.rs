//! A phone's SMS attachment, tapped: every short message the SMSC delivers
//! to the phone is recorded (size, segment number) before the phone gets
//! it, and a private reassembler notes when the segments make a WAP Push
//! and which MMS PDU it carries.

use std::sync::Arc;
use std::time::Instant;

use ferry_handset::sms::{InboundSms, Received, SmsInbox, SmsLink};
use ferry_mms::Pdu;
use ferry_wsp::Push;

use crate::trace::{Step, Tracer};

/// Wraps a phone's [`SmsLink`].
#[derive(Debug)]
pub struct TapLink<L> {
    inner: L,
    operator: Arc<str>,
    phone: String,
    tracer: Tracer,
    inbox: SmsInbox,
}

impl<L: SmsLink> TapLink<L> {
    /// Taps `inner`, the link of phone `phone`.
    pub fn new(inner: L, operator: Arc<str>, phone: String, tracer: Tracer) -> Self {
        Self {
            inner,
            operator,
            phone,
            tracer,
            inbox: SmsInbox::new(),
        }
    }

    fn observe(&mut self, sms: &InboundSms) {
        let udhi = sms.esm_class & ferry_sms::ESM_CLASS_UDHI != 0;
        let seg = if udhi {
            ferry_sms::split_udh(&sms.payload)
                .ok()
                .and_then(|(h, _)| h.concat())
                .map_or_else(|| "1/1".to_owned(), |c| format!("{}/{}", c.seq, c.total))
        } else {
            "1/1 (text)".to_owned()
        };
        self.tracer.now(
            &self.operator,
            Step::SmsSegment,
            format!("SMSC → {}", self.phone),
            Some(sms.payload.len()),
            None,
            format!("deliver_sm {seg} from {}", sms.source),
        );
        let now = Instant::now();
        self.inbox.handle_timeout(now);
        if let Ok(Some(Received::WapPush { datagram, .. })) = self.inbox.handle_sms(now, sms) {
            let what = match Push::decode(&datagram) {
                Ok(push) if push.is_mms() => match Pdu::decode(push.body) {
                    Ok(p) => {
                        let t = p
                            .message_type()
                            .map_or_else(|| "MMS PDU".to_owned(), |t| t.to_string());
                        match p.transaction_id() {
                            Some(tid) => format!("{t}, tid {tid}"),
                            None => t,
                        }
                    }
                    Err(e) => format!("MMS PDU that does not decode: {e}"),
                },
                Ok(push) => format!("{} push", push.content_type.media.as_str()),
                Err(e) => format!("undecodable push: {e}"),
            };
            self.tracer.now(
                &self.operator,
                Step::WapPush,
                format!("at {}", self.phone),
                Some(datagram.len()),
                None,
                what,
            );
        }
    }
}

impl<L: SmsLink> SmsLink for TapLink<L> {
    async fn recv(&mut self) -> Option<InboundSms> {
        let sms = self.inner.recv().await?;
        if self.tracer.enabled() {
            self.observe(&sms);
        }
        Some(sms)
    }
}

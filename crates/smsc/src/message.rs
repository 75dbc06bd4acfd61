//! A message the SMSC holds: where it goes, until when, and the deliver_sm
//! that carries it; and the delivery receipts made from it.

use std::time::{SystemTime, UNIX_EPOCH};

use ferry_smpp::{
    AbsoluteTime, Address, Body, DataCoding, DeliverSm, DeliveryReceipt, EncodeError, EsmClass,
    MessageState, Pdu, ReceiptDate, ReceiptRequest, RegisteredDelivery, SubmitSm, Tlv, TlvList,
};

/// Who a message is for: the handset bound with an MSISDN, or the
/// receiver sessions of an account (delivery receipts for a gateway).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Target {
    /// A handset's number (normalized: digits only).
    Msisdn(String),
    /// An account's system_id.
    System(String),
}

impl Target {
    pub(crate) fn kind(&self) -> i64 {
        match self {
            Target::Msisdn(_) => 0,
            Target::System(_) => 1,
        }
    }

    pub(crate) fn key(&self) -> &str {
        match self {
            Target::Msisdn(s) | Target::System(s) => s,
        }
    }

    pub(crate) fn from_parts(kind: i64, key: String) -> Target {
        if kind == 1 {
            Target::System(key)
        } else {
            Target::Msisdn(key)
        }
    }
}

/// One stored message.
#[derive(Debug)]
pub(crate) struct Msg {
    /// The SMSC's message id (the decimal text of it goes in
    /// submit_sm_resp and in the receipt's `id:`).
    pub(crate) id: u64,
    /// Where it goes.
    pub(crate) target: Target,
    /// Where its delivery receipt goes, when one was asked for.
    pub(crate) receipt_to: Option<Target>,
    /// The submitter's registered_delivery.
    pub(crate) registered_delivery: u8,
    /// When it was accepted (Unix milliseconds).
    pub(crate) submit_ms: i64,
    /// When its validity ends (Unix milliseconds).
    pub(crate) expires_ms: i64,
    /// Not to be delivered before (Unix milliseconds; the schedule).
    pub(crate) not_before_ms: i64,
    /// The whole deliver_sm PDU (sequence number 0), checked to decode.
    pub(crate) pdu: Vec<u8>,
}

impl Msg {
    /// The deliver_sm this message is sent as.
    pub(crate) fn deliver_sm(&self) -> Option<Pdu<'_>> {
        Pdu::decode(&self.pdu).ok()
    }

    /// Whether the submitter wants a receipt for a final `state`.
    pub(crate) fn wants_receipt(&self, state: MessageState) -> bool {
        if self.receipt_to.is_none() {
            return false;
        }
        match RegisteredDelivery(self.registered_delivery).smsc_receipt() {
            ReceiptRequest::Always => true,
            ReceiptRequest::OnFailure => state != MessageState::DELIVERED,
            _ => false,
        }
    }
}

/// Now, in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The deliver_sm for a submit_sm: the same addresses, esm_class,
/// protocol_id, priority, data_coding, short message and TLVs; the time
/// fields, registered_delivery and replace flag NULL/0 as §4.6.1 says.
pub(crate) fn deliver_from_submit(
    sm: &SubmitSm<'_>,
    source: Address<'_>,
) -> Result<Vec<u8>, EncodeError> {
    let d = DeliverSm {
        service_type: sm.service_type,
        source,
        destination: sm.destination,
        esm_class: sm.esm_class,
        protocol_id: sm.protocol_id,
        priority_flag: sm.priority_flag,
        schedule_delivery_time: None,
        validity_period: None,
        registered_delivery: RegisteredDelivery(0),
        replace_if_present_flag: 0,
        data_coding: sm.data_coding,
        sm_default_msg_id: 0,
        short_message: sm.short_message,
        tlvs: sm.tlvs.clone(),
    };
    Pdu::new(0, Body::DeliverSm(d)).to_bytes()
}

fn receipt_date(ms: i64) -> ReceiptDate {
    let t = AbsoluteTime::from_unix_timestamp(ms.div_euclid(1000));
    ReceiptDate {
        year: t.year,
        month: t.month,
        day: t.day,
        hour: t.hour,
        minute: t.minute,
        second: None,
    }
}

/// The first 20 characters of a plain-text message, for `text:`; empty for
/// binary or UDH-carrying messages.
fn receipt_snippet<'a>(sm: &'a DeliverSm<'_>) -> &'a [u8] {
    let text_coding = matches!(sm.data_coding, DataCoding(0 | 1 | 3));
    if sm.esm_class.udhi() || !text_coding {
        return b"";
    }
    let m = sm.short_message;
    let m = &m[..m.len().min(20)];
    if m.iter().all(|b| (0x20..0x7f).contains(b)) {
        m
    } else {
        b""
    }
}

/// The delivery receipt PDU for `orig` reaching final `state` at `done_ms`:
/// `id:… sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm
/// stat:DELIVRD err:000 text:…` (UTC) with the receipted_message_id and
/// message_state TLVs, from the original recipient to the original sender.
pub(crate) fn receipt_pdu(orig: &Msg, state: MessageState, done_ms: i64) -> Option<Vec<u8>> {
    let pdu = orig.deliver_sm()?;
    let Body::DeliverSm(sm) = &pdu.body else {
        return None;
    };
    let id = orig.id.to_string();
    let text = DeliveryReceipt {
        id: Some(&id),
        sub: Some(1),
        dlvrd: Some(u32::from(state == MessageState::DELIVERED)),
        submit_date: Some(receipt_date(orig.submit_ms)),
        done_date: Some(receipt_date(done_ms)),
        stat: state.receipt_stat(),
        err: Some("000"),
        text: Some(receipt_snippet(sm)),
    }
    .to_text();
    let r = DeliverSm {
        source: sm.destination,
        destination: sm.source,
        esm_class: EsmClass(0x04),
        data_coding: DataCoding(0),
        short_message: &text,
        tlvs: TlvList::from(vec![
            Tlv::new_receipted_message_id(id.as_bytes()),
            Tlv::new_message_state(state),
        ]),
        ..Default::default()
    };
    Pdu::new(0, Body::DeliverSm(r)).to_bytes().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_smpp::{Npi, Ton};

    #[test]
    fn receipt_text_and_tlvs() {
        let sm = SubmitSm {
            source: Address::new(Ton(1), Npi(1), b"4790000001"),
            destination: Address::new(Ton(1), Npi(1), b"4790000002"),
            short_message: b"Hello world, this is a test",
            registered_delivery: RegisteredDelivery(1),
            ..Default::default()
        };
        let pdu = deliver_from_submit(&sm, sm.source).unwrap();
        let m = Msg {
            id: 42,
            target: Target::Msisdn("4790000002".into()),
            receipt_to: Some(Target::System("gw".into())),
            registered_delivery: 1,
            submit_ms: 1_704_209_400_000, // 2024-01-02 15:30:00 UTC
            expires_ms: 0,
            not_before_ms: 0,
            pdu,
        };
        assert!(m.wants_receipt(MessageState::DELIVERED));
        let r = receipt_pdu(&m, MessageState::DELIVERED, 1_704_209_460_000).unwrap();
        let p = Pdu::decode(&r).unwrap();
        let Body::DeliverSm(d) = p.body else { panic!() };
        assert_eq!(
            d.short_message,
            &b"id:42 sub:001 dlvrd:001 submit date:2401021530 done date:2401021531 stat:DELIVRD err:000 text:Hello world, this is"[..]
        );
        assert_eq!(d.esm_class, EsmClass(0x04));
        assert_eq!(d.source.addr, b"4790000002");
        assert_eq!(d.destination.addr, b"4790000001");
        assert_eq!(d.tlvs.receipted_message_id(), Some(&b"42"[..]));
        assert_eq!(d.tlvs.message_state(), Some(MessageState::DELIVERED));
    }
}

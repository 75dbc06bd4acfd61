//! The PDUs the MMSC writes: M-Send.conf, M-Retrieve.conf (the stored one
//! and the error form), M-Notification.ind, M-Forward.conf, M-Delivery.ind
//! and M-Read-Orig.ind. All through `ferry-mms`; nothing here does I/O.

use std::borrow::Cow;

use ferry_mms::{
    Address, Body, ContentType, EncodedString, FromValue, Header, MessageClass, MessageType, Pdu, ReadStatus,
    ResponseStatus, RetrieveStatus, Status, TimeValue, Version, YesNo,
};

/// The content type of MMS PDUs over HTTP and in pushes.
pub const MMS_CONTENT_TYPE: &str = "application/vnd.wap.mms-message";

/// M-Send.conf with a status, an optional Response-Text and the
/// Message-ID of an accepted message (§6.1.2). The version is 1.3 (the
/// highest this server speaks: the answer to an unsupported version says
/// which one it does).
pub fn send_conf(
    transaction_id: &str,
    status: ResponseStatus,
    text: Option<&str>,
    message_id: Option<&str>,
) -> Vec<u8> {
    let mut p = Pdu::send_conf(Cow::Borrowed(transaction_id), status, message_id.map(Cow::Borrowed));
    if let Some(t) = text {
        p.headers.push(Header::ResponseText {
            index: None,
            text: EncodedString::new(t),
        });
    }
    p.to_bytes()
}

/// M-Forward.conf (§6.9.2).
pub fn forward_conf(
    transaction_id: &str,
    status: ResponseStatus,
    text: Option<&str>,
    message_id: Option<&str>,
) -> Vec<u8> {
    let mut p = Pdu::new(
        MessageType::FORWARD_CONF,
        Some(Cow::Borrowed(transaction_id)),
        Version::V1_3,
    )
    .with(Header::ResponseStatus { index: None, status });
    if let Some(t) = text {
        p.headers.push(Header::ResponseText {
            index: None,
            text: EncodedString::new(t),
        });
    }
    if let Some(id) = message_id {
        p.headers.push(Header::MessageId(Cow::Borrowed(id)));
    }
    p.to_bytes()
}

/// The error form of M-Retrieve.conf (§6.3, X-Mms-Retrieve-Status of 1.3):
/// Date, the status and its text, and the text as a `text/plain` body
/// (Content-Type is mandatory in M-Retrieve.conf).
pub fn retrieve_error(status: RetrieveStatus, text: &str, now: u64) -> Vec<u8> {
    Pdu::new(MessageType::RETRIEVE_CONF, None, Version::V1_3)
        .with(Header::Date(now))
        .with(Header::RetrieveStatus(status))
        .with(Header::RetrieveText(EncodedString::new(text)))
        .with_body(
            ContentType::new("text/plain"),
            Body::Single(Cow::Owned(text.as_bytes().to_vec())),
        )
        .to_bytes()
}

/// Inserts X-Mms-Transaction-ID into a stored M-Retrieve.conf (which is
/// stored without one: it differs per recipient). The stored PDU is
/// canonical, so the first two octets are X-Mms-Message-Type and the
/// Transaction-ID goes right after them.
pub fn with_transaction_id(stored: &[u8], transaction_id: Option<&str>) -> Vec<u8> {
    let Some(tid) = transaction_id else {
        return stored.to_vec();
    };
    let mut out = Vec::with_capacity(stored.len() + tid.len() + 2);
    out.extend_from_slice(&stored[..2.min(stored.len())]);
    Header::TransactionId(Cow::Borrowed(tid)).encode(&mut out);
    out.extend_from_slice(&stored[2.min(stored.len())..]);
    out
}

/// What the recipient's notification says.
#[derive(Debug, Clone)]
pub struct NotificationFields<'a> {
    /// X-Mms-Transaction-ID.
    pub transaction_id: &'a str,
    /// X-Mms-Content-Location.
    pub content_location: &'a str,
    /// X-Mms-Message-Size.
    pub size: u64,
    /// Absolute expiry.
    pub expiry: u64,
    /// Message class text (`personal`, ...).
    pub class: Option<&'a str>,
    /// Priority text.
    pub priority: Option<&'a str>,
    /// From (None when hidden or left out).
    pub from: Option<&'a str>,
    /// Subject (None when absent or left out).
    pub subject: Option<&'a str>,
    /// The sender asked for a delivery report.
    pub delivery_report: bool,
}

/// M-Notification.ind (§6.2).
pub fn notification_ind(f: &NotificationFields<'_>) -> Vec<u8> {
    let mut p = Pdu::notification_ind(
        f.transaction_id,
        f.content_location,
        f.size,
        TimeValue::Absolute(f.expiry),
    );
    if let Some(c) = f.class.and_then(class_from_text) {
        for h in &mut p.headers {
            if let Header::MessageClass(x) = h {
                *x = c.clone();
            }
        }
    }
    if let Some(from) = f.from {
        p.headers.push(Header::From(FromValue::Address(Address::new(from))));
    }
    if let Some(s) = f.subject {
        p.headers.push(Header::Subject(EncodedString::new(s)));
    }
    if let Some(pr) = f.priority.and_then(ferry_mms::Priority::from_name) {
        p.headers.push(Header::Priority(pr));
    }
    if f.delivery_report {
        p.headers.push(Header::DeliveryReport(YesNo::YES));
    }
    p.to_bytes()
}

/// M-Delivery.ind (§6.5) for the original sender: To is the recipient the
/// report is about.
pub fn delivery_ind(message_id: &str, recipient: &str, date: u64, status: Status) -> Vec<u8> {
    Pdu::delivery_ind(message_id, Address::new(recipient), date, status).to_bytes()
}

/// M-Read-Orig.ind (§6.7.2) for the original sender: To is the sender, From
/// the recipient who read it.
pub fn read_orig_ind(message_id: &str, sender: &str, recipient: &str, date: u64, status: ReadStatus) -> Vec<u8> {
    Pdu::read_orig_ind(message_id, Address::new(sender), Address::new(recipient), date, status).to_bytes()
}

/// A message class from its stored text.
pub fn class_from_text(s: &str) -> Option<MessageClass<'static>> {
    Some(match ferry_mms::ClassToken::from_name(s) {
        Some(t) => MessageClass::Token(t),
        None if !s.is_empty() => MessageClass::Text(Cow::Owned(s.to_owned())),
        None => return None,
    })
}

/// Reads the X-Mms-Transaction-ID from the first octets of a PDU that may be
/// cut short or corrupt, so that an error answer can still echo it. Looks
/// only at the canonical position (right after X-Mms-Message-Type), where
/// every client puts it.
pub fn sniff_transaction_id(prefix: &[u8]) -> Option<String> {
    if prefix.len() < 4 || prefix[0] != 0x8C || prefix[2] != 0x98 {
        return None;
    }
    let rest = &prefix[3..];
    let end = rest.iter().position(|&b| b == 0)?;
    let t = rest[..end].strip_prefix(b"\x7f").unwrap_or(&rest[..end]);
    std::str::from_utf8(t)
        .ok()
        .filter(|s| s.len() <= 100)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_conf_bytes() {
        // 8C 81 | 98 "T1" 00 | 8D 93 | 92 80 | 8B "id" 00
        let b = send_conf("T1", ResponseStatus::OK, None, Some("id"));
        assert_eq!(
            b,
            [
                0x8C, 0x81, 0x98, b'T', b'1', 0, 0x8D, 0x93, 0x92, 0x80, 0x8B, b'i', b'd', 0
            ]
        );
        let p = Pdu::decode(&b).unwrap();
        p.validate().unwrap();
        let b = send_conf(
            "T1",
            ResponseStatus::PERMANENT_CONTENT_NOT_ACCEPTED,
            Some("too big"),
            None,
        );
        let p = Pdu::decode(&b).unwrap();
        assert_eq!(
            p.response_status(),
            Some(ResponseStatus::PERMANENT_CONTENT_NOT_ACCEPTED)
        );
        assert_eq!(p.response_text().unwrap().text(), "too big");
    }

    #[test]
    fn retrieve_error_is_valid() {
        let b = retrieve_error(
            RetrieveStatus::PERMANENT_MESSAGE_NOT_FOUND,
            "no such message",
            1_700_000_000,
        );
        let p = Pdu::decode(&b).unwrap();
        p.validate().unwrap();
        assert_eq!(p.retrieve_status(), Some(RetrieveStatus::PERMANENT_MESSAGE_NOT_FOUND));
        assert_eq!(p.retrieve_text().unwrap().text(), "no such message");
    }

    #[test]
    fn transaction_id_splice() {
        let stored = Pdu::retrieve_conf(
            None,
            Some("mid".into()),
            None,
            5,
            ContentType::new("application/vnd.wap.multipart.related"),
            vec![],
        )
        .to_bytes();
        let b = with_transaction_id(&stored, Some("T9"));
        let p = Pdu::decode(&b).unwrap();
        assert_eq!(p.transaction_id(), Some("T9"));
        assert_eq!(p.to_bytes(), b, "splice keeps the canonical form");
        assert_eq!(with_transaction_id(&stored, None), stored);
    }

    #[test]
    fn sniff() {
        let b = send_conf("abc", ResponseStatus::OK, None, None);
        assert_eq!(sniff_transaction_id(&b).as_deref(), Some("abc"));
        assert_eq!(sniff_transaction_id(&b[..4]), None);
        assert_eq!(sniff_transaction_id(b"junk"), None);
    }

    #[test]
    fn notification_fields() {
        let b = notification_ind(&NotificationFields {
            transaction_id: "T",
            content_location: "http://x/m/tok",
            size: 30000,
            expiry: 1_700_000_000,
            class: Some("personal"),
            priority: Some("high"),
            from: Some("+1555/TYPE=PLMN"),
            subject: Some("hi"),
            delivery_report: true,
        });
        let p = Pdu::decode(&b).unwrap();
        p.validate().unwrap();
        assert_eq!(p.content_location(), Some("http://x/m/tok"));
        assert_eq!(p.message_size(), Some(30000));
        assert_eq!(p.from().unwrap().to_string(), "+1555/TYPE=PLMN");
        assert_eq!(p.subject().unwrap().text(), "hi");
        assert_eq!(p.priority(), Some(ferry_mms::Priority::HIGH));
    }
}

//! `MM4_forward.REQ` (TS 23.140 §8.4.1.1): the originator's MMS
//! Relay/Server hands a multimedia message to the recipient's over SMTP.
//!
//! ```text
//!   Pdu (M-Send.req / stored MM) + ForwardMeta ──► ForwardReq::from_pdu ──► encode ──► RFC 5322
//!   RFC 5322 ──► parse ──► ForwardReq { headers, content_type, parts } ──► to_retrieve_conf ──► Pdu
//! ```

use std::borrow::Cow;

use ferry_mms::{
    Body, FromValue, Header, MessageClass, MessageType, Pdu, Priority, SenderVisibility, TimeValue,
    Version,
};
use ferry_wsp::{ContentType, EncodedString, Part};
use mail_builder::mime::{BodyPart, MimePart};
use mail_parser::Message;

use crate::address::to_mm4;
use crate::codes::{
    MessageKind, RequestStatus, class_from_text, class_text, priority_from_text, priority_text,
    visibility_from_text, visibility_text, yes_no,
};
use crate::error::Error;
use crate::message::{DEFAULT_3GPP_VERSION, Headers, read_common, write_common};
use crate::mime::{
    Alternatives, HeaderWriter, part_to_mime, parts_from_message, to_mime_content_type,
};
use crate::report::Mm4Response;

/// What the forwarding MMS Relay/Server adds to the MM it forwards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForwardMeta {
    /// `X-Mms-Transaction-ID`: new for each forward; the `.RES` repeats it.
    pub transaction_id: String,
    /// `X-Mms-Message-ID`: the MM's identity, which reports quote.
    pub message_id: String,
    /// `X-Mms-Originator-System` (and `Sender`): the system address of the
    /// forwarding MMSC, where `.RES` and reports go, e.g.
    /// `system-user@mms.a.example`.
    pub originator_system: String,
    /// The forwarding MMSC's MM4 domain: appended to the sender's number in
    /// `From`, and used in the RFC 5322 `Message-ID`.
    pub originator_domain: String,
    /// The receiving MMSC's MM4 domain: appended to phone numbers in `To`
    /// and `Cc`.
    pub recipient_domain: String,
    /// `X-Mms-Ack-Request`: ask for an `MM4_forward.RES`.
    pub ack_request: bool,
    /// `X-Mms-Forward-Counter`, when the MM was forwarded by a user.
    pub forward_counter: Option<u64>,
    /// `X-Mms-3GPP-MMS-Version`; [`DEFAULT_3GPP_VERSION`] when `None`.
    pub version: Option<String>,
}

/// An `MM4_forward.REQ`: its headers and the MM's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardReq<'a> {
    /// `X-Mms-3GPP-MMS-Version`.
    pub version: String,
    /// `X-Mms-Transaction-ID`.
    pub transaction_id: String,
    /// `X-Mms-Message-ID`.
    pub message_id: String,
    /// `Sender`: the forwarding system's address.
    pub sender: Option<String>,
    /// `From`: the originator, MM4 form (`+1555/TYPE=PLMN@mms.a.example`).
    pub from: String,
    /// `To`, MM4 form.
    pub to: Vec<String>,
    /// `Cc`, MM4 form.
    pub cc: Vec<String>,
    /// `Subject`, decoded.
    pub subject: Option<String>,
    /// `Date`, seconds since the epoch.
    pub date: Option<u64>,
    /// `X-Mms-Expiry`: an RFC 5322 date (absolute) or a number of seconds
    /// (relative).
    pub expiry: Option<TimeValue>,
    /// `X-Mms-Message-Class`.
    pub message_class: Option<MessageClass<'static>>,
    /// `X-Mms-Priority`.
    pub priority: Option<Priority>,
    /// `X-Mms-Delivery-Report`.
    pub delivery_report: Option<bool>,
    /// `X-Mms-Read-Reply`.
    pub read_reply: Option<bool>,
    /// `X-Mms-Sender-Visibility`.
    pub sender_visibility: Option<SenderVisibility>,
    /// `X-Mms-Ack-Request`.
    pub ack_request: bool,
    /// `X-Mms-Originator-System`.
    pub originator_system: Option<String>,
    /// `X-Mms-Forward-Counter`.
    pub forward_counter: Option<u64>,
    /// `X-Mms-Previously-sent-by`, in order.
    pub previously_sent_by: Vec<String>,
    /// `X-Mms-Previously-sent-date-and-time`, in order.
    pub previously_sent_date: Vec<u64>,
    /// Other `X-Mms-*` headers, name and value as sent (kept so that they
    /// survive a store and forward).
    pub extra: Vec<(String, String)>,
    /// RFC 5322 `Message-ID`, with angle brackets.
    pub mime_message_id: Option<String>,
    /// The MM's content type in MMS form
    /// (`application/vnd.wap.multipart.related; type=application/smil; start=<...>`).
    pub content_type: ContentType<'static>,
    /// The MM's parts (text in UTF-8).
    pub parts: Vec<Part<'a>>,
}

/// The headers [`ForwardReq`] reads itself (the rest of `X-Mms-*` goes to `extra`).
const KNOWN: &[&str] = &[
    "X-Mms-3GPP-MMS-Version",
    "X-Mms-Message-Type",
    "X-Mms-Transaction-ID",
    "X-Mms-Message-ID",
    "X-Mms-Expiry",
    "X-Mms-Message-Class",
    "X-Mms-Priority",
    "X-Mms-Delivery-Report",
    "X-Mms-Read-Reply",
    "X-Mms-Sender-Visibility",
    "X-Mms-Ack-Request",
    "X-Mms-Originator-System",
    "X-Mms-Forward-Counter",
    "X-Mms-Previously-sent-by",
    "X-Mms-Previously-sent-date-and-time",
];

/// Builds the `MM4_forward.REQ` of an MM: see [`ForwardReq::from_pdu`].
pub fn forward_req(pdu: &Pdu<'_>, meta: &ForwardMeta) -> Result<Vec<u8>, Error> {
    Ok(ForwardReq::from_pdu(pdu, meta)?.encode())
}

fn id_atom(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(96)
        .collect();
    if t.is_empty() { "mm".to_owned() } else { t }
}

impl<'a> ForwardReq<'a> {
    /// The forward of an MM held as an MMS PDU (an M-Send.req as the
    /// originator sent it, with From filled in): From, To, Cc (not Bcc),
    /// Subject, Date, Expiry, Message-Class, Priority, Delivery-Report,
    /// Read-Report (as X-Mms-Read-Reply), Sender-Visibility,
    /// Previously-Sent-By/Date, and the body. Fails when From is absent or
    /// is still the Insert-address-token.
    pub fn from_pdu(pdu: &Pdu<'a>, meta: &ForwardMeta) -> Result<Self, Error> {
        let from = match pdu.from() {
            Some(FromValue::Address(a)) => to_mm4(a, &meta.originator_domain),
            Some(FromValue::Insert) => {
                return Err(Error::Build {
                    field: "From",
                    problem: "is the Insert-address-token",
                });
            }
            None => {
                return Err(Error::Build {
                    field: "From",
                    problem: "is missing",
                });
            }
        };
        let to = pdu
            .to()
            .map(|a| to_mm4(a, &meta.recipient_domain))
            .collect();
        let cc = pdu
            .cc()
            .map(|a| to_mm4(a, &meta.recipient_domain))
            .collect();
        let mut sent_by = Vec::new();
        let mut sent_date = Vec::new();
        let mut counter = meta.forward_counter;
        for h in &pdu.headers {
            match h {
                Header::PreviouslySentBy { count, address } => {
                    sent_by.push(to_mm4(address, &meta.originator_domain));
                    counter = Some(counter.unwrap_or(0).max(*count));
                }
                Header::PreviouslySentDate { date, .. } => sent_date.push(*date),
                _ => {}
            }
        }
        let content_type = pdu.content_type().cloned().map_or_else(
            || ContentType::new("application/vnd.wap.multipart.mixed"),
            ContentType::into_owned,
        );
        let parts = match &pdu.body {
            Some(Body::Multipart(p)) => p.clone(),
            Some(Body::Single(b)) => vec![Part::new(content_type.clone(), b.clone())],
            None => Vec::new(),
        };
        let content_type = if matches!(pdu.body, Some(Body::Single(_))) {
            ContentType::new("application/vnd.wap.multipart.mixed")
        } else {
            content_type
        };
        Ok(Self {
            version: meta
                .version
                .clone()
                .unwrap_or_else(|| DEFAULT_3GPP_VERSION.to_owned()),
            transaction_id: meta.transaction_id.clone(),
            message_id: meta.message_id.clone(),
            sender: Some(meta.originator_system.clone()).filter(|s| !s.is_empty()),
            from,
            to,
            cc,
            subject: pdu.subject().map(|s| s.text().into_owned()),
            date: pdu.date(),
            expiry: pdu.expiry(),
            message_class: pdu.message_class().cloned().map(|c| match c {
                MessageClass::Token(t) => MessageClass::Token(t),
                MessageClass::Text(t) => MessageClass::Text(Cow::Owned(t.into_owned())),
            }),
            priority: pdu.priority(),
            delivery_report: pdu.delivery_report().map(|v| v.is_yes()),
            read_reply: pdu.read_report().map(|v| v.is_yes()),
            sender_visibility: pdu.header(ferry_mms::field::SENDER_VISIBILITY).and_then(
                |h| match h {
                    Header::SenderVisibility(v) => Some(*v),
                    _ => None,
                },
            ),
            ack_request: meta.ack_request,
            originator_system: Some(meta.originator_system.clone()).filter(|s| !s.is_empty()),
            forward_counter: counter,
            previously_sent_by: sent_by,
            previously_sent_date: sent_date,
            extra: Vec::new(),
            mime_message_id: Some(format!(
                "<{}.{}@{}>",
                id_atom(&meta.transaction_id),
                id_atom(&meta.message_id),
                id_atom(if meta.originator_domain.is_empty() {
                    "ferry.invalid"
                } else {
                    &meta.originator_domain
                })
            )),
            content_type,
            parts,
        })
    }

    pub(crate) fn read(h: &Headers<'_, '_>) -> Result<ForwardReq<'static>, Error> {
        let (version, transaction_id, message_id) = read_common(h)?;
        let (at_from, raw_from) = h.req("From")?;
        let from = h
            .addresses("From")
            .into_iter()
            .next()
            .ok_or_else(|| Error::invalid(at_from, "From", &raw_from))?;
        let mut extra = Vec::new();
        let mut message_class = None;
        let mut priority = None;
        let mut sender_visibility = None;
        // A token this crate cannot type is kept as an extra header.
        if let Some((_, v)) = h.get("X-Mms-Message-Class") {
            message_class = Some(match class_from_text(&v) {
                Some(t) => MessageClass::Token(t),
                None => MessageClass::Text(Cow::Owned(v)),
            });
        }
        if let Some((_, v)) = h.get("X-Mms-Priority") {
            match priority_from_text(&v) {
                Some(p) => priority = Some(p),
                None => extra.push(("X-Mms-Priority".to_owned(), v)),
            }
        }
        if let Some((_, v)) = h.get("X-Mms-Sender-Visibility") {
            match visibility_from_text(&v) {
                Some(p) => sender_visibility = Some(p),
                None => extra.push(("X-Mms-Sender-Visibility".to_owned(), v)),
            }
        }
        let expiry = match h.get("X-Mms-Expiry") {
            None => None,
            Some((at, v)) => Some(if let Ok(n) = v.trim().parse::<u64>() {
                TimeValue::Relative(n)
            } else {
                let t = mail_parser::DateTime::parse_rfc822(&v)
                    .map(|d| d.to_timestamp())
                    .and_then(|t| u64::try_from(t).ok())
                    .ok_or_else(|| Error::invalid(at, "X-Mms-Expiry", &v))?;
                TimeValue::Absolute(t)
            }),
        };
        let mut previously_sent_date = Vec::new();
        for (at, v) in h.all("X-Mms-Previously-sent-date-and-time") {
            let t = mail_parser::DateTime::parse_rfc822(&v)
                .map(|d| d.to_timestamp())
                .and_then(|t| u64::try_from(t).ok())
                .ok_or_else(|| Error::invalid(at, "X-Mms-Previously-sent-date-and-time", &v))?;
            previously_sent_date.push(t);
        }
        for (name, value) in h.all_raw() {
            let lower = name.to_ascii_lowercase();
            if lower.starts_with("x-mms-") && !KNOWN.iter().any(|k| k.eq_ignore_ascii_case(&name)) {
                extra.push((name, value));
            }
        }
        Ok(ForwardReq {
            version,
            transaction_id,
            message_id,
            sender: h.addresses("Sender").into_iter().next(),
            from,
            to: h.addresses("To"),
            cc: h.addresses("Cc"),
            subject: h.text("Subject"),
            date: h.date("Date")?,
            expiry,
            message_class,
            priority,
            delivery_report: h.yes_no("X-Mms-Delivery-Report")?,
            read_reply: h.yes_no("X-Mms-Read-Reply")?,
            sender_visibility,
            ack_request: h.yes_no("X-Mms-Ack-Request")?.unwrap_or(false),
            originator_system: h.get("X-Mms-Originator-System").map(|(_, v)| v),
            forward_counter: h.number("X-Mms-Forward-Counter")?,
            previously_sent_by: h
                .all("X-Mms-Previously-sent-by")
                .into_iter()
                .map(|(_, v)| v)
                .collect(),
            previously_sent_date,
            extra,
            mime_message_id: h.mime_message_id(),
            content_type: ContentType::new("application/vnd.wap.multipart.mixed"),
            parts: Vec::new(),
        })
    }

    /// The RFC 5322 message: the MM4 headers, then the content as MIME
    /// (`multipart/related` for an MM with a presentation, binary parts in
    /// base64, text in quoted-printable or base64).
    pub fn encode(&self) -> Vec<u8> {
        let size: usize = self.parts.iter().map(|p| p.body.len() * 4 / 3 + 256).sum();
        let mut w = HeaderWriter::new(2048 + size);
        write_common(
            &mut w,
            &self.version,
            &MessageKind::FORWARD_REQ,
            &self.transaction_id,
            &self.message_id,
        );
        if let Some(s) = &self.sender {
            w.raw("Sender", s);
        }
        w.raw("From", &self.from);
        if !self.to.is_empty() {
            w.raw("To", &self.to.join(", "));
        }
        if !self.cc.is_empty() {
            w.raw("Cc", &self.cc.join(", "));
        }
        if let Some(s) = &self.subject {
            w.text("Subject", s);
        }
        if let Some(d) = self.date {
            w.date("Date", d);
        }
        match self.expiry {
            Some(TimeValue::Absolute(t)) => w.date("X-Mms-Expiry", t),
            Some(TimeValue::Relative(s)) => w.raw("X-Mms-Expiry", &s.to_string()),
            None => {}
        }
        match &self.message_class {
            Some(MessageClass::Token(t)) => match class_text(*t) {
                Some(n) => w.raw("X-Mms-Message-Class", n),
                None => w.raw("X-Mms-Message-Class", &t.to_string()),
            },
            Some(MessageClass::Text(t)) => w.raw("X-Mms-Message-Class", t),
            None => {}
        }
        if let Some(n) = self.priority.and_then(priority_text) {
            w.raw("X-Mms-Priority", n);
        }
        if let Some(b) = self.delivery_report {
            w.raw("X-Mms-Delivery-Report", yes_no(b));
        }
        if let Some(b) = self.read_reply {
            w.raw("X-Mms-Read-Reply", yes_no(b));
        }
        if let Some(n) = self.sender_visibility.and_then(visibility_text) {
            w.raw("X-Mms-Sender-Visibility", n);
        }
        w.raw("X-Mms-Ack-Request", yes_no(self.ack_request));
        if let Some(s) = &self.originator_system {
            w.raw("X-Mms-Originator-System", s);
        }
        if let Some(n) = self.forward_counter {
            w.raw("X-Mms-Forward-Counter", &n.to_string());
        }
        for a in &self.previously_sent_by {
            w.raw("X-Mms-Previously-sent-by", a);
        }
        for d in &self.previously_sent_date {
            w.date("X-Mms-Previously-sent-date-and-time", *d);
        }
        for (n, v) in &self.extra {
            // Only X-Mms-* names travel in `extra`; anything else is dropped
            // rather than allowed to forge a structural header.
            if n.to_ascii_lowercase().starts_with("x-mms-")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b':')
            {
                w.raw(n, v);
            }
        }
        if let Some(id) = &self.mime_message_id {
            w.raw("Message-ID", id);
        }
        let body = if self.content_type.is_multipart() {
            MimePart::new(
                to_mime_content_type(&self.content_type),
                BodyPart::Multipart(self.parts.iter().map(part_to_mime).collect()),
            )
        } else {
            MimePart::new(
                to_mime_content_type(&ContentType::new("application/vnd.wap.multipart.mixed")),
                BodyPart::Multipart(self.parts.iter().map(part_to_mime).collect()),
            )
        };
        w.finish(Some(body))
    }

    /// The `MM4_forward.RES` answering this forward: IDs copied, `To` the
    /// requester's X-Mms-Originator-System (else its Sender).
    pub fn response(&self, status: RequestStatus, sender: Option<&str>) -> Mm4Response {
        let mut r = Mm4Response::new(&self.transaction_id, &self.message_id, status);
        r.sender = sender.map(str::to_owned);
        r.to = self
            .originator_system
            .clone()
            .or_else(|| self.sender.clone());
        r
    }

    /// The MM as an `M-Retrieve.conf` (MMS 1.3) for the recipient's
    /// handset: Message-ID, From, To, Cc, Date, Subject, class, priority,
    /// report requests and the body. Addresses lose their `@domain`.
    pub fn to_retrieve_conf<'s>(&'s self, transaction_id: Option<&'s str>) -> Pdu<'s> {
        let mut p = Pdu::new(
            MessageType::RETRIEVE_CONF,
            transaction_id.map(Cow::Borrowed),
            Version::V1_3,
        )
        .with(Header::MessageId(Cow::Borrowed(&self.message_id)))
        .with(Header::From(FromValue::Address(
            crate::address::from_mm4(&self.from).address,
        )));
        for a in &self.to {
            p.headers
                .push(Header::To(crate::address::from_mm4(a).address));
        }
        for a in &self.cc {
            p.headers
                .push(Header::Cc(crate::address::from_mm4(a).address));
        }
        if let Some(d) = self.date {
            p.headers.push(Header::Date(d));
        }
        if let Some(s) = &self.subject {
            p.headers
                .push(Header::Subject(EncodedString::new(s.as_str())));
        }
        if let Some(c) = &self.message_class {
            p.headers.push(Header::MessageClass(c.clone()));
        }
        if let Some(v) = self.priority {
            p.headers.push(Header::Priority(v));
        }
        if let Some(v) = self.delivery_report {
            p.headers.push(Header::DeliveryReport(v.into()));
        }
        if let Some(v) = self.read_reply {
            p.headers.push(Header::ReadReport(v.into()));
        }
        p.with_body(
            self.content_type.clone(),
            Body::Multipart(self.parts.clone()),
        )
    }

    pub(crate) fn with_content(mut self, msg: Message<'a>) -> ForwardReq<'a> {
        let (ct, parts) = parts_from_message(msg, Alternatives::KeepAll);
        self.content_type = ct;
        self.parts = parts;
        self
    }

    /// An owned copy.
    pub fn into_owned(self) -> ForwardReq<'static> {
        ForwardReq {
            parts: self.parts.into_iter().map(Part::into_owned).collect(),
            ..self
        }
    }
}

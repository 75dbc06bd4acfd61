//! The MMS PDU (OMA-TS-MMS_ENC-V1_3 §6, §7.1): a header list whose first
//! field is X-Mms-Message-Type and whose Content-Type, when present, is last
//! and introduces the body.

use std::borrow::Cow;

use ferry_wsp::encode::put_uintvar;
use ferry_wsp::multipart::{decode_multipart_at, encode_multipart};
use ferry_wsp::{ContentType, DecodeError, EncodedString, ErrorKind, Part, Reader};

use crate::address::Address;
use crate::codes::{
    MessageType, Priority, ReadStatus, ResponseStatus, RetrieveStatus, Status, Version, YesNo,
};
use crate::header::{FromValue, Header, MessageClass, TimeValue, field};

/// The body after the Content-Type header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body<'a> {
    /// A multipart body (`application/vnd.wap.multipart.*` or `multipart/*`):
    /// its parts, bodies borrowed from the input.
    Multipart(Vec<Part<'a>>),
    /// Any other content type: the octets as they are (an M-Retrieve.conf
    /// that carries only an error text does this).
    Single(Cow<'a, [u8]>),
}

impl Body<'_> {
    /// The parts of a multipart body; empty for a single body.
    pub fn parts(&self) -> &[Part<'_>] {
        match self {
            Body::Multipart(p) => p,
            Body::Single(_) => &[],
        }
    }
}

/// An MMS PDU: headers in wire order and the body, if any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pdu<'a> {
    /// The headers, in the order they were sent (or added).
    pub headers: Vec<Header<'a>>,
    /// The body, present when a Content-Type header is.
    pub body: Option<Body<'a>>,
}

fn is_multipart(ct: &ContentType<'_>) -> bool {
    ct.is_multipart()
}

impl<'a> Pdu<'a> {
    /// Decodes a bare MMS PDU (what an HTTP body or a push body holds).
    ///
    /// The first octet must be X-Mms-Message-Type (0x8C). Unknown binary
    /// fields and textual headers are kept in order; a known field whose
    /// value does not follow its grammar is kept as [`Header::Unknown`];
    /// NUL octets between headers (padding some servers add) are skipped.
    pub fn decode(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(buf);
        match r.peek() {
            None => return Err(r.error("X-Mms-Message-Type", ErrorKind::Truncated { needed: 1 })),
            Some(0x8C) => {}
            Some(b) => {
                return Err(r.error(
                    "X-Mms-Message-Type",
                    ErrorKind::Unexpected {
                        found: b,
                        expected: "X-Mms-Message-Type (0x8C), the first octet of an MMS PDU",
                    },
                ));
            }
        }
        // Headers are at least 2 octets each. At most 16 up front: 16
        // headers are 896 octets, which the allocator serves from its
        // per-thread cache (larger requests take its slow path); PDUs with
        // more headers grow the vector once.
        let mut headers = Vec::with_capacity((buf.len() / 2).min(16));
        let mut del_form = false;
        let mut content_type = None;
        while let Some(b) = r.peek() {
            match b {
                0x00 => {
                    r.u8("padding")?;
                }
                0x80..=0xFF => {
                    r.u8("header")?;
                    let code = b & 0x7F;
                    let save = r.clone();
                    let h = match Header::decode_value(code, &mut r, del_form) {
                        Ok(h) => h,
                        Err(e) => {
                            r = save;
                            match r.skip_value(field::name(code).unwrap_or("unknown header")) {
                                Ok(raw) => Header::Unknown {
                                    code,
                                    raw: Cow::Borrowed(raw),
                                },
                                Err(_) => return Err(e),
                            }
                        }
                    };
                    match &h {
                        Header::MessageType(mt) if headers.is_empty() => {
                            del_form = matches!(
                                *mt,
                                MessageType::MBOX_DELETE_CONF | MessageType::DELETE_CONF
                            );
                        }
                        Header::ContentType(ct) => content_type = Some(is_multipart(ct)),
                        _ => {}
                    }
                    headers.push(h);
                    if content_type.is_some() {
                        break;
                    }
                }
                0x20..=0x7E => {
                    let name = ferry_wsp::charset::decode_unlabelled(r.text_string("header name")?);
                    let h = match r.peek() {
                        Some(0x00 | 0x20..=0x7F) => Header::Extension {
                            name,
                            value: ferry_wsp::charset::decode_unlabelled(
                                r.text_string("header value")?,
                            ),
                        },
                        Some(_) => Header::ExtensionRaw {
                            name,
                            raw: Cow::Borrowed(r.skip_value("header value")?),
                        },
                        None => {
                            return Err(r.error("header value", ErrorKind::Truncated { needed: 1 }));
                        }
                    };
                    headers.push(h);
                }
                _ => {
                    return Err(r.error(
                        "header",
                        ErrorKind::Unexpected {
                            found: b,
                            expected: "a header field (0x80..=0xFF or a token)",
                        },
                    ));
                }
            }
        }
        let body = match content_type {
            None => None,
            Some(multipart) => {
                let at = r.offset();
                let rest = r.take_rest();
                Some(if !multipart {
                    Body::Single(Cow::Borrowed(rest))
                } else if rest.is_empty() {
                    Body::Multipart(Vec::new())
                } else {
                    Body::Multipart(decode_multipart_at(rest, at)?)
                })
            }
        };
        Ok(Self { headers, body })
    }

    /// Appends the canonical encoding: X-Mms-Message-Type,
    /// X-Mms-Transaction-ID and X-Mms-MMS-Version first (§6), the other
    /// headers in their order, Content-Type last, then the body. A body
    /// without a Content-Type header gets `application/vnd.wap.multipart.mixed`
    /// (multipart) or `application/octet-stream` (single).
    pub fn encode(&self, out: &mut Vec<u8>) {
        for rank in 0..5 {
            for h in self.headers.iter().filter(|h| order_rank(h) == rank) {
                h.encode(out);
            }
        }
        let Some(body) = &self.body else { return };
        if !self
            .headers
            .iter()
            .any(|h| matches!(h, Header::ContentType(_)))
        {
            let ct = match body {
                Body::Multipart(_) => "application/vnd.wap.multipart.mixed",
                Body::Single(_) => "application/octet-stream",
            };
            Header::ContentType(ContentType::new(ct)).encode(out);
        }
        match body {
            Body::Multipart(parts) if parts.is_empty() => put_uintvar(out, 0),
            Body::Multipart(parts) => encode_multipart(out, parts),
            Body::Single(b) => out.extend_from_slice(b),
        }
    }

    /// The encoded PDU as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let body_len = match &self.body {
            Some(Body::Multipart(p)) => p.iter().map(|p| p.body.len() + 32).sum(),
            Some(Body::Single(b)) => b.len(),
            None => 0,
        };
        let mut out = Vec::with_capacity(16 * self.headers.len() + body_len + 8);
        self.encode(&mut out);
        out
    }

    /// Reorders the headers as [`Pdu::encode`] writes them, so that
    /// `Pdu::decode(&p.to_bytes()) == p` after this call (for values that
    /// encode at all).
    pub fn canonical_order(&mut self) {
        self.headers.sort_by_key(order_rank);
    }

    /// An owned copy.
    pub fn into_owned(self) -> Pdu<'static> {
        Pdu {
            headers: self.headers.into_iter().map(Header::into_owned).collect(),
            body: self.body.map(|b| match b {
                Body::Multipart(p) => {
                    Body::Multipart(p.into_iter().map(Part::into_owned).collect())
                }
                Body::Single(b) => Body::Single(Cow::Owned(b.into_owned())),
            }),
        }
    }

    // ---- building ----

    /// A PDU with X-Mms-Message-Type, an optional X-Mms-Transaction-ID and
    /// X-Mms-MMS-Version, and nothing else.
    pub fn new(
        message_type: MessageType,
        transaction_id: Option<Cow<'a, str>>,
        version: Version,
    ) -> Self {
        let mut headers = Vec::with_capacity(8);
        headers.push(Header::MessageType(message_type));
        if let Some(t) = transaction_id {
            headers.push(Header::TransactionId(t));
        }
        headers.push(Header::MmsVersion(version));
        Self {
            headers,
            body: None,
        }
    }

    /// Adds a header (builder style). A Content-Type goes last when encoded
    /// wherever it is added.
    #[must_use]
    pub fn with(mut self, h: Header<'a>) -> Self {
        self.headers.push(h);
        self
    }

    /// Sets the X-Mms-MMS-Version (builder style).
    #[must_use]
    pub fn with_version(mut self, v: Version) -> Self {
        match self
            .headers
            .iter_mut()
            .find(|h| matches!(h, Header::MmsVersion(_)))
        {
            Some(h) => *h = Header::MmsVersion(v),
            None => self.headers.push(Header::MmsVersion(v)),
        }
        self
    }

    /// Sets the body with its Content-Type (builder style), replacing any.
    #[must_use]
    pub fn with_body(mut self, content_type: ContentType<'a>, body: Body<'a>) -> Self {
        self.headers
            .retain(|h| !matches!(h, Header::ContentType(_)));
        self.headers.push(Header::ContentType(content_type));
        self.body = Some(body);
        self
    }

    /// M-Notification.ind (§6.2): version 1.3, class personal, with the
    /// mandatory fields; add From, Subject and the rest with [`Pdu::with`].
    pub fn notification_ind(
        transaction_id: impl Into<Cow<'a, str>>,
        content_location: impl Into<Cow<'a, str>>,
        message_size: u64,
        expiry: TimeValue,
    ) -> Self {
        Self::new(
            MessageType::NOTIFICATION_IND,
            Some(transaction_id.into()),
            Version::V1_3,
        )
        .with(Header::MessageClass(MessageClass::PERSONAL))
        .with(Header::MessageSize(message_size))
        .with(Header::Expiry(expiry))
        .with(Header::ContentLocation {
            index: None,
            uri: content_location.into(),
        })
    }

    /// M-NotifyResp.ind (§6.2).
    pub fn notifyresp_ind(transaction_id: impl Into<Cow<'a, str>>, status: Status) -> Self {
        Self::new(
            MessageType::NOTIFYRESP_IND,
            Some(transaction_id.into()),
            Version::V1_3,
        )
        .with(Header::Status(status))
    }

    /// M-Send.req (§6.1.1): From is the Insert-address-token unless given.
    pub fn send_req(
        transaction_id: impl Into<Cow<'a, str>>,
        from: Option<Address<'a>>,
        to: Vec<Address<'a>>,
        content_type: ContentType<'a>,
        parts: Vec<Part<'a>>,
    ) -> Self {
        let mut p = Self::new(
            MessageType::SEND_REQ,
            Some(transaction_id.into()),
            Version::V1_3,
        )
        .with(Header::From(
            from.map_or(FromValue::Insert, FromValue::Address),
        ));
        p.headers.extend(to.into_iter().map(Header::To));
        p.with_body(content_type, Body::Multipart(parts))
    }

    /// M-Send.conf (§6.1.2).
    pub fn send_conf(
        transaction_id: impl Into<Cow<'a, str>>,
        status: ResponseStatus,
        message_id: Option<Cow<'a, str>>,
    ) -> Self {
        let mut p = Self::new(
            MessageType::SEND_CONF,
            Some(transaction_id.into()),
            Version::V1_3,
        )
        .with(Header::ResponseStatus {
            index: None,
            status,
        });
        if let Some(id) = message_id {
            p.headers.push(Header::MessageId(id));
        }
        p
    }

    /// M-Retrieve.conf (§6.3) carrying a multipart body.
    pub fn retrieve_conf(
        transaction_id: Option<Cow<'a, str>>,
        message_id: Option<Cow<'a, str>>,
        from: Option<Address<'a>>,
        date: u64,
        content_type: ContentType<'a>,
        parts: Vec<Part<'a>>,
    ) -> Self {
        let mut p = Self::new(MessageType::RETRIEVE_CONF, transaction_id, Version::V1_3);
        if let Some(id) = message_id {
            p.headers.push(Header::MessageId(id));
        }
        if let Some(f) = from {
            p.headers.push(Header::From(FromValue::Address(f)));
        }
        p.headers.push(Header::Date(date));
        p.with_body(content_type, Body::Multipart(parts))
    }

    /// M-Acknowledge.ind (§6.4).
    pub fn acknowledge_ind(
        transaction_id: impl Into<Cow<'a, str>>,
        report_allowed: Option<bool>,
    ) -> Self {
        let mut p = Self::new(
            MessageType::ACKNOWLEDGE_IND,
            Some(transaction_id.into()),
            Version::V1_3,
        );
        if let Some(r) = report_allowed {
            p.headers.push(Header::ReportAllowed(r.into()));
        }
        p
    }

    /// M-Delivery.ind (§6.5).
    pub fn delivery_ind(
        message_id: impl Into<Cow<'a, str>>,
        to: Address<'a>,
        date: u64,
        status: Status,
    ) -> Self {
        Self::new(MessageType::DELIVERY_IND, None, Version::V1_3)
            .with(Header::MessageId(message_id.into()))
            .with(Header::To(to))
            .with(Header::Date(date))
            .with(Header::Status(status))
    }

    /// M-Read-Rec.ind (§6.7.2), sent by the recipient's client.
    pub fn read_rec_ind(
        message_id: impl Into<Cow<'a, str>>,
        to: Address<'a>,
        from: FromValue<'a>,
        date: Option<u64>,
        status: ReadStatus,
    ) -> Self {
        let mut p = Self::new(MessageType::READ_REC_IND, None, Version::V1_3)
            .with(Header::MessageId(message_id.into()))
            .with(Header::To(to))
            .with(Header::From(from));
        if let Some(d) = date {
            p.headers.push(Header::Date(d));
        }
        p.with(Header::ReadStatus(status))
    }

    /// M-Read-Orig.ind (§6.7.2), sent by the MMS Proxy-Relay to the originator.
    pub fn read_orig_ind(
        message_id: impl Into<Cow<'a, str>>,
        to: Address<'a>,
        from: Address<'a>,
        date: u64,
        status: ReadStatus,
    ) -> Self {
        Self::new(MessageType::READ_ORIG_IND, None, Version::V1_3)
            .with(Header::MessageId(message_id.into()))
            .with(Header::To(to))
            .with(Header::From(FromValue::Address(from)))
            .with(Header::Date(date))
            .with(Header::ReadStatus(status))
    }

    // ---- reading ----

    /// The first header with field number `code`.
    pub fn header(&self, code: u8) -> Option<&Header<'a>> {
        self.headers.iter().find(|h| h.code() == Some(code))
    }

    /// Every header with field number `code`.
    pub fn headers_with(&self, code: u8) -> impl Iterator<Item = &Header<'a>> {
        self.headers.iter().filter(move |h| h.code() == Some(code))
    }

    /// A textual header's value by name (ASCII case-insensitive).
    pub fn extension(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|h| match h {
            Header::Extension { name: n, value } if n.eq_ignore_ascii_case(name) => Some(&**value),
            _ => None,
        })
    }

    /// X-Mms-Message-Type.
    pub fn message_type(&self) -> Option<MessageType> {
        self.headers.iter().find_map(|h| match h {
            Header::MessageType(t) => Some(*t),
            _ => None,
        })
    }

    /// X-Mms-Transaction-ID.
    pub fn transaction_id(&self) -> Option<&str> {
        self.headers.iter().find_map(|h| match h {
            Header::TransactionId(t) => Some(&**t),
            _ => None,
        })
    }

    /// X-Mms-MMS-Version.
    pub fn version(&self) -> Option<Version> {
        self.headers.iter().find_map(|h| match h {
            Header::MmsVersion(v) => Some(*v),
            _ => None,
        })
    }

    /// Message-ID.
    pub fn message_id(&self) -> Option<&str> {
        self.headers.iter().find_map(|h| match h {
            Header::MessageId(t) => Some(&**t),
            _ => None,
        })
    }

    /// From.
    pub fn from(&self) -> Option<&FromValue<'a>> {
        self.headers.iter().find_map(|h| match h {
            Header::From(f) => Some(f),
            _ => None,
        })
    }

    /// Every To address, in order.
    pub fn to(&self) -> impl Iterator<Item = &Address<'a>> {
        self.headers.iter().filter_map(|h| match h {
            Header::To(a) => Some(a),
            _ => None,
        })
    }

    /// Every Cc address, in order.
    pub fn cc(&self) -> impl Iterator<Item = &Address<'a>> {
        self.headers.iter().filter_map(|h| match h {
            Header::Cc(a) => Some(a),
            _ => None,
        })
    }

    /// Every Bcc address, in order.
    pub fn bcc(&self) -> impl Iterator<Item = &Address<'a>> {
        self.headers.iter().filter_map(|h| match h {
            Header::Bcc(a) => Some(a),
            _ => None,
        })
    }

    /// Subject.
    pub fn subject(&self) -> Option<&EncodedString<'a>> {
        self.headers.iter().find_map(|h| match h {
            Header::Subject(s) => Some(s),
            _ => None,
        })
    }

    /// X-Mms-Content-Location (the first one).
    pub fn content_location(&self) -> Option<&str> {
        self.headers.iter().find_map(|h| match h {
            Header::ContentLocation { uri, .. } => Some(&**uri),
            _ => None,
        })
    }

    /// Content-Type.
    pub fn content_type(&self) -> Option<&ContentType<'a>> {
        self.headers.iter().find_map(|h| match h {
            Header::ContentType(c) => Some(c),
            _ => None,
        })
    }

    /// Date, seconds since the epoch.
    pub fn date(&self) -> Option<u64> {
        self.headers.iter().find_map(|h| match h {
            Header::Date(d) => Some(*d),
            _ => None,
        })
    }

    /// X-Mms-Expiry.
    pub fn expiry(&self) -> Option<TimeValue> {
        self.headers.iter().find_map(|h| match h {
            Header::Expiry(t) => Some(*t),
            _ => None,
        })
    }

    /// X-Mms-Delivery-Time.
    pub fn delivery_time(&self) -> Option<TimeValue> {
        self.headers.iter().find_map(|h| match h {
            Header::DeliveryTime(t) => Some(*t),
            _ => None,
        })
    }

    /// X-Mms-Message-Size.
    pub fn message_size(&self) -> Option<u64> {
        self.headers.iter().find_map(|h| match h {
            Header::MessageSize(n) => Some(*n),
            _ => None,
        })
    }

    /// X-Mms-Message-Class.
    pub fn message_class(&self) -> Option<&MessageClass<'a>> {
        self.headers.iter().find_map(|h| match h {
            Header::MessageClass(c) => Some(c),
            _ => None,
        })
    }

    /// X-Mms-Priority.
    pub fn priority(&self) -> Option<Priority> {
        self.headers.iter().find_map(|h| match h {
            Header::Priority(p) => Some(*p),
            _ => None,
        })
    }

    /// X-Mms-Delivery-Report.
    pub fn delivery_report(&self) -> Option<YesNo> {
        self.headers.iter().find_map(|h| match h {
            Header::DeliveryReport(v) => Some(*v),
            _ => None,
        })
    }

    /// X-Mms-Read-Report.
    pub fn read_report(&self) -> Option<YesNo> {
        self.headers.iter().find_map(|h| match h {
            Header::ReadReport(v) => Some(*v),
            _ => None,
        })
    }

    /// X-Mms-Status.
    pub fn status(&self) -> Option<Status> {
        self.headers.iter().find_map(|h| match h {
            Header::Status(s) => Some(*s),
            _ => None,
        })
    }

    /// X-Mms-Response-Status (the first one).
    pub fn response_status(&self) -> Option<ResponseStatus> {
        self.headers.iter().find_map(|h| match h {
            Header::ResponseStatus { status, .. } => Some(*status),
            _ => None,
        })
    }

    /// X-Mms-Response-Text (the first one).
    pub fn response_text(&self) -> Option<&EncodedString<'a>> {
        self.headers.iter().find_map(|h| match h {
            Header::ResponseText { text, .. } => Some(text),
            _ => None,
        })
    }

    /// X-Mms-Retrieve-Status.
    pub fn retrieve_status(&self) -> Option<RetrieveStatus> {
        self.headers.iter().find_map(|h| match h {
            Header::RetrieveStatus(s) => Some(*s),
            _ => None,
        })
    }

    /// X-Mms-Retrieve-Text.
    pub fn retrieve_text(&self) -> Option<&EncodedString<'a>> {
        self.headers.iter().find_map(|h| match h {
            Header::RetrieveText(t) => Some(t),
            _ => None,
        })
    }

    /// X-Mms-Read-Status.
    pub fn read_status(&self) -> Option<ReadStatus> {
        self.headers.iter().find_map(|h| match h {
            Header::ReadStatus(s) => Some(*s),
            _ => None,
        })
    }

    /// The parts of a multipart body (empty otherwise).
    pub fn parts(&self) -> &[Part<'a>] {
        match &self.body {
            Some(Body::Multipart(p)) => p,
            _ => &[],
        }
    }
}

/// Where a header goes when encoding: Message-Type, Transaction-ID, Version,
/// everything else, Content-Type.
fn order_rank(h: &Header<'_>) -> u8 {
    match h {
        Header::MessageType(_) => 0,
        Header::TransactionId(_) => 1,
        Header::MmsVersion(_) => 2,
        Header::ContentType(_) => 4,
        _ => 3,
    }
}

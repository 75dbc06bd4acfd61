//! The six MM4 messages (TS 23.140 §8.4) as one enum: [`parse`] reads any
//! of them from an RFC 5322 message, [`Mm4Message::encode`] writes one.

use mail_parser::{HeaderName, HeaderValue, Message, MessageParser};

use crate::codes::{MessageKind, MmStatus, ReadStatus, RequestStatus, parse_yes_no};
use crate::error::Error;
use crate::forward::ForwardReq;
use crate::mime::HeaderWriter;
use crate::report::{DeliveryReportReq, Mm4Response, ReadReplyReportReq};

/// The version written in `X-Mms-3GPP-MMS-Version` unless told otherwise:
/// the last Release 6 version of TS 23.140.
pub const DEFAULT_3GPP_VERSION: &str = "6.16.0";

/// Any MM4 message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mm4Message<'a> {
    /// `MM4_forward.REQ`: a multimedia message for the recipient's operator.
    ForwardReq(ForwardReq<'a>),
    /// `MM4_forward.RES`: the answer to a forward.
    ForwardRes(Mm4Response),
    /// `MM4_delivery_report.REQ`: what became of a forwarded message.
    DeliveryReportReq(DeliveryReportReq),
    /// `MM4_delivery_report.RES`.
    DeliveryReportRes(Mm4Response),
    /// `MM4_read_reply_report.REQ`: the recipient read (or deleted) it.
    ReadReplyReportReq(ReadReplyReportReq),
    /// `MM4_read_reply_report.RES`.
    ReadReplyReportRes(Mm4Response),
}

impl Mm4Message<'_> {
    /// The `X-Mms-Message-Type` of this message.
    pub fn kind(&self) -> MessageKind {
        match self {
            Mm4Message::ForwardReq(_) => MessageKind::FORWARD_REQ,
            Mm4Message::ForwardRes(_) => MessageKind::FORWARD_RES,
            Mm4Message::DeliveryReportReq(_) => MessageKind::DELIVERY_REPORT_REQ,
            Mm4Message::DeliveryReportRes(_) => MessageKind::DELIVERY_REPORT_RES,
            Mm4Message::ReadReplyReportReq(_) => MessageKind::READ_REPLY_REPORT_REQ,
            Mm4Message::ReadReplyReportRes(_) => MessageKind::READ_REPLY_REPORT_RES,
        }
    }

    /// `X-Mms-Transaction-ID`.
    pub fn transaction_id(&self) -> &str {
        match self {
            Mm4Message::ForwardReq(m) => &m.transaction_id,
            Mm4Message::DeliveryReportReq(m) => &m.transaction_id,
            Mm4Message::ReadReplyReportReq(m) => &m.transaction_id,
            Mm4Message::ForwardRes(m)
            | Mm4Message::DeliveryReportRes(m)
            | Mm4Message::ReadReplyReportRes(m) => &m.transaction_id,
        }
    }

    /// `X-Mms-Message-ID`.
    pub fn message_id(&self) -> &str {
        match self {
            Mm4Message::ForwardReq(m) => &m.message_id,
            Mm4Message::DeliveryReportReq(m) => &m.message_id,
            Mm4Message::ReadReplyReportReq(m) => &m.message_id,
            Mm4Message::ForwardRes(m)
            | Mm4Message::DeliveryReportRes(m)
            | Mm4Message::ReadReplyReportRes(m) => &m.message_id,
        }
    }

    /// True for the three `.REQ` messages that asked for a `.RES`
    /// (`X-Mms-Ack-Request: Yes`).
    pub fn wants_ack(&self) -> bool {
        match self {
            Mm4Message::ForwardReq(m) => m.ack_request,
            Mm4Message::DeliveryReportReq(m) => m.ack_request,
            Mm4Message::ReadReplyReportReq(m) => m.ack_request,
            _ => false,
        }
    }

    /// The RFC 5322 message (CRLF line ends, MIME body for a forward).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Mm4Message::ForwardReq(m) => m.encode(),
            Mm4Message::DeliveryReportReq(m) => m.encode(),
            Mm4Message::ReadReplyReportReq(m) => m.encode(),
            Mm4Message::ForwardRes(m) => m.encode(&MessageKind::FORWARD_RES),
            Mm4Message::DeliveryReportRes(m) => m.encode(&MessageKind::DELIVERY_REPORT_RES),
            Mm4Message::ReadReplyReportRes(m) => m.encode(&MessageKind::READ_REPLY_REPORT_RES),
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Mm4Message<'static> {
        match self {
            Mm4Message::ForwardReq(m) => Mm4Message::ForwardReq(m.into_owned()),
            Mm4Message::ForwardRes(m) => Mm4Message::ForwardRes(m),
            Mm4Message::DeliveryReportReq(m) => Mm4Message::DeliveryReportReq(m),
            Mm4Message::DeliveryReportRes(m) => Mm4Message::DeliveryReportRes(m),
            Mm4Message::ReadReplyReportReq(m) => Mm4Message::ReadReplyReportReq(m),
            Mm4Message::ReadReplyReportRes(m) => Mm4Message::ReadReplyReportRes(m),
        }
    }
}

/// True when `input`'s header block has an `X-Mms-Message-Type` naming an
/// MM4 message (what tells MM4 from an MM3 e-mail on the same listener).
pub fn is_mm4(input: &[u8]) -> bool {
    let Some(msg) = MessageParser::new().parse_headers(input) else {
        return false;
    };
    msg.header_raw("X-Mms-Message-Type")
        .is_some_and(|v| MessageKind::new(v.trim()).is_known())
}

/// The parser MM4 and MM3 use: the standard headers typed, and
/// `X-Mms-Status-Text` decoded like Subject (RFC 2047).
pub(crate) fn parser() -> MessageParser {
    MessageParser::new()
        .with_mime_headers()
        .with_date_headers()
        .with_address_headers()
        .with_message_ids()
        .header_text(HeaderName::Subject)
        .header_text(HeaderName::Comments)
        .header_text("X-Mms-Status-Text")
}

/// Reads any MM4 message. Mandatory headers missing, or a value that does
/// not follow its grammar, are errors carrying the header's offset; unknown
/// `X-Mms-*` headers of a forward are kept.
pub fn parse(input: &[u8]) -> Result<Mm4Message<'_>, Error> {
    let msg = parser().parse(input).ok_or(Error::NotMime {
        offset: 0,
        field: "header block",
    })?;
    let h = Headers::new(&msg);
    let (at, kind) = h.req("X-Mms-Message-Type")?;
    let kind = MessageKind::new(&kind);
    if !kind.is_known() {
        return Err(Error::UnknownMessageType {
            offset: at,
            value: kind.as_str().chars().take(64).collect(),
        });
    }
    Ok(if kind == MessageKind::FORWARD_REQ {
        let f = ForwardReq::read(&h)?;

        Mm4Message::ForwardReq(f.with_content(msg))
    } else if kind == MessageKind::FORWARD_RES {
        Mm4Message::ForwardRes(Mm4Response::read(&h)?)
    } else if kind == MessageKind::DELIVERY_REPORT_REQ {
        Mm4Message::DeliveryReportReq(DeliveryReportReq::read(&h)?)
    } else if kind == MessageKind::DELIVERY_REPORT_RES {
        Mm4Message::DeliveryReportRes(Mm4Response::read(&h)?)
    } else if kind == MessageKind::READ_REPLY_REPORT_REQ {
        Mm4Message::ReadReplyReportReq(ReadReplyReportReq::read(&h)?)
    } else {
        Mm4Message::ReadReplyReportRes(Mm4Response::read(&h)?)
    })
}

/// The root headers of a parsed message, with offsets, for the readers.
pub(crate) struct Headers<'m, 'x> {
    msg: &'m Message<'x>,
    end: usize,
}

impl<'m, 'x> Headers<'m, 'x> {
    pub(crate) fn new(msg: &'m Message<'x>) -> Self {
        let end = msg.root_part().offset_body as usize;
        Self { msg, end }
    }

    fn find<'n>(
        &self,
        name: &'n str,
    ) -> impl Iterator<Item = &'m mail_parser::Header<'x>> + use<'m, 'x, 'n> {
        self.msg
            .root_part()
            .headers
            .iter()
            .filter(move |h| h.name().eq_ignore_ascii_case(name))
    }

    fn raw_of(&self, h: &mail_parser::Header<'_>) -> String {
        let raw = self
            .msg
            .raw_message
            .get(h.offset_start as usize..h.offset_end as usize)
            .unwrap_or_default();
        let text = String::from_utf8_lossy(raw);
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The first header of this name: its offset and unfolded raw value.
    pub(crate) fn get(&self, name: &str) -> Option<(usize, String)> {
        self.find(name)
            .next()
            .map(|h| (h.offset_field as usize, self.raw_of(h)))
    }

    /// Every header of this name.
    pub(crate) fn all(&self, name: &str) -> Vec<(usize, String)> {
        self.find(name)
            .map(|h| (h.offset_field as usize, self.raw_of(h)))
            .collect()
    }

    /// A mandatory header.
    pub(crate) fn req(&self, name: &'static str) -> Result<(usize, String), Error> {
        self.get(name).ok_or(Error::Missing {
            offset: self.end,
            field: name,
        })
    }

    /// A decoded text header (Subject, X-Mms-Status-Text).
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        let h = self.find(name).next()?;
        match h.value() {
            HeaderValue::Text(t) => Some(t.to_string()),
            HeaderValue::TextList(l) => Some(l.join(", ")),
            _ => Some(self.raw_of(h)),
        }
    }

    /// A date header as seconds since the epoch.
    pub(crate) fn date(&self, name: &'static str) -> Result<Option<u64>, Error> {
        let Some(h) = self.find(name).next() else {
            return Ok(None);
        };
        let t = match h.value() {
            HeaderValue::DateTime(d) => Some(d.to_timestamp()),
            _ => mail_parser::DateTime::parse_rfc822(&self.raw_of(h)).map(|d| d.to_timestamp()),
        };
        match t.and_then(|t| u64::try_from(t).ok()) {
            Some(t) => Ok(Some(t)),
            None => Err(Error::invalid(
                h.offset_field as usize,
                name,
                &self.raw_of(h),
            )),
        }
    }

    /// Addresses of an address header, in MM4 text form (`+1555/TYPE=PLMN@x`).
    pub(crate) fn addresses(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        for h in self.find(name) {
            let before = out.len();
            if let HeaderValue::Address(a) = h.value() {
                out.extend(
                    a.iter()
                        .filter_map(|a| a.address().or(a.name()))
                        .map(|s| s.split_whitespace().collect::<String>())
                        .filter(|s| !s.is_empty()),
                );
            }
            if out.len() == before {
                // Not an address list mail-parser recognises (a bare number,
                // say): split the raw text.
                let raw = self.raw_of(h);
                out.extend(
                    raw.split(',')
                        .map(|s| {
                            crate::address::bare_email(s)
                                .split_whitespace()
                                .collect::<String>()
                        })
                        .filter(|s| !s.is_empty()),
                );
            }
        }
        out
    }

    /// A Yes/No header.
    pub(crate) fn yes_no(&self, name: &'static str) -> Result<Option<bool>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some((at, v)) => parse_yes_no(&v)
                .map(Some)
                .ok_or_else(|| Error::invalid(at, name, &v)),
        }
    }

    /// A non-negative integer header.
    pub(crate) fn number(&self, name: &'static str) -> Result<Option<u64>, Error> {
        match self.get(name) {
            None => Ok(None),
            Some((at, v)) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| Error::invalid(at, name, &v)),
        }
    }

    /// `Message-ID` (with its angle brackets).
    pub(crate) fn mime_message_id(&self) -> Option<String> {
        self.get("Message-ID").map(|(_, v)| v)
    }

    /// Every root header's name and raw value, in order.
    pub(crate) fn all_raw(&self) -> Vec<(String, String)> {
        self.msg
            .root_part()
            .headers
            .iter()
            .map(|h| (h.name().to_owned(), self.raw_of(h)))
            .collect()
    }
}

/// Writes the header lines every MM4 message starts with.
pub(crate) fn write_common(
    w: &mut HeaderWriter,
    version: &str,
    kind: &MessageKind,
    tid: &str,
    mid: &str,
) {
    w.raw("X-Mms-3GPP-MMS-Version", version);
    w.raw("X-Mms-Message-Type", kind.as_str());
    w.raw("X-Mms-Transaction-ID", tid);
    w.raw("X-Mms-Message-ID", mid);
}

/// Reads the version, transaction and message IDs.
pub(crate) fn read_common(h: &Headers<'_, '_>) -> Result<(String, String, String), Error> {
    let version = h
        .get("X-Mms-3GPP-MMS-Version")
        .map_or_else(|| DEFAULT_3GPP_VERSION.to_owned(), |(_, v)| v);
    let (_, tid) = h.req("X-Mms-Transaction-ID")?;
    let (_, mid) = h.req("X-Mms-Message-ID")?;
    Ok((version, tid, mid))
}

/// Reads a status-like text header with a table type.
pub(crate) fn read_status<T>(
    h: &Headers<'_, '_>,
    name: &'static str,
    make: fn(&str) -> T,
) -> Result<T, Error> {
    h.req(name).map(|(_, v)| make(&v))
}

/// Helpers shared with the report module.
pub(crate) fn request_status(v: &str) -> RequestStatus {
    RequestStatus::new(v)
}
pub(crate) fn mm_status(v: &str) -> MmStatus {
    MmStatus::new(v)
}
pub(crate) fn read_status_of(v: &str) -> ReadStatus {
    ReadStatus::new(v)
}

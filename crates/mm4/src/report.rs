//! `MM4_forward.RES`, `MM4_delivery_report.REQ/.RES` and
//! `MM4_read_reply_report.REQ/.RES` (TS 23.140 §8.4.1.2, §8.4.2, §8.4.3):
//! header-only messages.

use crate::codes::{MessageKind, MmStatus, ReadStatus, RequestStatus, yes_no};
use crate::error::Error;
use crate::message::{
    DEFAULT_3GPP_VERSION, Headers, mm_status, read_common, read_status, read_status_of,
    request_status, write_common,
};
use crate::mime::HeaderWriter;

/// The answer to an MM4 request (`MM4_forward.RES`,
/// `MM4_delivery_report.RES`, `MM4_read_reply_report.RES`: the same fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mm4Response {
    /// `X-Mms-3GPP-MMS-Version`.
    pub version: String,
    /// `X-Mms-Transaction-ID`, copied from the request.
    pub transaction_id: String,
    /// `X-Mms-Message-ID`, copied from the request.
    pub message_id: String,
    /// `X-Mms-Request-Status-Code`.
    pub status: RequestStatus,
    /// `X-Mms-Status-Text`.
    pub status_text: Option<String>,
    /// `Sender`: the answering MMS Relay/Server's system address.
    pub sender: Option<String>,
    /// `To`: the requester's system address (its X-Mms-Originator-System).
    pub to: Option<String>,
    /// `Date`, seconds since the epoch.
    pub date: Option<u64>,
    /// RFC 5322 `Message-ID`, with angle brackets.
    pub mime_message_id: Option<String>,
}

impl Mm4Response {
    /// An answer with this status to a request's IDs.
    pub fn new(
        transaction_id: impl Into<String>,
        message_id: impl Into<String>,
        status: RequestStatus,
    ) -> Self {
        Self {
            version: DEFAULT_3GPP_VERSION.to_owned(),
            transaction_id: transaction_id.into(),
            message_id: message_id.into(),
            status,
            status_text: None,
            sender: None,
            to: None,
            date: None,
            mime_message_id: None,
        }
    }

    pub(crate) fn read(h: &Headers<'_, '_>) -> Result<Self, Error> {
        let (version, transaction_id, message_id) = read_common(h)?;
        Ok(Self {
            version,
            transaction_id,
            message_id,
            status: read_status(h, "X-Mms-Request-Status-Code", request_status)?,
            status_text: h.text("X-Mms-Status-Text"),
            sender: h.addresses("Sender").into_iter().next(),
            to: h.addresses("To").into_iter().next(),
            date: h.date("Date")?,
            mime_message_id: h.mime_message_id(),
        })
    }

    /// The RFC 5322 message, as `kind` (one of the three `.RES` types).
    pub fn encode(&self, kind: &MessageKind) -> Vec<u8> {
        let mut w = HeaderWriter::new(512);
        write_common(
            &mut w,
            &self.version,
            kind,
            &self.transaction_id,
            &self.message_id,
        );
        w.raw("X-Mms-Request-Status-Code", self.status.as_str());
        if let Some(t) = &self.status_text {
            w.text("X-Mms-Status-Text", t);
        }
        if let Some(s) = &self.sender {
            w.raw("Sender", s);
        }
        if let Some(t) = &self.to {
            w.raw("To", t);
        }
        if let Some(d) = self.date {
            w.date("Date", d);
        }
        if let Some(id) = &self.mime_message_id {
            w.raw("Message-ID", id);
        }
        w.finish(None)
    }
}

/// `MM4_delivery_report.REQ` (TS 23.140 §8.4.2.1): sent by the recipient's
/// MMS Relay/Server to the originator's when the MM was retrieved, rejected,
/// expired... and the originator asked for a delivery report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReportReq {
    /// `X-Mms-3GPP-MMS-Version`.
    pub version: String,
    /// `X-Mms-Transaction-ID` (new for this request).
    pub transaction_id: String,
    /// `X-Mms-Message-ID` of the MM reported on.
    pub message_id: String,
    /// `Sender`: the reporting MMS Relay/Server's system address.
    pub sender: Option<String>,
    /// `X-Mms-Originator-System`: where the `.RES` goes.
    pub originator_system: Option<String>,
    /// `From`: the recipient of the MM (MM4 form).
    pub from: String,
    /// `To`: the originator of the MM (MM4 form).
    pub to: String,
    /// `Date` of the event, seconds since the epoch.
    pub date: Option<u64>,
    /// `X-Mms-Ack-Request`.
    pub ack_request: bool,
    /// `X-Mms-Forward-To-Originator-UA`.
    pub forward_to_originator_ua: Option<bool>,
    /// `X-Mms-MM-Status-Code`.
    pub mm_status: MmStatus,
    /// `X-Mms-Status-Text`.
    pub status_text: Option<String>,
    /// RFC 5322 `Message-ID`, with angle brackets.
    pub mime_message_id: Option<String>,
}

impl DeliveryReportReq {
    /// A report on `message_id` from its recipient `from` to its originator
    /// `to` (both in MM4 form), asking for an acknowledgement.
    pub fn new(
        transaction_id: impl Into<String>,
        message_id: impl Into<String>,
        from: impl Into<String>,
        to: impl Into<String>,
        mm_status: MmStatus,
        date: u64,
    ) -> Self {
        Self {
            version: DEFAULT_3GPP_VERSION.to_owned(),
            transaction_id: transaction_id.into(),
            message_id: message_id.into(),
            sender: None,
            originator_system: None,
            from: from.into(),
            to: to.into(),
            date: Some(date),
            ack_request: true,
            forward_to_originator_ua: None,
            mm_status,
            status_text: None,
            mime_message_id: None,
        }
    }

    pub(crate) fn read(h: &Headers<'_, '_>) -> Result<Self, Error> {
        let (version, transaction_id, message_id) = read_common(h)?;
        Ok(Self {
            version,
            transaction_id,
            message_id,
            sender: h.addresses("Sender").into_iter().next(),
            originator_system: h.get("X-Mms-Originator-System").map(|(_, v)| v),
            from: first_address(h, "From")?,
            to: first_address(h, "To")?,
            date: h.date("Date")?,
            ack_request: h.yes_no("X-Mms-Ack-Request")?.unwrap_or(false),
            forward_to_originator_ua: h.yes_no("X-Mms-Forward-To-Originator-UA")?,
            mm_status: read_status(h, "X-Mms-MM-Status-Code", mm_status)?,
            status_text: h.text("X-Mms-Status-Text"),
            mime_message_id: h.mime_message_id(),
        })
    }

    /// The RFC 5322 message.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = HeaderWriter::new(768);
        write_common(
            &mut w,
            &self.version,
            &MessageKind::DELIVERY_REPORT_REQ,
            &self.transaction_id,
            &self.message_id,
        );
        if let Some(s) = &self.sender {
            w.raw("Sender", s);
        }
        w.raw("From", &self.from);
        w.raw("To", &self.to);
        if let Some(d) = self.date {
            w.date("Date", d);
        }
        w.raw("X-Mms-Ack-Request", yes_no(self.ack_request));
        if let Some(s) = &self.originator_system {
            w.raw("X-Mms-Originator-System", s);
        }
        if let Some(f) = self.forward_to_originator_ua {
            w.raw("X-Mms-Forward-To-Originator-UA", yes_no(f));
        }
        w.raw("X-Mms-MM-Status-Code", self.mm_status.as_str());
        if let Some(t) = &self.status_text {
            w.text("X-Mms-Status-Text", t);
        }
        if let Some(id) = &self.mime_message_id {
            w.raw("Message-ID", id);
        }
        w.finish(None)
    }

    /// The `MM4_delivery_report.RES` answering this report.
    pub fn response(&self, status: RequestStatus, sender: Option<&str>) -> Mm4Response {
        let mut r = Mm4Response::new(&self.transaction_id, &self.message_id, status);
        r.sender = sender.map(str::to_owned);
        r.to = self
            .originator_system
            .clone()
            .or_else(|| self.sender.clone());
        r
    }
}

/// `MM4_read_reply_report.REQ` (TS 23.140 §8.4.3.1): the recipient's MMS
/// Relay/Server tells the originator's that the MM was read or deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadReplyReportReq {
    /// `X-Mms-3GPP-MMS-Version`.
    pub version: String,
    /// `X-Mms-Transaction-ID` (new for this request).
    pub transaction_id: String,
    /// `X-Mms-Message-ID` of the MM reported on.
    pub message_id: String,
    /// `Sender`: the reporting MMS Relay/Server's system address.
    pub sender: Option<String>,
    /// `X-Mms-Originator-System`: where the `.RES` goes.
    pub originator_system: Option<String>,
    /// `From`: the recipient of the MM (MM4 form).
    pub from: String,
    /// `To`: the originator of the MM (MM4 form).
    pub to: String,
    /// `Date` the MM was read or deleted.
    pub date: Option<u64>,
    /// `X-Mms-Ack-Request`.
    pub ack_request: bool,
    /// `X-Mms-Read-Status`.
    pub read_status: ReadStatus,
    /// `X-Mms-Status-Text`.
    pub status_text: Option<String>,
    /// RFC 5322 `Message-ID`, with angle brackets.
    pub mime_message_id: Option<String>,
}

impl ReadReplyReportReq {
    /// A read report on `message_id` from its recipient `from` to its
    /// originator `to` (both in MM4 form), asking for an acknowledgement.
    pub fn new(
        transaction_id: impl Into<String>,
        message_id: impl Into<String>,
        from: impl Into<String>,
        to: impl Into<String>,
        read_status: ReadStatus,
        date: u64,
    ) -> Self {
        Self {
            version: DEFAULT_3GPP_VERSION.to_owned(),
            transaction_id: transaction_id.into(),
            message_id: message_id.into(),
            sender: None,
            originator_system: None,
            from: from.into(),
            to: to.into(),
            date: Some(date),
            ack_request: true,
            read_status,
            status_text: None,
            mime_message_id: None,
        }
    }

    pub(crate) fn read(h: &Headers<'_, '_>) -> Result<Self, Error> {
        let (version, transaction_id, message_id) = read_common(h)?;
        Ok(Self {
            version,
            transaction_id,
            message_id,
            sender: h.addresses("Sender").into_iter().next(),
            originator_system: h.get("X-Mms-Originator-System").map(|(_, v)| v),
            from: first_address(h, "From")?,
            to: first_address(h, "To")?,
            date: h.date("Date")?,
            ack_request: h.yes_no("X-Mms-Ack-Request")?.unwrap_or(false),
            read_status: read_status(h, "X-Mms-Read-Status", read_status_of)?,
            status_text: h.text("X-Mms-Status-Text"),
            mime_message_id: h.mime_message_id(),
        })
    }

    /// The RFC 5322 message.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = HeaderWriter::new(768);
        write_common(
            &mut w,
            &self.version,
            &MessageKind::READ_REPLY_REPORT_REQ,
            &self.transaction_id,
            &self.message_id,
        );
        if let Some(s) = &self.sender {
            w.raw("Sender", s);
        }
        w.raw("From", &self.from);
        w.raw("To", &self.to);
        if let Some(d) = self.date {
            w.date("Date", d);
        }
        w.raw("X-Mms-Ack-Request", yes_no(self.ack_request));
        if let Some(s) = &self.originator_system {
            w.raw("X-Mms-Originator-System", s);
        }
        w.raw("X-Mms-Read-Status", self.read_status.as_str());
        if let Some(t) = &self.status_text {
            w.text("X-Mms-Status-Text", t);
        }
        if let Some(id) = &self.mime_message_id {
            w.raw("Message-ID", id);
        }
        w.finish(None)
    }

    /// The `MM4_read_reply_report.RES` answering this report.
    pub fn response(&self, status: RequestStatus, sender: Option<&str>) -> Mm4Response {
        let mut r = Mm4Response::new(&self.transaction_id, &self.message_id, status);
        r.sender = sender.map(str::to_owned);
        r.to = self
            .originator_system
            .clone()
            .or_else(|| self.sender.clone());
        r
    }
}

fn first_address(h: &Headers<'_, '_>, name: &'static str) -> Result<String, Error> {
    let (at, raw) = h.req(name)?;
    h.addresses(name)
        .into_iter()
        .next()
        .ok_or_else(|| Error::invalid(at, name, &raw))
}

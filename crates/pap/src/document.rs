//! The PAP document (WAP-247-PAP §9.1): a `pap` root holding exactly one
//! message, under the PAP 1.0 or 2.0 DTD.
//!
//! ```text
//! <?xml version="1.0"?>
//! <!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN"
//!                      "http://www.wapforum.org/DTDs/pap_2.0.dtd">
//! <pap product-name="...">  push-message | push-response | cancel-message | ... </pap>
//! ```
//!
//! Reading accepts either DTD, or none, and also a message element given as
//! the root without `pap` around it. Writing produces the XML declaration, the
//! DOCTYPE of the chosen version, and one element per line.

use std::fmt;

use crate::badmessage::BadMessageResponse;
use crate::cancel::{CancelMessage, CancelResponse};
use crate::ccq::{CcqMessage, CcqResponse};
use crate::error::{DecodeError, ErrorKind, Result};
use crate::push::{PushMessage, PushResponse};
use crate::resultnotification::{ResultNotificationMessage, ResultNotificationResponse};
use crate::statusquery::{StatusQueryMessage, StatusQueryResponse};
use crate::xml::{Element, Writer, parse_tree};

/// The PAP DTD version of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PapVersion {
    /// PAP 1.0 (WAP-164), what Kannel and other older gateways answer with.
    V1_0,
    /// PAP 2.0 (WAP-247), the default for output.
    #[default]
    V2_0,
}

impl PapVersion {
    /// The DOCTYPE's public identifier.
    pub fn public_id(self) -> &'static str {
        match self {
            PapVersion::V1_0 => "-//WAPFORUM//DTD PAP 1.0//EN",
            PapVersion::V2_0 => "-//WAPFORUM//DTD PAP 2.0//EN",
        }
    }

    /// The DOCTYPE's system identifier.
    pub fn system_id(self) -> &'static str {
        match self {
            PapVersion::V1_0 => "http://www.wapforum.org/DTDs/pap_1.0.dtd",
            PapVersion::V2_0 => "http://www.wapforum.org/DTDs/pap_2.0.dtd",
        }
    }

    /// The version a DOCTYPE text names, if it names one (by public
    /// identifier, or failing that by the DTD file name).
    pub fn from_doctype(doctype: &str) -> Option<Self> {
        if doctype.contains("PAP 2.0") || doctype.contains("pap_2.0") {
            Some(PapVersion::V2_0)
        } else if doctype.contains("PAP 1.0") || doctype.contains("pap_1.0") {
            Some(PapVersion::V1_0)
        } else {
            None
        }
    }
}

impl fmt::Display for PapVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PapVersion::V1_0 => "1.0",
            PapVersion::V2_0 => "2.0",
        })
    }
}

/// The one message a PAP document carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Message {
    /// `push-message` (initiator → PPG).
    PushMessage(PushMessage),
    /// `push-response` (PPG → initiator).
    PushResponse(PushResponse),
    /// `cancel-message` (initiator → PPG).
    CancelMessage(CancelMessage),
    /// `cancel-response` (PPG → initiator).
    CancelResponse(CancelResponse),
    /// `statusquery-message` (initiator → PPG).
    StatusQueryMessage(StatusQueryMessage),
    /// `statusquery-response` (PPG → initiator).
    StatusQueryResponse(StatusQueryResponse),
    /// `resultnotification-message` (PPG → initiator).
    ResultNotificationMessage(ResultNotificationMessage),
    /// `resultnotification-response` (initiator → PPG).
    ResultNotificationResponse(ResultNotificationResponse),
    /// `ccq-message` (initiator → PPG).
    CcqMessage(CcqMessage),
    /// `ccq-response` (PPG → initiator).
    CcqResponse(CcqResponse),
    /// `badmessage-response` (PPG → initiator).
    BadMessageResponse(BadMessageResponse),
}

/// Element names of the messages, for recognising a bare message root.
const MESSAGE_NAMES: &[&str] = &[
    "push-message",
    "push-response",
    "cancel-message",
    "cancel-response",
    "statusquery-message",
    "statusquery-response",
    "resultnotification-message",
    "resultnotification-response",
    "ccq-message",
    "ccq-response",
    "badmessage-response",
];

impl Message {
    /// The element name (e.g. `"push-message"`).
    pub fn element_name(&self) -> &'static str {
        match self {
            Message::PushMessage(_) => "push-message",
            Message::PushResponse(_) => "push-response",
            Message::CancelMessage(_) => "cancel-message",
            Message::CancelResponse(_) => "cancel-response",
            Message::StatusQueryMessage(_) => "statusquery-message",
            Message::StatusQueryResponse(_) => "statusquery-response",
            Message::ResultNotificationMessage(_) => "resultnotification-message",
            Message::ResultNotificationResponse(_) => "resultnotification-response",
            Message::CcqMessage(_) => "ccq-message",
            Message::CcqResponse(_) => "ccq-response",
            Message::BadMessageResponse(_) => "badmessage-response",
        }
    }

    fn from_element(e: &Element) -> Result<Self> {
        let name = e.name.to_ascii_lowercase();
        Ok(match name.as_str() {
            "push-message" => Message::PushMessage(PushMessage::from_element(e)?),
            "push-response" => Message::PushResponse(PushResponse::from_element(e)?),
            "cancel-message" => Message::CancelMessage(CancelMessage::from_element(e)?),
            "cancel-response" => Message::CancelResponse(CancelResponse::from_element(e)?),
            "statusquery-message" => {
                Message::StatusQueryMessage(StatusQueryMessage::from_element(e)?)
            }
            "statusquery-response" => {
                Message::StatusQueryResponse(StatusQueryResponse::from_element(e)?)
            }
            "resultnotification-message" => {
                Message::ResultNotificationMessage(ResultNotificationMessage::from_element(e)?)
            }
            "resultnotification-response" => {
                Message::ResultNotificationResponse(ResultNotificationResponse::from_element(e)?)
            }
            "ccq-message" => Message::CcqMessage(CcqMessage::from_element(e)?),
            "ccq-response" => Message::CcqResponse(CcqResponse::from_element(e)?),
            "badmessage-response" => {
                Message::BadMessageResponse(BadMessageResponse::from_element(e)?)
            }
            _ => {
                return Err(DecodeError::new(
                    e.offset,
                    "pap",
                    ErrorKind::UnknownMessage(e.name.to_string()),
                ));
            }
        })
    }

    fn write(&self, w: &mut Writer, version: PapVersion) {
        match self {
            Message::PushMessage(m) => m.write(w, version),
            Message::PushResponse(m) => m.write(w),
            Message::CancelMessage(m) => m.write(w),
            Message::CancelResponse(m) => m.write(w),
            Message::StatusQueryMessage(m) => m.write(w),
            Message::StatusQueryResponse(m) => m.write(w),
            Message::ResultNotificationMessage(m) => m.write(w),
            Message::ResultNotificationResponse(m) => m.write(w),
            Message::CcqMessage(m) => m.write(w),
            Message::CcqResponse(m) => m.write(w),
            Message::BadMessageResponse(m) => m.write(w),
        }
    }
}

/// A PAP document: the `pap` root's attribute and its message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Document {
    /// `product-name` of the `pap` element: the sender's software.
    pub product_name: Option<String>,
    /// The message.
    pub message: Message,
}

/// A parsed document with the DTD version its DOCTYPE named.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Parsed {
    /// The version named by the DOCTYPE; `None` when there was no DOCTYPE or
    /// it named neither 1.0 nor 2.0.
    pub version: Option<PapVersion>,
    /// The document.
    pub document: Document,
}

impl Document {
    /// Parses a PAP document (UTF-8 bytes) of either version.
    pub fn parse(input: &[u8]) -> Result<Document> {
        Ok(Self::parse_versioned(input)?.document)
    }

    /// Parses a PAP document and reports which DTD version it declared (a
    /// PPG answers in the initiator's version).
    pub fn parse_versioned(input: &[u8]) -> Result<Parsed> {
        let tree = parse_tree(input)?;
        let version = tree.doctype.as_deref().and_then(PapVersion::from_doctype);
        let root = &tree.root;
        let (product_name, body) = if root.name.eq_ignore_ascii_case("pap") {
            let body = root
                .children
                .first()
                .ok_or_else(|| DecodeError::new(root.offset, "pap", ErrorKind::MissingElement))?;
            (root.opt_string("product-name"), body)
        } else if MESSAGE_NAMES
            .iter()
            .any(|n| root.name.eq_ignore_ascii_case(n))
        {
            (None, root)
        } else {
            return Err(DecodeError::new(
                root.offset,
                "pap",
                ErrorKind::UnknownMessage(root.name.to_string()),
            ));
        };
        Ok(Parsed {
            version,
            document: Document {
                product_name,
                message: Message::from_element(body)?,
            },
        })
    }

    /// Writes the document under the given DTD version.
    pub fn to_xml(&self, version: PapVersion) -> String {
        document_xml(self.product_name.as_deref(), version, |w| {
            self.message.write(w, version)
        })
    }

    /// Writes the document as PAP 2.0, as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_xml(PapVersion::V2_0).into_bytes()
    }
}

/// Writes one message's element (the PAP version matters to push-message
/// only).
trait WriteBody {
    fn write_body(&self, w: &mut Writer, version: PapVersion);
}

/// A whole document: prolog, `pap` root, and the message `body` writes.
fn document_xml(
    product_name: Option<&str>,
    version: PapVersion,
    body: impl FnOnce(&mut Writer),
) -> String {
    let mut w = Writer::new();
    w.raw("<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"");
    w.raw(version.public_id());
    w.raw("\" \"");
    w.raw(version.system_id());
    w.raw("\">\n");
    w.open("pap");
    w.attr_opt("product-name", product_name);
    w.close();
    body(&mut w);
    w.end("pap");
    w.finish()
}

impl From<Message> for Document {
    fn from(message: Message) -> Self {
        Document {
            product_name: None,
            message,
        }
    }
}

/// For each message type: `From` into [`Message`] and [`Document`], and
/// `to_xml`. The message types' `write` takes the PAP version only for
/// push-message, the one element that differs between 1.0 and 2.0.
macro_rules! into_document {
    (versioned: $($v:ident),+; plain: $($p:ident),+) => {
        $(impl WriteBody for $v {
            fn write_body(&self, w: &mut Writer, version: PapVersion) {
                self.write(w, version);
            }
        })+
        $(impl WriteBody for $p {
            fn write_body(&self, w: &mut Writer, _: PapVersion) {
                self.write(w);
            }
        })+
        $(into_document!(@one $v);)+
        $(into_document!(@one $p);)+
    };
    (@one $ty:ident) => {
        impl From<$ty> for Message {
            fn from(m: $ty) -> Self {
                Message::$ty(m)
            }
        }

        impl From<$ty> for Document {
            fn from(m: $ty) -> Self {
                Document::from(Message::$ty(m))
            }
        }

        impl $ty {
            /// This message as a complete PAP document of the given version.
            pub fn to_xml(&self, version: PapVersion) -> String {
                document_xml(None, version, |w| WriteBody::write_body(self, w, version))
            }
        }
    };
}

into_document!(
    versioned: PushMessage;
    plain:
        PushResponse,
        CancelMessage,
        CancelResponse,
        StatusQueryMessage,
        StatusQueryResponse,
        ResultNotificationMessage,
        ResultNotificationResponse,
        CcqMessage,
        CcqResponse,
        BadMessageResponse
);

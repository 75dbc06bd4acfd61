//! The PAP request envelope (WAP-247-PAP §8): what a push initiator POSTs.
//!
//! A push submission is `multipart/related; boundary=...;
//! type="application/xml"` with the control entity (the `push-message`
//! document) first, the content entity second, and optionally a capabilities
//! entity third. Every other PAP operation is a bare `application/xml`
//! document.
//!
//! ```text
//! Content-Type: multipart/related; boundary=asdlfkjiurwghasf; type="application/xml"
//!
//! --asdlfkjiurwghasf
//! Content-Type: application/xml
//!
//! <?xml version="1.0"?> ... <push-message ...> ... </pap>
//! --asdlfkjiurwghasf
//! Content-Type: application/vnd.wap.mms-message
//! X-Wap-Application-Id: x-wap-application:mms.ua
//!
//! (binary M-Notification.ind)
//! --asdlfkjiurwghasf--
//! ```
//!
//! [`Request::parse`] takes the request's `Content-Type` header value and body
//! and gives either a [`PushRequest`] (content borrowed from the body) or a
//! bare [`Document`]. [`PushRequestBuilder`] writes a submission for a PAP
//! client.

use std::borrow::Cow;

use crate::document::{Document, Message, PapVersion, Parsed};
use crate::error::{DecodeError, ErrorKind, Result};
use crate::multipart::{
    MediaType, Part, check_boundary, conflicts, encode_base64, is_token, parse_multipart,
    write_close, write_part,
};
use crate::push::PushMessage;

/// A parsed push submission, borrowing its entities from the request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRequest<'a> {
    /// The multipart boundary (from the `Content-Type` header).
    pub boundary: Cow<'a, str>,
    /// The PAP version the control document's DOCTYPE named, if any.
    pub version: Option<PapVersion>,
    /// `product-name` of the control document's `pap` element.
    pub product_name: Option<String>,
    /// The control entity's `push-message`.
    pub message: PushMessage,
    /// The control entity as received.
    pub control: Part<'a>,
    /// The content entity: its headers (`Content-Type`,
    /// `X-Wap-Application-Id`, ...) and its body as transferred.
    pub content: Part<'a>,
    /// The capabilities entity, if the initiator sent one.
    pub capabilities: Option<Part<'a>>,
}

/// A parsed PAP request: a push submission, or any other PAP document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    /// A `multipart/related` push submission.
    Push(PushRequest<'a>),
    /// A bare document (`cancel-message`, `statusquery-message`, ...).
    Control(Parsed),
}

impl<'a> Request<'a> {
    /// Parses a request from its `Content-Type` header value and body: a
    /// `multipart/*` type is a push submission, anything else (normally
    /// `application/xml`) a bare PAP document.
    pub fn parse(content_type: &'a str, body: &'a [u8]) -> Result<Self> {
        let media = MediaType::parse(content_type)?;
        if media.is_multipart() {
            PushRequest::from_media(&media, body).map(Request::Push)
        } else {
            Document::parse_versioned(body).map(Request::Control)
        }
    }
}

impl<'a> PushRequest<'a> {
    /// Parses a push submission from its `Content-Type` header value
    /// (`multipart/related; boundary=...`) and body. Error offsets point into
    /// `body`.
    pub fn parse(content_type: &'a str, body: &'a [u8]) -> Result<Self> {
        let media = MediaType::parse(content_type)?;
        if !media.is_multipart() {
            return Err(DecodeError::new(
                0,
                "Content-Type",
                ErrorKind::ContentType("a push submission is multipart/related"),
            ));
        }
        Self::from_media(&media, body)
    }

    fn from_media(media: &MediaType<'a>, body: &'a [u8]) -> Result<Self> {
        let Some((_, boundary)) = media
            .params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("boundary"))
        else {
            return Err(DecodeError::new(
                0,
                "Content-Type",
                ErrorKind::ContentType("multipart without a boundary parameter"),
            ));
        };
        let mut parts = parse_multipart(boundary, body)?.into_iter();
        let found = parts.len();
        let (Some(control), Some(content), capabilities, None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(DecodeError::new(
                0,
                "multipart",
                ErrorKind::PartCount { found },
            ));
        };
        let parsed =
            Document::parse_versioned(control.body).map_err(|e| e.shifted(control.offset))?;
        let Message::PushMessage(message) = parsed.document.message else {
            return Err(DecodeError::new(
                control.offset,
                "control entity",
                ErrorKind::UnknownMessage(parsed.document.message.element_name().to_owned()),
            ));
        };
        Ok(PushRequest {
            boundary: boundary.clone(),
            version: parsed.version,
            product_name: parsed.document.product_name,
            message,
            control,
            content,
            capabilities,
        })
    }

    /// The content entity's body with its transfer encoding undone (borrowed
    /// unless it was base64).
    pub fn content_body(&self) -> Result<Cow<'a, [u8]>> {
        self.content.decoded_body()
    }

    /// Writes the request back, strictly (CRLF line ends, canonical control
    /// document in `version`), with the same boundary, the content and
    /// capabilities entities' headers and bodies as they were.
    pub fn encode(&self, version: PapVersion) -> Result<EncodedRequest> {
        let document = Document {
            product_name: self.product_name.clone(),
            message: Message::PushMessage(self.message.clone()),
        };
        let control = document.to_xml(version);
        fn header_list<'p>(p: &'p Part<'_>) -> Vec<(&'p str, &'p str)> {
            p.headers
                .iter()
                .map(|h| (h.name, h.value.as_ref()))
                .collect()
        }
        let mut entities = vec![(header_list(&self.content), self.content.body)];
        if let Some(c) = &self.capabilities {
            entities.push((header_list(c), c.body));
        }
        encode_request(&self.boundary, control.as_bytes(), &entities)
    }
}

/// A request ready to send: the `Content-Type` header value and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedRequest {
    /// The value for the HTTP `Content-Type` header.
    pub content_type: String,
    /// The HTTP body.
    pub body: Vec<u8>,
}

/// An entity to write: its headers and its body.
type Entity<'e> = (Vec<(&'e str, &'e str)>, &'e [u8]);

fn encode_request(
    boundary: &str,
    control: &[u8],
    entities: &[Entity<'_>],
) -> Result<EncodedRequest> {
    check_boundary(boundary)?;
    if conflicts(control, boundary) || entities.iter().any(|(_, b)| conflicts(b, boundary)) {
        return Err(DecodeError::new(
            0,
            "boundary",
            ErrorKind::Unencodable("the boundary occurs in a body"),
        ));
    }
    let mut body = Vec::with_capacity(
        control.len() + entities.iter().map(|(_, b)| b.len() + 256).sum::<usize>() + 256,
    );
    write_part(
        &mut body,
        boundary,
        &[("Content-Type", "application/xml")],
        control,
    )?;
    for (headers, b) in entities {
        write_part(&mut body, boundary, headers, b)?;
    }
    write_close(&mut body, boundary);
    let b = if is_token(boundary) {
        boundary.to_owned()
    } else {
        format!("\"{boundary}\"")
    };
    Ok(EncodedRequest {
        content_type: format!("multipart/related; boundary={b}; type=\"application/xml\""),
        body,
    })
}

/// Builds a push submission for a PAP client.
///
/// ```
/// use ferry_pap::{ClientAddress, PushMessage, PushRequestBuilder, Request};
///
/// let to = ClientAddress::plmn("+15551234567")?;
/// let message = PushMessage::new("mmsc-0001@mms.example.com", to);
/// let notification = [0x8C, 0x82, 0x98, b'1', 0];
/// let req = PushRequestBuilder::new(&message, "application/vnd.wap.mms-message", &notification)
///     .application_id("x-wap-application:mms.ua")
///     .build()?;
/// let Request::Push(parsed) = Request::parse(&req.content_type, &req.body)? else { panic!() };
/// assert_eq!(parsed.message, message);
/// assert_eq!(parsed.content_body()?.as_ref(), &notification);
/// # Ok::<(), ferry_pap::DecodeError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct PushRequestBuilder<'b> {
    message: &'b PushMessage,
    product_name: Option<&'b str>,
    version: PapVersion,
    boundary: Option<&'b str>,
    content_type: &'b str,
    body: &'b [u8],
    application_id: Option<&'b str>,
    base64: bool,
    content_length: bool,
    headers: Vec<(&'b str, &'b str)>,
    capabilities: Option<(&'b str, &'b [u8])>,
}

impl<'b> PushRequestBuilder<'b> {
    /// A submission of `body` (of type `content_type`) under `message`.
    pub fn new(message: &'b PushMessage, content_type: &'b str, body: &'b [u8]) -> Self {
        PushRequestBuilder {
            message,
            product_name: None,
            version: PapVersion::V2_0,
            boundary: None,
            content_type,
            body,
            application_id: None,
            base64: false,
            content_length: false,
            headers: Vec::new(),
            capabilities: None,
        }
    }

    /// The PAP version of the control document (default 2.0).
    pub fn version(mut self, version: PapVersion) -> Self {
        self.version = version;
        self
    }

    /// The `product-name` of the control document.
    pub fn product_name(mut self, name: &'b str) -> Self {
        self.product_name = Some(name);
        self
    }

    /// A fixed boundary; by default one is chosen that no body contains.
    pub fn boundary(mut self, boundary: &'b str) -> Self {
        self.boundary = Some(boundary);
        self
    }

    /// The content's `X-Wap-Application-Id`.
    pub fn application_id(mut self, id: &'b str) -> Self {
        self.application_id = Some(id);
        self
    }

    /// Send the content base64-encoded (default: binary).
    pub fn base64(mut self, on: bool) -> Self {
        self.base64 = on;
        self
    }

    /// Add a `Content-Length` header to the content entity.
    pub fn content_length(mut self, on: bool) -> Self {
        self.content_length = on;
        self
    }

    /// Another header for the content entity (after the standard ones).
    pub fn header(mut self, name: &'b str, value: &'b str) -> Self {
        self.headers.push((name, value));
        self
    }

    /// A capabilities entity (e.g. `application/xml` RDF).
    pub fn capabilities(mut self, content_type: &'b str, body: &'b [u8]) -> Self {
        self.capabilities = Some((content_type, body));
        self
    }

    /// Writes the request. Fails on a boundary that is not valid or occurs in
    /// a body, and on header text holding line breaks.
    pub fn build(&self) -> Result<EncodedRequest> {
        let document = Document {
            product_name: self.product_name.map(str::to_owned),
            message: Message::PushMessage(self.message.clone()),
        };
        let control = document.to_xml(self.version);
        let content: Cow<'_, [u8]> = if self.base64 {
            Cow::Owned(encode_base64(self.body))
        } else {
            Cow::Borrowed(self.body)
        };
        let length = content.len().to_string();
        let mut headers = vec![("Content-Type", self.content_type)];
        if self.base64 {
            headers.push(("Content-Transfer-Encoding", "base64"));
        }
        if let Some(id) = self.application_id {
            headers.push(("X-Wap-Application-Id", id));
        }
        if self.content_length {
            headers.push(("Content-Length", length.as_str()));
        }
        headers.extend(self.headers.iter().copied());
        let mut entities = vec![(headers, content.as_ref())];
        if let Some((ct, body)) = self.capabilities {
            entities.push((vec![("Content-Type", ct)], body));
        }
        let boundary: Cow<'_, str> = match self.boundary {
            Some(b) => Cow::Borrowed(b),
            None => {
                let bodies = [
                    control.as_bytes(),
                    content.as_ref(),
                    self.capabilities.map_or(&[][..], |c| c.1),
                ];
                // Fixed-width candidates: each body line can rule out at most
                // one, so this ends.
                let mut n: u64 = 0;
                loop {
                    let b = format!("ferry-pap-{n:016x}");
                    if !bodies.iter().any(|body| conflicts(body, &b)) {
                        break Cow::Owned(b);
                    }
                    n += 1;
                }
            }
        };
        encode_request(&boundary, control.as_bytes(), &entities)
    }
}

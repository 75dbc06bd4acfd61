//! The connectionless WSP Push PDU (WAP-230 §8.2.4.1, §8.2.1): what a WAP
//! Push carries over SMS once the WDP segments are reassembled.
//!
//! ```text
//! TID (1) | PDU type 0x06 | HeadersLen (uintvar) | Content-Type | Headers | Data
//! ```

use std::borrow::Cow;

use crate::content_type::ContentType;
use crate::encode::{put_integer_value, put_short_integer, put_uintvar};
use crate::error::{DecodeError, ErrorKind, Result};
use crate::headers::{Header, HeaderName, HeaderValue, decode_header, encode_headers};
use crate::reader::Reader;
use crate::tables::{self, field};

/// PDU type of a Push.
pub const PDU_PUSH: u8 = 0x06;
/// PDU type of a Confirmed Push.
pub const PDU_CONFIRMED_PUSH: u8 = 0x07;
/// The push application id of the MMS user agent (`x-wap-application:mms.ua`).
pub const APP_ID_MMS: u32 = 0x04;

/// A push application id, numeric or as a URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ApplicationId<'a> {
    /// A registered number (4 is `x-wap-application:mms.ua`).
    Code(u32),
    /// A URI such as `x-wap-application:mms.ua`.
    Uri(Cow<'a, str>),
}

impl ApplicationId<'_> {
    /// The registered number, looking a URI up in the table if need be.
    pub fn code(&self) -> Option<u32> {
        match self {
            ApplicationId::Code(c) => Some(*c),
            ApplicationId::Uri(u) => tables::application_id_code(u.trim()),
        }
    }

    /// The URI form (`x-wap-application:mms.ua`), or the number in hex.
    pub fn as_str(&self) -> Cow<'_, str> {
        match self {
            ApplicationId::Uri(u) => Cow::Borrowed(u),
            ApplicationId::Code(c) => match tables::application_id_name(*c) {
                Some(n) => Cow::Borrowed(n),
                None => Cow::Owned(format!("0x{c:x}")),
            },
        }
    }

    /// True for the MMS user agent.
    pub fn is_mms(&self) -> bool {
        self.code() == Some(APP_ID_MMS)
    }
}

/// A connectionless WSP Push PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push<'a> {
    /// Transaction id.
    pub tid: u8,
    /// 0x06 (Push) or 0x07 (Confirmed Push).
    pub pdu_type: u8,
    /// The content type of the pushed data.
    pub content_type: ContentType<'a>,
    /// The push headers after the content type, in order. Well-known ones
    /// (X-Wap-Application-Id, Content-Length, Push-Flag, Encoding-Version)
    /// are typed; anything else, textual or binary, is kept as sent.
    pub headers: Vec<Header<'a>>,
    /// The pushed data (for MMS, the `M-Notification.ind`), borrowed.
    pub body: &'a [u8],
}

impl<'a> Push<'a> {
    /// Decodes a Push PDU. A PDU type other than Push or Confirmed Push is an
    /// error that says so.
    pub fn decode(buf: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(buf);
        let tid = r.u8("TID")?;
        let at = r.offset();
        let pdu_type = r.u8("PDU type")?;
        if pdu_type != PDU_PUSH && pdu_type != PDU_CONFIRMED_PUSH {
            return Err(DecodeError::new(
                at,
                "PDU type",
                ErrorKind::NotPush { pdu_type },
            ));
        }
        let len = r.uintvar("HeadersLen")? as usize;
        let mut h = r.sub(len, "push headers")?;
        let content_type = ContentType::decode(&mut h, "Content-Type")?;
        let mut headers = Vec::with_capacity(4);
        let mut page = 1;
        while !h.is_empty() {
            if let Some(x) = decode_header(&mut h, &mut page, "push header")? {
                headers.push(x);
            }
        }
        Ok(Self {
            tid,
            pdu_type,
            content_type,
            headers,
            body: r.take_rest(),
        })
    }

    /// The compact push Ferry's gateway sends: well-known content type and
    /// application id, nothing else (3 octets of headers for MMS).
    pub fn new(
        tid: u8,
        content_type: ContentType<'a>,
        app_id: Option<ApplicationId<'a>>,
        body: &'a [u8],
    ) -> Self {
        let headers = app_id
            .map(|id| {
                vec![Header::well_known(
                    field::X_WAP_APPLICATION_ID,
                    app_id_value(id),
                )]
            })
            .unwrap_or_default();
        Self {
            tid,
            pdu_type: PDU_PUSH,
            content_type,
            headers,
            body,
        }
    }

    /// A compact MMS push: `application/vnd.wap.mms-message` (0xBE) with
    /// application id `mms.ua` (0xAF 0x84).
    pub fn mms(tid: u8, body: &'a [u8]) -> Self {
        Self::new(
            tid,
            ContentType::new("application/vnd.wap.mms-message"),
            Some(ApplicationId::Code(APP_ID_MMS)),
            body,
        )
    }

    /// Adds a Content-Length header with the body's length (builder style).
    #[must_use]
    pub fn with_content_length(mut self) -> Self {
        self.headers.push(Header::well_known(
            field::CONTENT_LENGTH,
            HeaderValue::Integer(self.body.len() as u64),
        ));
        self
    }

    /// The X-Wap-Application-Id, if present.
    pub fn application_id(&self) -> Option<ApplicationId<'_>> {
        let h = self
            .headers
            .iter()
            .find(|h| h.name.is("X-Wap-Application-Id"))?;
        match &h.value {
            HeaderValue::Integer(n) => Some(ApplicationId::Code(u32::try_from(*n).ok()?)),
            HeaderValue::Text(t) => Some(ApplicationId::Uri(Cow::Borrowed(t))),
            _ => None,
        }
    }

    /// Content-Length, if present.
    pub fn content_length(&self) -> Option<u64> {
        self.headers
            .iter()
            .find(|h| h.name.is("Content-Length"))
            .and_then(|h| match &h.value {
                HeaderValue::Integer(n) => Some(*n),
                HeaderValue::Text(t) => t.trim().parse().ok(),
                _ => None,
            })
    }

    /// Push-Flag, if present.
    pub fn push_flag(&self) -> Option<u64> {
        self.headers
            .iter()
            .find(|h| h.name.is("Push-Flag"))
            .and_then(|h| match &h.value {
                HeaderValue::Integer(n) => Some(*n),
                _ => None,
            })
    }

    /// Encoding-Version as text (`1.3`), if present.
    pub fn encoding_version(&self) -> Option<String> {
        let h = self
            .headers
            .iter()
            .find(|h| h.name.is("Encoding-Version"))?;
        Some(match &h.value {
            HeaderValue::Integer(n) => format!("{}.{}", (n >> 4) & 0x7, n & 0xF),
            other => other.to_text().into_owned(),
        })
    }

    /// True if this push is for the MMS user agent: the content type is
    /// `application/vnd.wap.mms-message` or the application id is `mms.ua`.
    pub fn is_mms(&self) -> bool {
        self.content_type
            .media
            .is("application/vnd.wap.mms-message")
            || self.application_id().is_some_and(|a| a.is_mms())
    }

    /// Appends the encoded PDU.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.tid);
        out.push(self.pdu_type);
        let mut h = Vec::with_capacity(8);
        self.content_type.encode(&mut h);
        encode_headers(&mut h, &self.headers);
        put_uintvar(out, h.len() as u32);
        out.extend_from_slice(&h);
        out.extend_from_slice(self.body);
    }

    /// The encoded PDU as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(8 + self.body.len());
        self.encode(&mut v);
        v
    }
}

fn app_id_value(id: ApplicationId<'_>) -> HeaderValue<'_> {
    match id {
        ApplicationId::Code(c) => HeaderValue::Integer(c.into()),
        ApplicationId::Uri(u) => match tables::application_id_code(&u) {
            Some(c) => HeaderValue::Integer(c.into()),
            None => HeaderValue::Text(u),
        },
    }
}

/// Encodes a header value as an Integer-value (used by builders).
pub fn integer_header(code: u8, v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    put_short_integer(&mut out, code);
    put_integer_value(&mut out, v);
    out
}

impl HeaderName<'_> {
    /// True for X-Wap-Application-Id.
    pub fn is_application_id(&self) -> bool {
        self.is("X-Wap-Application-Id")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn compact_mms_push() {
        let body = [0x8C, 0x82, 0x98, b'x', 0x00];
        let p = Push::mms(0x01, &body);
        let bytes = p.to_bytes();
        assert_eq!(&bytes[..6], &[0x01, 0x06, 0x03, 0xBE, 0xAF, 0x84]);
        let d = Push::decode(&bytes).unwrap();
        assert!(d.is_mms());
        assert_eq!(d.body, &body);
        assert_eq!(d, p);
    }

    #[test]
    fn kannel_textual_push() {
        // As PEERS.md describes Kannel's air bytes for a 91-byte notification.
        let mut b = vec![0x00, 0x06, 0x26];
        b.extend_from_slice(b"application/vnd.wap.mms-message\0");
        b.extend_from_slice(&[0xAF, 0x84, 0x8D, 0xDB, 0xC3, 0x93]);
        assert_eq!(b.len() - 3, 0x26);
        let body = [0x8C; 91];
        b.extend_from_slice(&body);
        let p = Push::decode(&b).unwrap();
        assert!(p.is_mms());
        assert_eq!(p.content_length(), Some(91));
        assert_eq!(p.encoding_version().as_deref(), Some("1.3"));
        assert_eq!(p.body, &body);
    }

    #[test]
    fn textual_headers_are_skipped() {
        let mut h = vec![0xBE];
        h.extend_from_slice(b"x-wap-application-id\0x-wap-application:mms.ua\0");
        h.extend_from_slice(b"User-Agent\0Kannel\0Content-Transfer-Encoding\0binary\0");
        h.extend_from_slice(&[0xB4, 0x81]);
        let mut b = vec![0x05, 0x06, h.len() as u8];
        b.extend_from_slice(&h);
        b.push(0x8C);
        let p = Push::decode(&b).unwrap();
        assert!(p.application_id().unwrap().is_mms());
        assert_eq!(p.push_flag(), Some(1));
        assert_eq!(p.body, &[0x8C]);
    }

    #[test]
    fn not_a_push() {
        let e = Push::decode(&[0x01, 0x04, 0x00]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotPush { pdu_type: 0x04 });
        assert_eq!(e.offset, 1);
        assert!(e.to_string().contains("not Push"));
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..100)) {
            if let Ok(p) = Push::decode(&data) {
                let again = p.to_bytes();
                let q = Push::decode(&again).unwrap();
                prop_assert_eq!(q.body, p.body);
            }
        }

        #[test]
        fn round_trip(tid: u8, body in proptest::collection::vec(any::<u8>(), 0..200), cl: bool) {
            let mut p = Push::mms(tid, &body);
            if cl { p = p.with_content_length(); }
            let bytes = p.to_bytes();
            prop_assert_eq!(Push::decode(&bytes).unwrap(), p);
        }
    }
}

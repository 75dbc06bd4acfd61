//! WSP headers (WAP-230 §8.4.1–8.4.2.x): well-known fields in binary form,
//! application headers in text, shift sequences to other code pages. Fields
//! this crate does not know are kept with their encoded value, so a decoder
//! never fails on a header it has not met and re-encoding loses nothing.

use std::borrow::Cow;
use std::fmt;

use crate::charset::decode_unlabelled;
use crate::content_type::{ContentType, Parameter};
use crate::encode::{
    put_integer_value, put_long_integer, put_quoted_string, put_short_integer, put_text_string,
    put_token_text, put_with_value_length,
};
use crate::error::{ErrorKind, Result};
use crate::reader::Reader;
use crate::tables::{self, field};

/// A header's value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HeaderValue<'a> {
    /// Text (Text-string, Quoted-string or Uri-value).
    Text(Cow<'a, str>),
    /// An Integer-value (Content-Length, Push-Flag, a numeric application id...).
    Integer(u64),
    /// A Date-value, seconds since the epoch.
    Date(u64),
    /// A content type (the Content-Type field inside a header list).
    ContentType(ContentType<'a>),
    /// Content-Disposition: the disposition (`form-data`, `attachment`,
    /// `inline` or a token) and its parameters.
    Disposition {
        /// `form-data`, `attachment`, `inline` or the token sent.
        kind: Cow<'a, str>,
        /// Parameters such as `filename`.
        params: Vec<Parameter<'a>>,
    },
    /// A value this crate does not interpret, as encoded (for a well-known
    /// field, the value's octets including any length prefix).
    Raw(Cow<'a, [u8]>),
}

impl HeaderValue<'_> {
    /// The value as text, for display (raw values in hex).
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            HeaderValue::Text(t) => Cow::Borrowed(t),
            HeaderValue::Integer(n) => Cow::Owned(n.to_string()),
            HeaderValue::Date(d) => Cow::Owned(crate::time::format_rfc3339(*d)),
            HeaderValue::ContentType(ct) => Cow::Owned(ct.to_string()),
            HeaderValue::Disposition { kind, params } => {
                let ct = ContentType {
                    media: crate::MediaType::Name(kind.clone()),
                    params: params.clone(),
                };
                Cow::Owned(ct.to_string())
            }
            HeaderValue::Raw(b) => Cow::Owned(b.iter().map(|b| format!("{b:02x}")).collect()),
        }
    }
}

/// A field name: a well-known number (in code page 1) or text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HeaderName<'a> {
    /// A well-known field number (code page 1, WAP-230 Table 39).
    WellKnown(u8),
    /// A field in another code page (after a shift sequence): page, number.
    Paged(u8, u8),
    /// A textual (application) header name.
    Text(Cow<'a, str>),
}

impl HeaderName<'_> {
    /// The field name as text (`Content-ID`, `X-Wap-Application-Id`...).
    pub fn as_str(&self) -> Cow<'_, str> {
        match self {
            HeaderName::WellKnown(c) => match tables::header_field_name(*c) {
                Some(n) => Cow::Borrowed(n),
                None => Cow::Owned(format!("x-wsp-header-0x{c:02x}")),
            },
            HeaderName::Paged(p, c) => Cow::Owned(format!("x-wsp-page{p}-0x{c:02x}")),
            HeaderName::Text(t) => Cow::Borrowed(t),
        }
    }

    /// True if this names `name` (ASCII case-insensitive), whether sent as a
    /// number or as text.
    pub fn is(&self, name: &str) -> bool {
        self.as_str().eq_ignore_ascii_case(name)
    }
}

/// One header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header<'a> {
    /// The field name.
    pub name: HeaderName<'a>,
    /// The value.
    pub value: HeaderValue<'a>,
}

impl<'a> Header<'a> {
    /// A textual application header (`X-Foo: bar`).
    pub fn text(name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) -> Self {
        Self {
            name: HeaderName::Text(name.into()),
            value: HeaderValue::Text(value.into()),
        }
    }

    /// A well-known header.
    pub fn well_known(code: u8, value: HeaderValue<'a>) -> Self {
        Self {
            name: HeaderName::WellKnown(code),
            value,
        }
    }

    /// The value as text, if it is text.
    pub fn text_value(&self) -> Option<&str> {
        match &self.value {
            HeaderValue::Text(t) => Some(t),
            _ => None,
        }
    }

    /// Appends the canonical encoding of this header.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match &self.name {
            HeaderName::WellKnown(code) => {
                put_short_integer(out, *code);
                encode_well_known_value(out, *code, &self.value);
            }
            HeaderName::Paged(page, code) => {
                out.push(0x7F);
                out.push(*page);
                put_short_integer(out, *code);
                encode_generic_value(out, &self.value);
                // Back to the default page for what follows.
                out.push(0x7F);
                out.push(1);
            }
            HeaderName::Text(name) => {
                put_token_text(out, name.as_bytes());
                match &self.value {
                    HeaderValue::Raw(b) => out.extend_from_slice(b),
                    v => put_text_string(out, v.to_text().as_bytes()),
                }
            }
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Header<'static> {
        let name = match self.name {
            HeaderName::WellKnown(c) => HeaderName::WellKnown(c),
            HeaderName::Paged(p, c) => HeaderName::Paged(p, c),
            HeaderName::Text(t) => HeaderName::Text(Cow::Owned(t.into_owned())),
        };
        let value = match self.value {
            HeaderValue::Text(t) => HeaderValue::Text(Cow::Owned(t.into_owned())),
            HeaderValue::Integer(n) => HeaderValue::Integer(n),
            HeaderValue::Date(n) => HeaderValue::Date(n),
            HeaderValue::ContentType(c) => HeaderValue::ContentType(c.into_owned()),
            HeaderValue::Disposition { kind, params } => HeaderValue::Disposition {
                kind: Cow::Owned(kind.into_owned()),
                params: params.into_iter().map(Parameter::into_owned).collect(),
            },
            HeaderValue::Raw(b) => HeaderValue::Raw(Cow::Owned(b.into_owned())),
        };
        Header { name, value }
    }
}

impl fmt::Display for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name.as_str(), self.value.to_text())
    }
}

fn encode_generic_value(out: &mut Vec<u8>, v: &HeaderValue<'_>) {
    match v {
        HeaderValue::Text(t) => put_text_string(out, t.as_bytes()),
        HeaderValue::Integer(n) => put_integer_value(out, *n),
        HeaderValue::Date(n) => put_long_integer(out, *n),
        HeaderValue::ContentType(ct) => ct.encode(out),
        HeaderValue::Disposition { .. } => encode_disposition(out, v),
        HeaderValue::Raw(b) => out.extend_from_slice(b),
    }
}

fn encode_disposition(out: &mut Vec<u8>, v: &HeaderValue<'_>) {
    if let HeaderValue::Disposition { kind, params } = v {
        put_with_value_length(out, |o| {
            // The well-known numbers decode to these spellings exactly;
            // other text is a Token-text, quoted (0x7F) when its first octet
            // would read as a number or a length.
            match kind.as_ref() {
                "form-data" => o.push(0x80),
                "attachment" => o.push(0x81),
                "inline" => o.push(0x82),
                _ => put_text_string(o, kind.as_bytes()),
            }
            for p in params {
                p.encode(o);
            }
        });
    }
}

fn encode_well_known_value(out: &mut Vec<u8>, code: u8, v: &HeaderValue<'_>) {
    match (code, v) {
        (field::CONTENT_ID, HeaderValue::Text(t)) => put_quoted_string(out, t.as_bytes()),
        _ => encode_generic_value(out, v),
    }
}

/// Decodes the value of well-known field `code`.
fn decode_well_known_value<'a>(
    r: &mut Reader<'a>,
    code: u8,
    field: &'static str,
) -> Result<HeaderValue<'a>> {
    let next = r
        .peek()
        .ok_or_else(|| r.error(field, ErrorKind::Truncated { needed: 1 }))?;
    let text_form = (0x20..0x80).contains(&next);
    Ok(match code {
        field::CONTENT_TYPE => HeaderValue::ContentType(ContentType::decode(r, field)?),
        field::CONTENT_ID => {
            // Quoted-string; also seen as a plain Text-string.
            HeaderValue::Text(decode_unlabelled(r.quoted_string(field)?))
        }
        // (A lone NUL is an empty text, as in every field below.)
        field::CONTENT_DISPOSITION | field::CONTENT_DISPOSITION_14 if (1..=31).contains(&next) => {
            let mut v = r.value_length_sub(field)?;
            let kind: Cow<'a, str> = match v.peek() {
                Some(0x80) => {
                    v.u8(field)?;
                    Cow::Borrowed("form-data")
                }
                Some(0x81) => {
                    v.u8(field)?;
                    Cow::Borrowed("attachment")
                }
                Some(0x82) => {
                    v.u8(field)?;
                    Cow::Borrowed("inline")
                }
                Some(0x83..=0xFF) => {
                    let c = v.short_integer(field)?;
                    Cow::Owned(format!("disposition-{c}"))
                }
                Some(_) => decode_unlabelled(v.text_string(field)?),
                None => Cow::Borrowed("attachment"),
            };
            let mut params = Vec::new();
            while !v.is_empty() {
                match Parameter::decode(&mut v, field) {
                    Ok(p) => params.push(p),
                    Err(_) => break,
                }
            }
            HeaderValue::Disposition { kind, params }
        }
        // A lone NUL is an empty Text-string (what an empty text encodes
        // to), not a Long-integer with no octets: it falls to the text arm.
        field::DATE | 0x14 | 0x17 | 0x1B | 0x1D if !text_form && next != 0 => {
            HeaderValue::Date(r.integer_value(field)?)
        }
        field::CONTENT_LENGTH | 0x05 | 0x1E | field::PUSH_FLAG | field::X_WAP_APPLICATION_ID
            if next >= 0x80 || (1..=8).contains(&next) =>
        {
            HeaderValue::Integer(r.integer_value(field)?)
        }
        _ if text_form || next == 0 => HeaderValue::Text(decode_unlabelled(r.text_string(field)?)),
        _ if next >= 0x80 => HeaderValue::Integer(u64::from(r.short_integer(field)?)),
        _ => HeaderValue::Raw(Cow::Borrowed(r.skip_value(field)?)),
    })
}

/// Decodes a header list that runs to the end of `r`. `page` is the current
/// code page, normally 1.
pub fn decode_headers<'a>(r: &mut Reader<'a>, field: &'static str) -> Result<Vec<Header<'a>>> {
    let mut out = Vec::with_capacity(r.remaining().min(16));
    let mut page = 1u8;
    while !r.is_empty() {
        out.extend(decode_header(r, &mut page, field)?);
    }
    Ok(out)
}

/// Decodes one header (or a shift sequence, which yields nothing).
pub fn decode_header<'a>(
    r: &mut Reader<'a>,
    page: &mut u8,
    field: &'static str,
) -> Result<Option<Header<'a>>> {
    let b = r
        .peek()
        .ok_or_else(|| r.error(field, ErrorKind::Truncated { needed: 1 }))?;
    match b {
        0x7F => {
            // Shift-sequence = Shift-delimiter Page-identity
            r.u8(field)?;
            *page = r.u8(field)?;
            Ok(None)
        }
        0x01..=0x1F => {
            // Short-cut-shift-delimiter
            *page = r.u8(field)?;
            Ok(None)
        }
        0x80..=0xFF => {
            let code = r.short_integer(field)?;
            let name_field = tables::header_field_name(code).unwrap_or(field);
            if *page != 1 {
                let v = r.skip_value(name_field)?;
                return Ok(Some(Header {
                    name: HeaderName::Paged(*page, code),
                    value: HeaderValue::Raw(Cow::Borrowed(v)),
                }));
            }
            let value = decode_well_known_value(r, code, name_field)?;
            Ok(Some(Header {
                name: HeaderName::WellKnown(code),
                value,
            }))
        }
        0x20..=0x7E => {
            // Application-header = Token-text Application-specific-value
            let name = decode_unlabelled(r.text_string(field)?);
            let value = match r.peek() {
                Some(0x20..=0x7F) | Some(0) => {
                    HeaderValue::Text(decode_unlabelled(r.text_string(field)?))
                }
                Some(_) => HeaderValue::Raw(Cow::Borrowed(r.skip_value(field)?)),
                None => return Err(r.error(field, ErrorKind::Truncated { needed: 1 })),
            };
            Ok(Some(Header {
                name: HeaderName::Text(name),
                value,
            }))
        }
        0x00 => Err(r.error(
            field,
            ErrorKind::Unexpected {
                found: 0,
                expected: "a header field name",
            },
        )),
    }
}

/// Encodes a header list.
pub fn encode_headers(out: &mut Vec<u8>, headers: &[Header<'_>]) {
    for h in headers {
        h.encode(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_headers() {
        // Content-ID "<0.smil>", Content-Location "0.smil", X-Custom: yes
        let b = b"\xC0\"<0.smil>\0\x8E0.smil\0X-Custom\0yes\0";
        let hs = decode_headers(&mut Reader::new(b), "headers").unwrap();
        assert_eq!(hs.len(), 3);
        assert!(hs[0].name.is("content-id"));
        assert_eq!(hs[0].text_value(), Some("<0.smil>"));
        assert!(hs[1].name.is("Content-Location"));
        assert_eq!(hs[1].text_value(), Some("0.smil"));
        assert_eq!(hs[2].to_string(), "X-Custom: yes");
        let mut out = Vec::new();
        encode_headers(&mut out, &hs);
        assert_eq!(out, b);
    }

    #[test]
    fn disposition() {
        // Content-Disposition: attachment; filename="a.jpg"
        let b = b"\xAE\x08\x81\x86a.jpg\0";
        let hs = decode_headers(&mut Reader::new(b), "headers").unwrap();
        assert_eq!(
            hs[0].to_string(),
            "Content-Disposition: attachment; filename=a.jpg"
        );
        let mut out = Vec::new();
        encode_headers(&mut out, &hs);
        assert_eq!(out, b);
    }

    #[test]
    fn shift_and_unknown() {
        // Shift to page 2, header 0x81 with a length-prefixed value, shift back, Push-Flag 1.
        let b = [0x7F, 0x02, 0x81, 0x02, 0xAA, 0xBB, 0x01, 0xB4, 0x81];
        let hs = decode_headers(&mut Reader::new(&b), "headers").unwrap();
        assert_eq!(hs.len(), 2);
        assert_eq!(hs[0].name, HeaderName::Paged(2, 1));
        assert_eq!(hs[1].value, HeaderValue::Integer(1));
    }
}

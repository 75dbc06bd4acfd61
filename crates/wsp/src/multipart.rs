//! Multipart bodies (WAP-230 §8.5): `application/vnd.wap.multipart.mixed`,
//! `.related` and `.alternative`. Part bodies borrow from the input.

use std::borrow::Cow;

use base64::Engine as _;

use crate::content_type::ContentType;
use crate::encode::put_uintvar;
use crate::error::{ErrorKind, Result};
use crate::headers::{Header, HeaderName, HeaderValue, decode_header, encode_headers};
use crate::reader::Reader;
use crate::tables::field;

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    /// The part's content type.
    pub content_type: ContentType<'a>,
    /// The part's other headers, in order (Content-ID, Content-Location,
    /// Content-Disposition, textual headers such as Content-Transfer-Encoding,
    /// and any others, kept as sent).
    pub headers: Vec<Header<'a>>,
    /// The body as it travelled (before any Content-Transfer-Encoding is undone).
    pub body: Cow<'a, [u8]>,
}

impl<'a> Part<'a> {
    /// A part from a content type and a body, without other headers.
    pub fn new(content_type: ContentType<'a>, body: impl Into<Cow<'a, [u8]>>) -> Self {
        Self {
            content_type,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// The first header with this name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&Header<'a>> {
        self.headers.iter().find(|h| h.name.is(name))
    }

    fn header_text(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(Header::text_value)
    }

    /// Content-ID as sent (normally with angle brackets).
    pub fn content_id(&self) -> Option<&str> {
        self.header_text("Content-ID")
    }

    /// Content-Location, with stray surrounding white space removed (one
    /// carrier puts a space in front).
    pub fn content_location(&self) -> Option<&str> {
        self.header_text("Content-Location").map(str::trim)
    }

    /// Content-Transfer-Encoding, when a carrier sent one.
    pub fn transfer_encoding(&self) -> Option<&str> {
        self.header_text("Content-Transfer-Encoding").map(str::trim)
    }

    /// The file name a user would see: the `name` or `filename` parameter,
    /// the disposition's `filename`, or Content-Location.
    pub fn file_name(&self) -> Option<Cow<'_, str>> {
        if let Some(n) = self.content_type.name() {
            return Some(n);
        }
        for h in &self.headers {
            if let HeaderValue::Disposition { params, .. } = &h.value
                && let Some(p) = params
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case("filename"))
            {
                return Some(p.value.to_text());
            }
        }
        self.content_location().map(Cow::Borrowed)
    }

    /// The body with any base64 or quoted-printable Content-Transfer-Encoding
    /// undone (borrowed when there is none). A body that does not decode is
    /// returned as it is.
    pub fn decoded_body(&self) -> Cow<'_, [u8]> {
        match self
            .transfer_encoding()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("base64") => match decode_base64_lenient(&self.body) {
                Some(v) => Cow::Owned(v),
                None => Cow::Borrowed(&self.body),
            },
            Some("quoted-printable") => Cow::Owned(decode_quoted_printable(&self.body)),
            _ => Cow::Borrowed(&self.body),
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Part<'static> {
        Part {
            content_type: self.content_type.into_owned(),
            headers: self.headers.into_iter().map(Header::into_owned).collect(),
            body: Cow::Owned(self.body.into_owned()),
        }
    }
}

/// Undoes base64 the way mail readers do: white space ignored, padding
/// optional, non-zero trailing bits accepted, and a single stray character
/// at the end (which cannot form an octet; one carrier sends a base64 part
/// one character longer than its text) dropped. `None` if any other
/// character is not base64.
pub fn decode_base64_lenient(input: &[u8]) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let mut clean: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    while clean.last() == Some(&b'=') {
        clean.pop();
    }
    if clean.len() % 4 == 1 {
        clean.pop();
    }
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(true),
    );
    engine.decode(&clean).ok()
}

/// Undoes quoted-printable (RFC 2045 §6.7): `=XX` escapes and soft line breaks.
pub fn decode_quoted_printable(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'=' {
            match (input.get(i + 1), input.get(i + 2)) {
                (Some(b'\r'), Some(b'\n')) => {
                    i += 3;
                    continue;
                }
                (Some(b'\n'), _) => {
                    i += 2;
                    continue;
                }
                (Some(&h), Some(&l)) => {
                    if let (Some(h), Some(l)) = (hex(h), hex(l)) {
                        out.push(h << 4 | l);
                        i += 3;
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

/// Decodes a multipart body (the octets after the message headers).
///
/// Tolerances for what real servers send: a part whose data length runs past
/// the end of the input by a little is cut at the end when it is the last
/// part (an off-by-one Content-Length); broken headers inside a part's
/// header block are dropped from the first one that does not parse (the
/// block's length bounds them); an entry count larger than the parts
/// present ends at the end of the input.
pub fn decode_multipart(buf: &[u8]) -> Result<Vec<Part<'_>>> {
    decode_multipart_at(buf, 0)
}

/// [`decode_multipart`] for a body that starts `base` octets into a larger
/// buffer (so error offsets point into that buffer).
pub fn decode_multipart_at(buf: &[u8], base: usize) -> Result<Vec<Part<'_>>> {
    let mut r = Reader::with_base(buf, base);
    let count = r.uintvar("multipart entry count")? as usize;
    // Each entry takes at least 3 octets: never reserve more than input allows.
    let mut parts = Vec::with_capacity(count.min(r.remaining() / 3 + 1));
    for i in 0..count {
        if r.is_empty() {
            break;
        }
        let headers_len = r.uintvar("part HeadersLen")? as usize;
        let data_len_at = r.offset();
        let data_len = r.uintvar("part DataLen")? as usize;
        let mut h = r.sub(headers_len, "part headers")?;
        let content_type = match ContentType::decode(&mut h, "part Content-Type") {
            Ok(ct) => ct,
            Err(e) if i == 0 && h.offset() == e.offset => return Err(e),
            Err(_) => ContentType::new("application/octet-stream"),
        };
        let mut headers = Vec::new();
        let mut page = 1u8;
        while !h.is_empty() {
            match decode_header(&mut h, &mut page, "part header") {
                Ok(Some(x)) => headers.push(x),
                Ok(None) => {}
                Err(_) => break,
            }
        }
        let last = i + 1 == count;
        let data_len = if data_len > r.remaining() && last && data_len - r.remaining() <= 16 {
            r.remaining()
        } else {
            data_len
        };
        if data_len > r.remaining() {
            return Err(crate::DecodeError::new(
                data_len_at,
                "part DataLen",
                ErrorKind::LengthExceedsInput {
                    len: data_len,
                    remaining: r.remaining(),
                },
            ));
        }
        let body = r.take(data_len, "part data")?;
        parts.push(Part {
            content_type,
            headers,
            body: Cow::Borrowed(body),
        });
    }
    Ok(parts)
}

/// Appends the encoding of `parts` as a multipart body.
pub fn encode_multipart(out: &mut Vec<u8>, parts: &[Part<'_>]) {
    put_uintvar(out, parts.len() as u32);
    let mut hdr = Vec::new();
    for p in parts {
        hdr.clear();
        p.content_type.encode(&mut hdr);
        encode_headers(&mut hdr, &p.headers);
        put_uintvar(out, hdr.len() as u32);
        put_uintvar(out, p.body.len() as u32);
        out.extend_from_slice(&hdr);
        out.extend_from_slice(&p.body);
    }
}

/// Convenience: a Content-ID header.
pub fn content_id(id: impl Into<Cow<'static, str>>) -> Header<'static> {
    Header::well_known(field::CONTENT_ID, HeaderValue::Text(id.into()))
}

/// Convenience: a Content-Location header.
pub fn content_location(loc: impl Into<Cow<'static, str>>) -> Header<'static> {
    Header::well_known(field::CONTENT_LOCATION, HeaderValue::Text(loc.into()))
}

impl HeaderName<'_> {
    /// True for the Content-Type field.
    pub fn is_content_type(&self) -> bool {
        matches!(self, HeaderName::WellKnown(field::CONTENT_TYPE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content_type::Parameter;
    use proptest::prelude::*;

    #[test]
    fn two_parts_borrow_bodies() {
        let parts = vec![
            Part {
                content_type: ContentType::new("application/smil"),
                headers: vec![content_id("<0.smil>"), content_location("0.smil")],
                body: Cow::Borrowed(b"<smil/>"),
            },
            Part::new(
                ContentType::new("text/plain").with(Parameter::new(
                    "charset",
                    crate::ParamValue::Charset(crate::Charset::UTF_8),
                )),
                &b"hi"[..],
            ),
        ];
        let mut out = Vec::new();
        encode_multipart(&mut out, &parts);
        let back = decode_multipart(&out).unwrap();
        assert_eq!(back, parts);
        assert!(matches!(back[1].body, Cow::Borrowed(_)));
        let body_ptr = back[1].body.as_ptr();
        assert!(out.as_ptr_range().contains(&body_ptr));
        assert_eq!(back[0].content_id(), Some("<0.smil>"));
    }

    #[test]
    fn last_part_off_by_one_is_cut() {
        // 1 entry, headers 1 octet (text/plain), data claims 4, 3 present.
        let b = [0x01, 0x01, 0x04, 0x83, b'a', b'b', b'c'];
        let p = decode_multipart(&b).unwrap();
        assert_eq!(&*p[0].body, b"abc");
        // Far too long is an error naming the field and offset.
        let b = [0x01, 0x01, 0x40, 0x83, b'a'];
        let e = decode_multipart(&b).unwrap_err();
        assert_eq!((e.offset, e.field), (2, "part DataLen"));
    }

    #[test]
    fn transfer_encodings() {
        let mut p = Part::new(ContentType::new("text/plain"), &b"SGVsbG8=\r\n"[..]);
        p.headers
            .push(Header::text("Content-Transfer-Encoding", "base64"));
        assert_eq!(&*p.decoded_body(), b"Hello");
        // Unpadded, and one stray character at the end.
        assert_eq!(decode_base64_lenient(b"SGVsbG8").unwrap(), b"Hello");
        assert_eq!(decode_base64_lenient(b"SGVsbG8hT").unwrap(), b"Hello!");
        assert_eq!(decode_base64_lenient(b"SGV*bG8h"), None);
        let mut p = Part::new(ContentType::new("text/plain"), &b"caf=C3=A9 =\r\nok"[..]);
        p.headers.push(Header::text(
            "Content-Transfer-Encoding",
            "quoted-printable",
        ));
        assert_eq!(&*p.decoded_body(), "café ok".as_bytes());
    }

    proptest! {
        #[test]
        fn round_trip(bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..6),
                      names in proptest::collection::vec("[a-z]{1,8}\\.[a-z]{3}", 6)) {
            let parts: Vec<Part<'_>> = bodies.iter().zip(&names).map(|(b, n)| Part {
                content_type: ContentType::new("image/jpeg").with(Parameter::text("name", n.clone())),
                headers: vec![content_id(format!("<{n}>")), content_location(n.clone())],
                body: Cow::Borrowed(b.as_slice()),
            }).collect();
            let mut out = Vec::new();
            encode_multipart(&mut out, &parts);
            prop_assert_eq!(decode_multipart(&out).unwrap(), parts);
        }

        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_multipart(&data);
        }
    }
}

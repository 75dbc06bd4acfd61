//! The MIME layer of a PAP request: `Content-Type` values with parameters
//! (RFC 2045 §5.1), and `multipart/*` bodies (RFC 2046 §5.1) whose parts
//! borrow their bodies from the input.
//!
//! Reading is loose where push initiators are: a preamble (Kannel's `test_ppg`
//! writes a CRLF before the first boundary) and an epilogue are skipped, line
//! ends may be CRLF or bare LF, whitespace may follow a delimiter, the closing
//! delimiter need not end with a line break (`test_ppg` stops right after
//! `--boundary--`), header names are matched without regard to case and
//! folded header lines are unfolded. Writing is strict: CRLF everywhere, a
//! CRLF after the closing delimiter, `Name: value` headers.

use std::borrow::Cow;

use base64::Engine as _;

use crate::error::{DecodeError, ErrorKind, Result};

/// A parsed `Content-Type` value: `type/subtype` and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType<'a> {
    /// `type/subtype` as written (compare with [`MediaType::is`]).
    pub essence: &'a str,
    /// The parameters in order, names as written, values unquoted.
    pub params: Vec<(&'a str, Cow<'a, str>)>,
}

fn ct_err(offset: usize, what: &'static str) -> DecodeError {
    DecodeError::new(offset, "Content-Type", ErrorKind::ContentType(what))
}

impl<'a> MediaType<'a> {
    /// Parses a `Content-Type` header value. Parameters without `=` are
    /// skipped; a quoted value may hold `\`-escapes; an unterminated quote is
    /// an error.
    pub fn parse(value: &'a str) -> Result<Self> {
        let b = value.as_bytes();
        let semi = b.iter().position(|&c| c == b';').unwrap_or(b.len());
        let essence = value[..semi].trim();
        let lead = value.len() - value.trim_start().len();
        match essence.split_once('/') {
            Some((t, s)) if !t.trim().is_empty() && !s.trim().is_empty() => {}
            _ => return Err(ct_err(lead, "a media type is type/subtype")),
        }
        let mut params = Vec::new();
        let mut i = semi;
        while i < b.len() {
            // At a ';' or at the end of the previous value.
            while i < b.len() && (b[i] == b';' || b[i].is_ascii_whitespace()) {
                i += 1;
            }
            if i >= b.len() {
                break;
            }
            let name_start = i;
            while i < b.len() && b[i] != b'=' && b[i] != b';' {
                i += 1;
            }
            let name = value[name_start..i].trim();
            if i >= b.len() || b[i] == b';' {
                continue; // a parameter without a value: skipped
            }
            i += 1; // '='
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            let val: Cow<'a, str> = if b.get(i) == Some(&b'"') {
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                loop {
                    match b.get(j) {
                        None => return Err(ct_err(i, "unterminated quoted string")),
                        Some(b'\\') => {
                            escaped = true;
                            j += 2;
                        }
                        Some(b'"') => break,
                        Some(_) => j += 1,
                    }
                }
                let raw = &value[start..j.min(b.len())];
                i = j + 1;
                if escaped {
                    let mut s = String::with_capacity(raw.len());
                    let mut chars = raw.chars();
                    while let Some(c) = chars.next() {
                        if c == '\\' {
                            if let Some(n) = chars.next() {
                                s.push(n);
                            }
                        } else {
                            s.push(c);
                        }
                    }
                    Cow::Owned(s)
                } else {
                    Cow::Borrowed(raw)
                }
            } else {
                let start = i;
                while i < b.len() && b[i] != b';' {
                    i += 1;
                }
                Cow::Borrowed(value[start..i].trim())
            };
            if !name.is_empty() {
                params.push((name, val));
            }
        }
        Ok(MediaType { essence, params })
    }

    /// Whether the essence is `essence` (ASCII case-insensitively).
    pub fn is(&self, essence: &str) -> bool {
        self.essence.eq_ignore_ascii_case(essence)
    }

    /// Whether the top-level type is `multipart`.
    pub fn is_multipart(&self) -> bool {
        self.essence
            .split_once('/')
            .is_some_and(|(t, _)| t.trim().eq_ignore_ascii_case("multipart"))
    }

    /// A parameter's value (name matched ASCII case-insensitively).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

/// One MIME header of a part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    /// The name as written.
    pub name: &'a str,
    /// The value, trimmed; unfolded (owned) when it spanned several lines.
    pub value: Cow<'a, str>,
}

/// A `Content-Transfer-Encoding` (RFC 2045 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferEncoding<'a> {
    /// `binary`, or no header at all.
    Binary,
    /// `8bit`.
    EightBit,
    /// `7bit`.
    SevenBit,
    /// `base64`.
    Base64,
    /// Anything else (e.g. `quoted-printable`), as written.
    Other(&'a str),
}

impl<'a> TransferEncoding<'a> {
    /// Parses a header value (ASCII case-insensitively).
    pub fn parse(v: &'a str) -> Self {
        let t = v.trim();
        if t.eq_ignore_ascii_case("binary") {
            TransferEncoding::Binary
        } else if t.eq_ignore_ascii_case("8bit") {
            TransferEncoding::EightBit
        } else if t.eq_ignore_ascii_case("7bit") {
            TransferEncoding::SevenBit
        } else if t.eq_ignore_ascii_case("base64") {
            TransferEncoding::Base64
        } else {
            TransferEncoding::Other(t)
        }
    }
}

/// One body part: its headers and its body, borrowed from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    /// The headers in order.
    pub headers: Vec<Header<'a>>,
    /// The body as transferred (still base64 if it was sent so).
    pub body: &'a [u8],
    /// Offset of the body in the multipart input.
    pub offset: usize,
}

impl<'a> Part<'a> {
    /// The first header of this name (ASCII case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_ref())
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.header("Content-Type")
    }

    /// The `X-Wap-Application-Id` header (the WAP Push application, e.g.
    /// `x-wap-application:mms.ua`).
    pub fn application_id(&self) -> Option<&str> {
        self.header("X-Wap-Application-Id")
    }

    /// The `Content-Length` header, if present and numeric.
    pub fn content_length(&self) -> Option<usize> {
        self.header("Content-Length")?.trim().parse().ok()
    }

    /// The `Content-Transfer-Encoding` ([`TransferEncoding::Binary`] when absent).
    pub fn transfer_encoding(&self) -> TransferEncoding<'_> {
        self.header("Content-Transfer-Encoding")
            .map_or(TransferEncoding::Binary, TransferEncoding::parse)
    }

    /// The body with its transfer encoding undone: borrowed for
    /// binary/8bit/7bit, decoded (owned) for base64 (whitespace and line
    /// breaks ignored, padding optional). Other encodings are an error
    /// ([`ErrorKind::UnsupportedEncoding`], answered with `3006`).
    pub fn decoded_body(&self) -> Result<Cow<'a, [u8]>> {
        match self.transfer_encoding() {
            TransferEncoding::Binary | TransferEncoding::EightBit | TransferEncoding::SevenBit => {
                Ok(Cow::Borrowed(self.body))
            }
            TransferEncoding::Base64 => decode_base64(self.body).map(Cow::Owned).map_err(|_| {
                DecodeError::new(self.offset, "Content-Transfer-Encoding", ErrorKind::Base64)
            }),
            TransferEncoding::Other(enc) => Err(DecodeError::new(
                self.offset,
                "Content-Transfer-Encoding",
                ErrorKind::UnsupportedEncoding(enc.to_owned()),
            )),
        }
    }
}

const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

fn decode_base64(body: &[u8]) -> std::result::Result<Vec<u8>, base64::DecodeError> {
    let compact: Vec<u8> = body
        .iter()
        .copied()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    BASE64.decode(compact)
}

/// Base64 with CRLF every 76 characters (RFC 2045 §6.8).
pub(crate) fn encode_base64(body: &[u8]) -> Vec<u8> {
    let text = base64::engine::general_purpose::STANDARD.encode(body);
    let mut out = Vec::with_capacity(text.len() + text.len() / 76 * 2);
    for (i, line) in text.as_bytes().chunks(76).enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(line);
    }
    out
}

/// The position of the next delimiter line (`--boundary` at the start of a
/// line, followed by `--`, whitespace, a line end or the end of input) at or
/// after `from`.
pub(crate) fn find_delimiter(input: &[u8], from: usize, delim: &[u8]) -> Option<usize> {
    let mut i = from;
    while i + delim.len() <= input.len() {
        let at_line_start = i == 0 || input[i - 1] == b'\n';
        if at_line_start && input[i..].starts_with(delim) {
            match input.get(i + delim.len()) {
                None | Some(b'-' | b'\r' | b'\n' | b' ' | b'\t') => return Some(i),
                _ => {}
            }
        }
        // Jump to the next line start.
        match memchr::memchr(b'\n', &input[i..]) {
            Some(n) => i += n + 1,
            None => return None,
        }
    }
    None
}

/// Reads a header block starting at `p`; returns the headers and the offset
/// just past the empty line that ends it.
fn parse_headers(input: &[u8], mut p: usize) -> Result<(Vec<Header<'_>>, usize)> {
    let mut headers: Vec<Header<'_>> = Vec::new();
    loop {
        let Some(n) = memchr::memchr(b'\n', &input[p..]) else {
            return Err(DecodeError::new(p, "part headers", ErrorKind::Truncated));
        };
        let next = p + n + 1;
        let mut line = &input[p..p + n];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        if line.is_empty() {
            return Ok((headers, next));
        }
        let text = std::str::from_utf8(line)
            .map_err(|_| DecodeError::new(p, "part headers", ErrorKind::NotUtf8))?;
        if text.starts_with([' ', '\t']) {
            let Some(last) = headers.last_mut() else {
                return Err(DecodeError::new(
                    p,
                    "part headers",
                    ErrorKind::MalformedHeader,
                ));
            };
            // Unfolded values stay trimmed like the others: a continuation
            // line of only white space adds nothing (written back, a value
            // with a trailing space would read without it).
            let t = text.trim();
            if !t.is_empty() {
                let v = last.value.to_mut();
                if !v.is_empty() {
                    v.push(' ');
                }
                v.push_str(t);
            }
        } else {
            let Some((name, value)) = text.split_once(':') else {
                return Err(DecodeError::new(
                    p,
                    "part headers",
                    ErrorKind::MalformedHeader,
                ));
            };
            let name = name.trim();
            if name.is_empty() {
                return Err(DecodeError::new(
                    p,
                    "part headers",
                    ErrorKind::MalformedHeader,
                ));
            }
            headers.push(Header {
                name,
                value: Cow::Borrowed(value.trim()),
            });
        }
        p = next;
    }
}

/// Splits a multipart body into its parts (RFC 2046 §5.1.1). The preamble
/// and epilogue are dropped; a missing closing delimiter is an error
/// ([`ErrorKind::Truncated`]).
pub fn parse_multipart<'a>(boundary: &str, input: &'a [u8]) -> Result<Vec<Part<'a>>> {
    if boundary.is_empty() {
        return Err(ct_err(0, "empty boundary"));
    }
    let delim = [b"--".as_slice(), boundary.as_bytes()].concat();
    let Some(mut pos) = find_delimiter(input, 0, &delim) else {
        return Err(DecodeError::new(0, "multipart", ErrorKind::NoDelimiter));
    };
    let mut parts = Vec::new();
    loop {
        let mut p = pos + delim.len();
        if input[p..].starts_with(b"--") {
            return Ok(parts);
        }
        while p < input.len() && (input[p] == b' ' || input[p] == b'\t') {
            p += 1;
        }
        if input[p..].starts_with(b"\r\n") {
            p += 2;
        } else if input[p..].starts_with(b"\n") {
            p += 1;
        } else {
            return Err(DecodeError::new(p, "multipart", ErrorKind::Truncated));
        }
        let (headers, body_start) = parse_headers(input, p)?;
        let Some(next) = find_delimiter(input, body_start, &delim) else {
            return Err(DecodeError::new(
                body_start,
                "multipart",
                ErrorKind::Truncated,
            ));
        };
        // The line break before the delimiter belongs to the delimiter.
        let mut end = next.saturating_sub(1).max(body_start);
        if end > body_start && input[end - 1] == b'\r' {
            end -= 1;
        }
        parts.push(Part {
            headers,
            body: &input[body_start..end],
            offset: body_start,
        });
        pos = next;
    }
}

fn is_bchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&c)
}

/// Checks a boundary for writing: 1–70 characters of RFC 2046's `bchars`,
/// not ending in a space.
pub(crate) fn check_boundary(boundary: &str) -> Result<()> {
    let b = boundary.as_bytes();
    if b.is_empty() || b.len() > 70 || !b.iter().copied().all(is_bchar) || b.ends_with(b" ") {
        return Err(DecodeError::new(
            0,
            "boundary",
            ErrorKind::Unencodable("a boundary is 1-70 RFC 2046 bchars, not ending in a space"),
        ));
    }
    Ok(())
}

/// Whether `body` contains a line that parsing would take for a delimiter.
pub(crate) fn conflicts(body: &[u8], boundary: &str) -> bool {
    let delim = [b"--".as_slice(), boundary.as_bytes()].concat();
    find_delimiter(body, 0, &delim).is_some()
}

/// Whether a parameter value can be written without quotes (an RFC 2045 token).
pub(crate) fn is_token(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|c| c.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&c))
}

/// Writes one part: delimiter line, headers, empty line, body, CRLF.
pub(crate) fn write_part(
    out: &mut Vec<u8>,
    boundary: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<()> {
    out.extend_from_slice(b"--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        if name.is_empty() || name.bytes().any(|c| c == b':' || c.is_ascii_control()) {
            return Err(DecodeError::new(
                0,
                "header",
                ErrorKind::Unencodable("a header name is printable text without ':'"),
            ));
        }
        if value.bytes().any(|c| c == b'\r' || c == b'\n') {
            return Err(DecodeError::new(
                0,
                "header",
                ErrorKind::Unencodable("a header value has no line break"),
            ));
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Writes the closing delimiter.
pub(crate) fn write_close(out: &mut Vec<u8>, boundary: &str) {
    out.extend_from_slice(b"--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"--\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        let m = MediaType::parse(
            "multipart/related; boundary=asdlfkjiurwghasf; type=\"application/xml\"",
        )
        .unwrap();
        assert!(m.is("Multipart/Related"));
        assert!(m.is_multipart());
        assert_eq!(m.param("BOUNDARY"), Some("asdlfkjiurwghasf"));
        assert_eq!(m.param("type"), Some("application/xml"));

        let m =
            MediaType::parse("multipart/related;boundary=\"a \\\"b\\\" c\";type=application/xml;x")
                .unwrap();
        assert_eq!(m.param("boundary"), Some("a \"b\" c"));
        assert_eq!(m.param("type"), Some("application/xml"));

        assert!(MediaType::parse("text").is_err());
        assert!(MediaType::parse("/plain").is_err());
        assert!(MediaType::parse("multipart/related; boundary=\"abc").is_err());
        assert!(MediaType::parse("multipart/related; boundary=\"abc\\").is_err());
    }

    #[test]
    fn loose_multipart() {
        // LF only, preamble, padding after delimiters, folded header, no
        // line break after the closing delimiter.
        let input = b"preamble\n--b  \nContent-Type: text/plain\nX-Long: one\n two\n\nhello\n--b\r\n\r\n\r\n--b--";
        let parts = parse_multipart("b", input).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].content_type(), Some("text/plain"));
        assert_eq!(parts[0].header("x-long"), Some("one two"));
        assert_eq!(parts[0].body, b"hello");
        assert!(parts[1].headers.is_empty());
        assert_eq!(parts[1].body, b"");
    }

    #[test]
    fn empty_body_right_after_headers() {
        let input = b"--b\r\nA: 1\r\n\r\n--b--\r\n";
        let parts = parse_multipart("b", input).unwrap();
        assert_eq!(parts[0].body, b"");
        // A delimiter-like line that continues is body text.
        let input = b"--b\r\n\r\n--bx\r\n--b--";
        assert_eq!(parse_multipart("b", input).unwrap()[0].body, b"--bx");
    }

    #[test]
    fn multipart_errors() {
        assert_eq!(
            parse_multipart("b", b"no delimiter").unwrap_err().kind,
            ErrorKind::NoDelimiter
        );
        assert_eq!(
            parse_multipart("b", b"--b\r\nA: 1\r\n\r\nbody")
                .unwrap_err()
                .kind,
            ErrorKind::Truncated
        );
        assert_eq!(
            parse_multipart("b", b"--b\r\nA: 1").unwrap_err().kind,
            ErrorKind::Truncated
        );
        assert_eq!(
            parse_multipart("b", b"--b\r\nbad\r\n\r\n--b--")
                .unwrap_err()
                .kind,
            ErrorKind::MalformedHeader
        );
        assert_eq!(
            parse_multipart("b", b"--b\r\n more\r\n\r\n--b--")
                .unwrap_err()
                .kind,
            ErrorKind::MalformedHeader
        );
        assert_eq!(
            parse_multipart("b", b"--b\r\nA: \xff\r\n\r\n--b--")
                .unwrap_err()
                .kind,
            ErrorKind::NotUtf8
        );
        assert_eq!(
            parse_multipart("b", b"--b").unwrap_err().kind,
            ErrorKind::Truncated
        );
    }

    #[test]
    fn transfer_encodings() {
        let input = b"--b\r\nContent-Transfer-Encoding: BASE64\r\n\r\naGVs\r\nbG8\r\n--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\n!!\r\n--b--";
        let parts = parse_multipart("b", input).unwrap();
        assert_eq!(parts[0].decoded_body().unwrap().as_ref(), b"hello");
        assert_eq!(
            parts[1].decoded_body().unwrap_err().kind,
            ErrorKind::UnsupportedEncoding("quoted-printable".into())
        );
        assert_eq!(parts[2].decoded_body().unwrap_err().kind, ErrorKind::Base64);
        let long = vec![0xA5u8; 200];
        let enc = encode_base64(&long);
        assert!(enc.split(|&c| c == b'\n').all(|l| l.len() <= 77));
        assert_eq!(decode_base64(&enc).unwrap(), long);
    }
}

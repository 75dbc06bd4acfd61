//! `Content-type-value` (WAP-230 §8.4.2.24) in its constrained and general
//! forms, with well-known and untyped parameters (§8.4.2.4).

use std::borrow::Cow;
use std::fmt;

use crate::charset::{Charset, decode_unlabelled};
use crate::encode::{
    put_integer_value, put_long_integer, put_quoted_string, put_short_integer, put_text_string,
    put_token_text, put_uintvar, put_with_value_length,
};
use crate::error::{ErrorKind, Result};
use crate::reader::Reader;
use crate::tables::{self, ParamKind};
use crate::text::EncodedString;

/// A media type: its name (well-known numbers decode to their registered
/// name) or, for a number this crate has no name for, the number itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaType<'a> {
    /// A media type by name, e.g. `image/jpeg`.
    Name(Cow<'a, str>),
    /// A well-known number with no name in the table (kept for round trips).
    Code(u32),
}

impl<'a> MediaType<'a> {
    /// The name, or `application/x-wsp-0xNN` for an unnamed number.
    pub fn as_str(&self) -> Cow<'_, str> {
        match self {
            MediaType::Name(n) => Cow::Borrowed(n),
            MediaType::Code(c) => Cow::Owned(format!("application/x-wsp-0x{c:02x}")),
        }
    }

    /// True if the media type is `name` (ASCII case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        matches!(self, MediaType::Name(n) if n.eq_ignore_ascii_case(name))
    }

    fn from_code(code: u32) -> Self {
        match tables::content_type_name(code) {
            Some(n) => MediaType::Name(Cow::Borrowed(n)),
            None => MediaType::Code(code),
        }
    }

    /// The number to write: only for the table's own spelling, since a
    /// number decodes to that spelling (`Image/JPEG` sent as text stays text).
    fn code(&self) -> Option<u32> {
        match self {
            MediaType::Name(n) => tables::content_type_code(n)
                .filter(|&c| tables::content_type_name(c) == Some(n.as_ref())),
            MediaType::Code(c) => Some(*c),
        }
    }

    /// Decodes `Well-known-media | Extension-media` (or a Constrained-encoding).
    fn decode(r: &mut Reader<'a>, field: &'static str) -> Result<Self> {
        match r.peek() {
            Some(0x80..=0xFF) => Ok(Self::from_code(r.short_integer(field)?.into())),
            Some(0..=30) => {
                let at = r.offset();
                let n = r.long_integer(field)?;
                let code = u32::try_from(n).map_err(|_| {
                    crate::DecodeError::new(
                        at,
                        field,
                        ErrorKind::Invalid("media type number too large"),
                    )
                })?;
                Ok(Self::from_code(code))
            }
            _ => {
                let at = r.offset();
                // Empty once decoded (a UTF-8 byte order mark alone reads as
                // nothing) is no media type either.
                let t = decode_unlabelled(r.text_string(field)?);
                if t.is_empty() {
                    return Err(crate::DecodeError::new(
                        at,
                        field,
                        ErrorKind::Invalid("empty media type"),
                    ));
                }
                Ok(MediaType::Name(t))
            }
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self.code() {
            Some(c) if c < 0x80 => put_short_integer(out, c as u8),
            Some(c) => put_long_integer(out, u64::from(c)),
            // Text-string: quoted when it starts with an octet that would
            // read as another form.
            None => put_text_string(out, self.as_str().as_bytes()),
        }
    }

    /// Appends a `Constrained-encoding` (Extension-media | Short-integer,
    /// §8.4.2.7): a named type whose number needs a Long-integer is written
    /// as text. A bare number that large has no constrained form; it came
    /// from a Long-integer (which decoders accept there), so it is written
    /// back as one rather than changed into another value.
    fn encode_constrained(&self, out: &mut Vec<u8>) {
        match (self, self.code()) {
            (_, Some(c)) if c < 0x80 => put_short_integer(out, c as u8),
            (MediaType::Name(n), _) => put_text_string(out, n.as_bytes()),
            (MediaType::Code(c), _) => put_long_integer(out, u64::from(*c)),
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> MediaType<'static> {
        match self {
            MediaType::Name(n) => MediaType::Name(Cow::Owned(n.into_owned())),
            MediaType::Code(c) => MediaType::Code(c),
        }
    }
}

impl fmt::Display for MediaType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// A parameter value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ParamValue<'a> {
    /// Text (Text-string, Token-text or Quoted-string, unquoted).
    Text(Cow<'a, str>),
    /// An Integer-value.
    Integer(u64),
    /// A charset.
    Charset(Charset),
    /// A Date-value (seconds since the epoch).
    Date(u64),
    /// A media type (the multipart `type` parameter).
    Media(MediaType<'a>),
    /// A Q-value as encoded (1..=100 for q=0.00..0.99, 101..=1099 for three digits).
    QValue(u32),
    /// No value (e.g. `secure`).
    NoValue,
}

impl ParamValue<'_> {
    /// The value as text, as it would appear in a MIME header.
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            ParamValue::Text(t) => Cow::Borrowed(t),
            ParamValue::Integer(n) | ParamValue::Date(n) => Cow::Owned(n.to_string()),
            ParamValue::Charset(c) => Cow::Owned(c.to_string()),
            ParamValue::Media(m) => m.as_str(),
            ParamValue::QValue(q) => Cow::Owned(qvalue_text(*q)),
            ParamValue::NoValue => Cow::Borrowed(""),
        }
    }

    fn into_owned(self) -> ParamValue<'static> {
        match self {
            ParamValue::Text(t) => ParamValue::Text(Cow::Owned(t.into_owned())),
            ParamValue::Integer(n) => ParamValue::Integer(n),
            ParamValue::Charset(c) => ParamValue::Charset(c),
            ParamValue::Date(n) => ParamValue::Date(n),
            ParamValue::Media(m) => ParamValue::Media(m.into_owned()),
            ParamValue::QValue(q) => ParamValue::QValue(q),
            ParamValue::NoValue => ParamValue::NoValue,
        }
    }
}

fn qvalue_text(q: u32) -> String {
    match q {
        1..=100 => format!("0.{:02}", q - 1),
        101..=1099 => format!("0.{:03}", q - 100),
        _ => q.to_string(),
    }
}

/// A content-type parameter. Well-known parameters carry their lower-case
/// name (`charset`, `type`, `start`, `name`, `filename`, ...); untyped ones
/// keep the name as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Parameter<'a> {
    /// The parameter name.
    pub name: Cow<'a, str>,
    /// Its value.
    pub value: ParamValue<'a>,
}

impl<'a> Parameter<'a> {
    /// A parameter from a name and a value.
    pub fn new(name: impl Into<Cow<'a, str>>, value: ParamValue<'a>) -> Self {
        Self {
            name: name.into(),
            value,
        }
    }

    /// A text parameter.
    pub fn text(name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) -> Self {
        Self::new(name, ParamValue::Text(value.into()))
    }

    /// Decodes one `Parameter = Typed-parameter | Untyped-parameter`.
    pub fn decode(r: &mut Reader<'a>, field: &'static str) -> Result<Self> {
        let first = r
            .peek()
            .ok_or_else(|| r.error(field, ErrorKind::Truncated { needed: 1 }))?;
        if (0x20..0x80).contains(&first) {
            // Untyped-parameter = Token-text Untyped-value
            let name = decode_unlabelled(r.text_string(field)?);
            let value = match r.peek() {
                Some(0x80..=0xFF) | Some(1..=30) => ParamValue::Integer(r.integer_value(field)?),
                // Untyped-value = Integer-value | Text-value, and Text-value
                // = No-value | Token-text | Quoted-string (§8.4.2.4, §8.4.2.1):
                // a lone NUL is No-value (an empty text is `"` NUL).
                Some(0) => {
                    r.u8(field)?;
                    ParamValue::NoValue
                }
                _ => ParamValue::Text(decode_unlabelled(r.text_value(field)?)),
            };
            return Ok(Self { name, value });
        }
        let at = r.offset();
        let code = r.integer_value(field)?;
        let Some((name, kind)) = u8::try_from(code).ok().and_then(tables::parameter) else {
            // Unknown typed parameter: Typed-value = Compact-value | Text-value.
            let value = match r.peek() {
                Some(0x80..=0xFF) | Some(1..=8) => ParamValue::Integer(r.integer_value(field)?),
                Some(0..=31) => {
                    r.skip_value(field)?;
                    ParamValue::NoValue
                }
                _ => ParamValue::Text(decode_unlabelled(r.text_value(field)?)),
            };
            let _ = at;
            return Ok(Self {
                name: Cow::Owned(format!("x-wsp-param-0x{code:02x}")),
                value,
            });
        };
        let value = decode_typed(r, kind, field)?;
        Ok(Self {
            name: Cow::Borrowed(name),
            value,
        })
    }

    /// Appends the canonical encoding: typed where the name is well known
    /// (spelled as the table spells it: a typed parameter decodes to that
    /// spelling, so `Size` sent as text stays text) and the value fits its
    /// grammar, untyped otherwise.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let known = tables::parameter_code(&self.name)
            .filter(|&(code, _)| tables::parameter(code).is_some_and(|(n, _)| n == self.name));
        if let Some((code, kind)) = known {
            let fits = matches!(
                (kind, &self.value),
                (ParamKind::Charset, ParamValue::Charset(_))
                    | (ParamKind::Text, ParamValue::Text(_))
                    | (ParamKind::Integer, ParamValue::Integer(_))
                    | (ParamKind::ShortInteger, ParamValue::Integer(0..=127))
                    | (ParamKind::Date, ParamValue::Date(_))
                    | (ParamKind::QValue, ParamValue::QValue(_))
                    | (ParamKind::NoValue, ParamValue::NoValue)
                    | (ParamKind::Version, ParamValue::Integer(0..=127))
                    | (ParamKind::Version, ParamValue::Text(_))
                    | (ParamKind::ConstrainedMedia, ParamValue::Media(_))
                    | (ParamKind::FieldName, ParamValue::Text(_))
            );
            if fits {
                put_short_integer(out, code);
                match &self.value {
                    ParamValue::Text(t) => put_text(out, t),
                    ParamValue::Integer(n)
                        if kind == ParamKind::ShortInteger || kind == ParamKind::Version =>
                    {
                        put_short_integer(out, *n as u8)
                    }
                    ParamValue::Integer(n) => put_integer_value(out, *n),
                    ParamValue::Charset(c) => put_integer_value(out, u64::from(c.0)),
                    ParamValue::Date(n) => put_long_integer(out, *n),
                    ParamValue::Media(m) => m.encode_constrained(out),
                    ParamValue::QValue(q) => put_uintvar(out, *q),
                    ParamValue::NoValue => out.push(0),
                }
                return;
            }
        }
        // Untyped-parameter = Token-text Untyped-value. A name that is empty
        // or starts outside 0x20..0x7F would read as a typed parameter's
        // number: it gets a Quote (0x7F) first, which decoders skip.
        let name = self.name.as_bytes();
        if name.first().is_none_or(|&b| !(0x20..0x7F).contains(&b)) {
            out.push(0x7F);
        }
        put_token_text(out, name);
        match &self.value {
            ParamValue::Integer(n) | ParamValue::Date(n) => put_integer_value(out, *n),
            ParamValue::NoValue => out.push(0),
            other => put_untyped_text(out, &other.to_text()),
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Parameter<'static> {
        Parameter {
            name: Cow::Owned(self.name.into_owned()),
            value: self.value.into_owned(),
        }
    }
}

fn decode_typed<'a>(
    r: &mut Reader<'a>,
    kind: ParamKind,
    field: &'static str,
) -> Result<ParamValue<'a>> {
    let next = r
        .peek()
        .ok_or_else(|| r.error(field, ErrorKind::Truncated { needed: 1 }))?;
    let text_form = (0x20..0x80).contains(&next);
    Ok(match kind {
        ParamKind::Charset if text_form => {
            let t = decode_unlabelled(r.text_value(field)?);
            match Charset::from_name(&t) {
                Some(c) => ParamValue::Charset(c),
                None => ParamValue::Text(t),
            }
        }
        ParamKind::Charset if next == 0x80 => {
            r.u8(field)?;
            ParamValue::Charset(Charset::ANY)
        }
        ParamKind::Charset => {
            let n = r.integer_value(field)?;
            ParamValue::Charset(Charset(u16::try_from(n).unwrap_or(u16::MAX)))
        }
        ParamKind::Text | ParamKind::FieldName => match next {
            0x80..=0xFF if kind == ParamKind::FieldName => {
                let c = r.short_integer(field)?;
                ParamValue::Text(Cow::Borrowed(tables::header_field_name(c).unwrap_or("")))
            }
            // Labelled text, converted; a leading U+FEFF is a byte order mark
            // (an unlabelled text written back would lose it: see
            // `decode_unlabelled`).
            1..=31 => ParamValue::Text(Cow::Owned(
                EncodedString::decode(r, field)?
                    .text()
                    .trim_start_matches('\u{feff}')
                    .to_owned(),
            )),
            _ => ParamValue::Text(decode_unlabelled(r.text_value(field)?)),
        },
        // A lone NUL is an empty Text-string (Version-value = Short-integer |
        // Text-string), never a Long-integer: those have 1..=30 octets.
        ParamKind::Integer | ParamKind::Version | ParamKind::ShortInteger
            if text_form || next == 0 =>
        {
            ParamValue::Text(decode_unlabelled(r.text_value(field)?))
        }
        ParamKind::Integer | ParamKind::Version | ParamKind::ShortInteger => {
            ParamValue::Integer(r.integer_value(field)?)
        }
        ParamKind::Date => ParamValue::Date(r.integer_value(field)?),
        ParamKind::QValue => ParamValue::QValue(r.uintvar(field)?),
        ParamKind::ConstrainedMedia => ParamValue::Media(MediaType::decode(r, field)?),
        ParamKind::NoValue => {
            if next == 0 {
                r.u8(field)?;
            } else {
                r.skip_value(field)?;
            }
            ParamValue::NoValue
        }
    })
}

fn is_token(t: &str) -> bool {
    !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

fn put_text(out: &mut Vec<u8>, t: &str) {
    // A leading quote or control octet would be read as another form.
    if t.starts_with('"') || t.bytes().next().is_some_and(|b| b < 0x20) {
        put_quoted_string(out, t.as_bytes());
    } else {
        put_text_string(out, t.as_bytes());
    }
}

fn put_untyped_text(out: &mut Vec<u8>, t: &str) {
    // An empty text is an empty Quoted-string: a lone NUL is No-value.
    if is_token(t) {
        put_token_text(out, t.as_bytes());
    } else {
        put_quoted_string(out, t.as_bytes());
    }
}

/// A content type with its parameters in the order they were sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentType<'a> {
    /// The media type.
    pub media: MediaType<'a>,
    /// The parameters, in order.
    pub params: Vec<Parameter<'a>>,
}

impl<'a> ContentType<'a> {
    /// A content type by name, without parameters.
    pub fn new(media: impl Into<Cow<'a, str>>) -> Self {
        Self {
            media: MediaType::Name(media.into()),
            params: Vec::new(),
        }
    }

    /// Adds a parameter (builder style).
    #[must_use]
    pub fn with(mut self, p: Parameter<'a>) -> Self {
        self.params.push(p);
        self
    }

    /// The first parameter with this name (ASCII case-insensitive).
    pub fn param(&self, name: &str) -> Option<&ParamValue<'a>> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| &p.value)
    }

    /// A text parameter's value.
    pub fn param_text(&self, name: &str) -> Option<Cow<'_, str>> {
        self.param(name).map(ParamValue::to_text)
    }

    /// The `charset` parameter.
    pub fn charset(&self) -> Option<Charset> {
        match self.param("charset")? {
            ParamValue::Charset(c) => Some(*c),
            ParamValue::Text(t) => Charset::from_name(t),
            _ => None,
        }
    }

    /// `name`, else `filename`: what a part is called.
    pub fn name(&self) -> Option<Cow<'_, str>> {
        self.param_text("name")
            .or_else(|| self.param_text("filename"))
    }

    /// True if this is one of the WSP or MIME multipart types.
    pub fn is_multipart(&self) -> bool {
        let n = self.media.as_str();
        let n = n.to_ascii_lowercase();
        n.starts_with("application/vnd.wap.multipart.") || n.starts_with("multipart/")
    }

    /// Decodes `Content-type-value = Constrained-media | Content-general-form`.
    pub fn decode(r: &mut Reader<'a>, field: &'static str) -> Result<Self> {
        match r.peek() {
            None => Err(r.error(field, ErrorKind::Truncated { needed: 1 })),
            Some(0..=31) => {
                let mut v = r.value_length_sub(field)?;
                if v.is_empty() {
                    return Err(v.error(field, ErrorKind::Invalid("empty content type")));
                }
                let media = MediaType::decode(&mut v, field)?;
                let mut params = Vec::new();
                while !v.is_empty() {
                    // Real handsets send broken parameters now and then; the
                    // value length bounds them, so keep what parsed and stop.
                    match Parameter::decode(&mut v, field) {
                        Ok(p) => params.push(p),
                        Err(_) => break,
                    }
                }
                Ok(Self { media, params })
            }
            Some(_) => Ok(Self {
                media: MediaType::decode(r, field)?,
                params: Vec::new(),
            }),
        }
    }

    /// Appends the canonical encoding: a single octet for a well-known type
    /// without parameters, the general form otherwise.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let constrained = self.params.is_empty() && self.media.code().is_none_or(|c| c < 0x80);
        if constrained {
            self.media.encode(out);
        } else {
            put_with_value_length(out, |o| {
                self.media.encode(o);
                for p in &self.params {
                    p.encode(o);
                }
            });
        }
    }

    /// The encoded form as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v);
        v
    }

    /// An owned copy.
    pub fn into_owned(self) -> ContentType<'static> {
        ContentType {
            media: self.media.into_owned(),
            params: self.params.into_iter().map(Parameter::into_owned).collect(),
        }
    }
}

impl fmt::Display for ContentType<'_> {
    /// MIME form, e.g. `application/vnd.wap.multipart.related; type=application/smil; start="<0.smil>"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.media)?;
        for p in &self.params {
            let v = p.value.to_text();
            if matches!(p.value, ParamValue::NoValue) {
                write!(f, "; {}", p.name)?;
            } else if is_token(&v) && !v.contains('/') {
                write!(f, "; {}={}", p.name, v)?;
            } else {
                write!(
                    f,
                    "; {}=\"{}\"",
                    p.name,
                    v.replace('\\', "\\\\").replace('"', "\\\"")
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(b: &[u8]) -> ContentType<'_> {
        let mut r = Reader::new(b);
        let ct = ContentType::decode(&mut r, "Content-Type").unwrap();
        assert!(r.is_empty(), "left: {:02X?}", r.rest());
        ct
    }

    #[test]
    fn constrained() {
        assert!(dec(&[0xBE]).media.is("application/vnd.wap.mms-message"));
        assert!(dec(b"application/smil\0").media.is("application/smil"));
        assert_eq!(ContentType::new("image/jpeg").to_bytes(), [0x9E]);
        assert_eq!(
            ContentType::new("application/smil").to_bytes(),
            b"application/smil\0"
        );
    }

    #[test]
    fn multipart_related_with_start_and_type() {
        // Value-length, 0xB3 multipart.related, 0x8A start "<0.smil>", 0x89 type "application/smil"
        let mut b = vec![];
        let body: &[u8] = b"\xB3\x8A<0.smil>\0\x89application/smil\0";
        b.push(body.len() as u8);
        b.extend_from_slice(body);
        let ct = dec(&b);
        assert!(ct.media.is("application/vnd.wap.multipart.related"));
        assert_eq!(ct.param_text("start").unwrap(), "<0.smil>");
        assert_eq!(
            ct.param("type"),
            Some(&ParamValue::Media(MediaType::Name(
                "application/smil".into()
            )))
        );
        assert_eq!(ct.to_bytes(), b);
        assert_eq!(
            ct.to_string(),
            "application/vnd.wap.multipart.related; start=\"<0.smil>\"; type=\"application/smil\""
        );
    }

    #[test]
    fn charset_and_name() {
        // text/plain; charset=utf-8; name="a.txt"
        let b = [
            0x0A, 0x83, 0x81, 0xEA, 0x85, b'a', b'.', b't', b'x', b't', 0x00,
        ];
        let ct = dec(&b);
        assert_eq!(ct.charset(), Some(Charset::UTF_8));
        assert_eq!(ct.name().unwrap(), "a.txt");
        assert_eq!(ct.to_bytes(), b);
        // Untyped lower-case "name" as gallery2test.mms sends it.
        let b = b"\x13\x9Ename\0gnu-head.jpg\0";
        let ct = dec(b);
        assert_eq!(ct.name().unwrap(), "gnu-head.jpg");
        // Long-integer media in the general form, and a 1.4 Name (0x97).
        let b = [0x06, 0x02, 0x03, 0x05, 0x97, b'x', 0x00];
        let ct = dec(&b);
        assert!(ct.media.is("text/calendar"));
        assert_eq!(ct.name().unwrap(), "x");
    }

    #[test]
    fn broken_parameters_are_bounded() {
        // A parameter that claims more than the value length holds.
        let b = [0x04, 0x9E, 0x85, b'a', b'b'];
        let ct = dec(&b);
        assert!(ct.media.is("image/jpeg"));
        assert!(ct.params.is_empty());
    }

    #[test]
    fn errors_name_offset_and_field() {
        let e = ContentType::decode(&mut Reader::new(&[0x05, 0x9E]), "Content-Type").unwrap_err();
        assert_eq!(e.offset, 0);
        assert_eq!(e.field, "Content-Type");
    }

    fn media() -> impl Strategy<Value = MediaType<'static>> {
        prop_oneof![
            (0usize..tables::CONTENT_TYPES.len())
                .prop_map(|i| MediaType::Name(Cow::Borrowed(tables::CONTENT_TYPES[i]))),
            "[a-z]{1,8}/[a-z0-9.+-]{1,12}".prop_map(|s| MediaType::Name(Cow::Owned(s))),
            (0x1000u32..0x2000).prop_map(MediaType::Code),
        ]
    }

    fn param() -> impl Strategy<Value = Parameter<'static>> {
        prop_oneof![
            (1u16..3000).prop_map(|c| Parameter::new("charset", ParamValue::Charset(Charset(c)))),
            "[^\u{0}\"\u{feff}]{0,20}".prop_map(|s| Parameter::text("name", s)),
            "[^\u{0}\u{feff}]{0,20}".prop_map(|s| Parameter::text("filename", s)),
            "<[a-z0-9.]{1,10}>".prop_map(|s| Parameter::text("start", s)),
            "[a-z]{1,8}/[a-z]{1,8}".prop_map(|s| Parameter::new(
                "type",
                ParamValue::Media(MediaType::Name(Cow::Owned(s)))
            )),
            ("x-[a-z]{1,8}", "[^\u{0}\u{feff}]{1,20}").prop_map(|(n, v)| Parameter::text(n, v)),
            ("x-[a-z]{1,8}", any::<u64>())
                .prop_map(|(n, v)| Parameter::new(n, ParamValue::Integer(v))),
            any::<u64>().prop_map(|n| Parameter::new("size", ParamValue::Integer(n))),
            any::<u32>().prop_map(|n| Parameter::new("creation-date", ParamValue::Date(n.into()))),
        ]
    }

    proptest! {
        #[test]
        fn round_trip(media in media(), params in proptest::collection::vec(param(), 0..5)) {
            let ct = ContentType { media, params };
            let bytes = ct.to_bytes();
            let mut r = Reader::new(&bytes);
            let back = ContentType::decode(&mut r, "t").unwrap();
            prop_assert!(r.is_empty());
            prop_assert_eq!(back, ct);
        }

        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = ContentType::decode(&mut Reader::new(&data), "t");
        }
    }
}

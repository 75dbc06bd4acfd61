//! The XML layer under the typed documents: a small element tree read with
//! `quick-xml` (attributes only: PAP elements carry no text), and a writer
//! that emits canonical, escaped XML.
//!
//! Reading is loose: the XML declaration, DOCTYPE, comments, processing
//! instructions and text are skipped, attribute and element names are matched
//! without namespace prefixes, whitespace around `=` is accepted (Kannel
//! writes `code ="1001"`), duplicate attributes keep the first value, and
//! anything after the root element is ignored. Nesting is limited to
//! [`MAX_DEPTH`] levels (a PAP document needs four).

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::error::{DecodeError, ErrorKind, Result};
use crate::status::StatusCode;
use crate::time::Timestamp;

/// The deepest nesting the reader accepts.
pub(crate) const MAX_DEPTH: usize = 16;

/// One element: its local name, attributes (unescaped) and child elements,
/// borrowed from the document where they need no unescaping (the typed
/// messages copy out only what they keep).
#[derive(Debug, Clone)]
pub(crate) struct Element<'a> {
    pub(crate) name: Cow<'a, str>,
    pub(crate) offset: usize,
    pub(crate) attrs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub(crate) children: Vec<Element<'a>>,
}

/// What the prolog said, and the root element.
#[derive(Debug)]
pub(crate) struct Tree<'a> {
    /// The DOCTYPE's text (between `<!DOCTYPE` and `>`), if there was one.
    pub(crate) doctype: Option<Cow<'a, str>>,
    pub(crate) root: Element<'a>,
}

/// `part` as a slice of `text` when it lies inside it (what the reader
/// hands out for a document read from a `&str`), else a copy.
fn within<'a>(text: &'a str, part: &[u8]) -> Cow<'a, str> {
    let start = (part.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    match start.checked_add(part.len()).and_then(|end| text.get(start..end)) {
        Some(s) if s.as_bytes().as_ptr() == part.as_ptr() => Cow::Borrowed(s),
        _ => Cow::Owned(String::from_utf8_lossy(part).into_owned()),
    }
}

fn xml_err(offset: u64, e: impl std::fmt::Display) -> DecodeError {
    DecodeError::new(
        usize::try_from(offset).unwrap_or(usize::MAX),
        "xml",
        ErrorKind::Xml(e.to_string()),
    )
}

fn start_element<'a>(
    text: &'a str,
    e: &quick_xml::events::BytesStart<'_>,
    offset: usize,
) -> Result<Element<'a>> {
    let name = within(text, e.local_name().as_ref());
    let mut attrs: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::new();
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| xml_err(offset as u64, err))?;
        let key = within(text, a.key.local_name().as_ref());
        let value = match a
            .unescape_value()
            .map_err(|err| xml_err(offset as u64, err))?
        {
            Cow::Borrowed(v) => within(text, v.as_bytes()),
            Cow::Owned(v) => Cow::Owned(v),
        };
        // U+0000 is no XML character, raw or as a reference (which the
        // reader refuses, so it could not be written back either).
        if value.contains('\0') {
            return Err(xml_err(
                offset as u64,
                "NUL character in an attribute value",
            ));
        }
        // Duplicates are kept; lookups take the first (linear, not quadratic).
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        offset,
        attrs,
        children: Vec::new(),
    })
}

/// Reads the element tree of a document.
pub(crate) fn parse_tree(input: &[u8]) -> Result<Tree<'_>> {
    let text = std::str::from_utf8(input)
        .map_err(|e| DecodeError::new(e.valid_up_to(), "xml", ErrorKind::NotUtf8))?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut doctype = None;
    let mut stack: Vec<Element> = Vec::new();
    loop {
        let offset = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader
            .read_event()
            .map_err(|e| xml_err(reader.error_position(), e))?;
        match event {
            Event::DocType(d) if stack.is_empty() => {
                doctype = Some(within(text, d.as_ref()));
            }
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(DecodeError::new(
                        offset,
                        "xml",
                        ErrorKind::TooDeep { limit: MAX_DEPTH },
                    ));
                }
                stack.push(start_element(text, &e, offset)?);
            }
            Event::Empty(e) => {
                let el = start_element(text, &e, offset)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(Tree { doctype, root: el }),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(xml_err(offset as u64, "end tag without a start tag"));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(Tree { doctype, root: el }),
                }
            }
            Event::Eof => {
                return Err(match stack.first() {
                    Some(open) => DecodeError::new(open.offset, "xml", ErrorKind::Truncated),
                    None => DecodeError::new(offset, "xml", ErrorKind::NoRoot),
                });
            }
            _ => {}
        }
    }
}

impl<'a> Element<'a> {
    /// An attribute's value (names compare without regard to ASCII case).
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| &**v)
    }

    pub(crate) fn opt_string(&self, name: &str) -> Option<String> {
        self.attr(name).map(str::to_owned)
    }

    pub(crate) fn req_string(&self, name: &'static str) -> Result<String> {
        self.attr(name)
            .map(str::to_owned)
            .ok_or_else(|| DecodeError::new(self.offset, name, ErrorKind::MissingAttribute))
    }

    pub(crate) fn invalid(&self, name: &'static str, what: &'static str) -> DecodeError {
        DecodeError::new(self.offset, name, ErrorKind::InvalidValue(what))
    }

    pub(crate) fn opt_time(&self, name: &'static str) -> Result<Option<Timestamp>> {
        self.attr(name)
            .map(|v| {
                Timestamp::parse(v)
                    .map_err(|_| self.invalid(name, "a date-time YYYY-MM-DDThh:mm:ssZ"))
            })
            .transpose()
    }

    pub(crate) fn opt_bool(&self, name: &'static str) -> Result<Option<bool>> {
        self.attr(name)
            .map(|v| match v.trim() {
                t if t.eq_ignore_ascii_case("true") => Ok(true),
                t if t.eq_ignore_ascii_case("false") => Ok(false),
                _ => Err(self.invalid(name, "true or false")),
            })
            .transpose()
    }

    /// A required `code` attribute.
    pub(crate) fn code(&self) -> Result<StatusCode> {
        let v = self
            .attr("code")
            .ok_or_else(|| DecodeError::new(self.offset, "code", ErrorKind::MissingAttribute))?;
        v.trim()
            .parse::<u16>()
            .map(StatusCode)
            .map_err(|_| self.invalid("code", "a numeric status code"))
    }

    /// Child elements with this name.
    pub(crate) fn children_named<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = &'s Element<'a>> + 's {
        self.children
            .iter()
            .filter(move |c| c.name.eq_ignore_ascii_case(name))
    }

    pub(crate) fn child(&self, name: &str) -> Option<&Element<'a>> {
        self.children
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    pub(crate) fn req_child(&self, name: &'static str) -> Result<&Element<'a>> {
        self.child(name)
            .ok_or_else(|| DecodeError::new(self.offset, name, ErrorKind::MissingElement))
    }
}

/// Writes canonical XML: one element per line, attributes in the order given,
/// values escaped.
pub(crate) struct Writer {
    out: String,
}

impl Writer {
    pub(crate) fn new() -> Self {
        // A push-response with its prolog is about 300 octets.
        Writer { out: String::with_capacity(512) }
    }

    pub(crate) fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// Starts `<name`; follow with attributes and [`Writer::close`] or
    /// [`Writer::close_empty`].
    pub(crate) fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
    }

    pub(crate) fn attr(&mut self, name: &str, value: &str) {
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        escape_attr(&mut self.out, value);
        self.out.push('"');
    }

    pub(crate) fn attr_opt(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.attr(name, v);
        }
    }

    pub(crate) fn attr_time(&mut self, name: &str, value: Option<Timestamp>) {
        if let Some(t) = value {
            // Digits, '-', ':', 'T' and 'Z': nothing to escape.
            self.attr_display(name, t);
        }
    }

    /// An attribute whose text needs no escaping (numbers, timestamps),
    /// formatted in place.
    pub(crate) fn attr_display(&mut self, name: &str, value: impl std::fmt::Display) {
        use std::fmt::Write as _;
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        let _ = write!(self.out, "{value}");
        self.out.push('"');
    }

    pub(crate) fn attr_bool(&mut self, name: &str, value: Option<bool>) {
        if let Some(b) = value {
            self.attr(name, if b { "true" } else { "false" });
        }
    }

    pub(crate) fn close(&mut self) {
        self.out.push_str(">\n");
    }

    pub(crate) fn close_empty(&mut self) {
        self.out.push_str("/>\n");
    }

    pub(crate) fn end(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// Escapes an attribute value: the five XML specials, and tab, CR and LF as
/// character references so that attribute-value normalisation keeps them.
/// Characters XML 1.0 cannot carry at all (other C0 controls) are written as
/// character references too; strict XML readers will refuse those.
fn escape_attr(out: &mut String, v: &str) {
    if !v
        .bytes()
        .any(|b| b < 0x20 || matches!(b, b'<' | b'>' | b'&' | b'"' | b'\''))
    {
        out.push_str(v);
        return;
    }
    for c in v.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 => {
                out.push_str("&#");
                out.push_str(&(c as u32).to_string());
                out.push(';');
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kannel_spacing_and_entities() {
        let t = parse_tree(br#"<?xml version="1.0"?><pap><r code ="1001" desc = 'a &amp; b&#10;' code="2"/></pap>"#)
            .unwrap();
        assert_eq!(t.root.name, "pap");
        let r = &t.root.children[0];
        assert_eq!(r.attr("code"), Some("1001"));
        assert_eq!(r.attr("desc"), Some("a & b\n"));
        // Names and plain values borrow the document; an escaped value is
        // the one copy.
        assert!(matches!(t.root.name, Cow::Borrowed("pap")));
        assert!(matches!(r.attrs[0], (Cow::Borrowed("code"), Cow::Borrowed("1001"))));
        assert!(matches!(r.attrs[1].1, Cow::Owned(_)));
    }

    #[test]
    fn within_copies_what_is_not_inside() {
        let text = "push-id";
        assert!(matches!(within(text, &text.as_bytes()[1..4]), Cow::Borrowed("ush")));
        let other = b"push-id".to_vec();
        assert!(matches!(within(text, &other), Cow::Owned(ref s) if s == "push-id"));
    }

    #[test]
    fn escapes_round_trip() {
        let mut w = Writer::new();
        w.open("x");
        let v = "<a href=\"b\">&'\t\r\n\u{1}</a>";
        w.attr("v", v);
        w.close_empty();
        let s = w.finish();
        let t = parse_tree(s.as_bytes()).unwrap();
        assert_eq!(t.root.attr("v"), Some(v));
    }

    #[test]
    fn errors() {
        assert_eq!(parse_tree(b"").unwrap_err().kind, ErrorKind::NoRoot);
        assert_eq!(
            parse_tree(b"<pap><a>").unwrap_err().kind,
            ErrorKind::Truncated
        );
        assert_eq!(
            parse_tree(b"<pap>\xff</pap>").unwrap_err().kind,
            ErrorKind::NotUtf8
        );
        assert!(matches!(
            parse_tree(b"<pap></pop>").unwrap_err().kind,
            ErrorKind::Xml(_)
        ));
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert_eq!(
            parse_tree(deep.as_bytes()).unwrap_err().kind,
            ErrorKind::TooDeep { limit: MAX_DEPTH }
        );
    }
}

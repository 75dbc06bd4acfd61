//! MIME plumbing shared by MM4 and MM3: the header writer (on
//! `mail-builder`'s encoders), MMS parts to MIME parts, and a parsed MIME
//! tree (from `mail-parser`) back to MMS parts.

use std::borrow::Cow;

use ferry_wsp::multipart::{content_id, content_location};
use ferry_wsp::{Charset, ContentType, ParamValue, Parameter, Part};
use mail_builder::headers::Header as _;
use mail_builder::headers::content_type::ContentType as MimeContentType;
use mail_builder::headers::date::Date;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::text::Text;
use mail_builder::mime::{BodyPart, MimePart};
use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

/// Writes header lines: values are folded by `mail-builder`, and CR/LF in a
/// value become spaces (no header injection).
pub(crate) struct HeaderWriter {
    pub(crate) out: Vec<u8>,
}

fn clean(v: &str) -> Cow<'_, str> {
    if v.contains(['\r', '\n']) {
        Cow::Owned(v.replace(['\r', '\n'], " "))
    } else {
        Cow::Borrowed(v)
    }
}

impl HeaderWriter {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            out: Vec::with_capacity(capacity),
        }
    }

    /// `name: value` as it is (ASCII expected).
    pub(crate) fn raw(&mut self, name: &str, value: &str) {
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        let _ = Raw::new(clean(value)).write_header(&mut self.out, name.len() + 2);
    }

    /// `name: value` with RFC 2047 encoding when the value is not ASCII.
    pub(crate) fn text(&mut self, name: &str, value: &str) {
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        let _ = Text::new(clean(value)).write_header(&mut self.out, name.len() + 2);
    }

    /// `name: <RFC 5322 date>`.
    pub(crate) fn date(&mut self, name: &str, t: u64) {
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        let _ = Date::new(i64::try_from(t).unwrap_or(i64::MAX))
            .write_header(&mut self.out, name.len() + 2);
    }

    /// Ends the header block with a MIME body, or with an empty body.
    pub(crate) fn finish(mut self, body: Option<MimePart<'_>>) -> Vec<u8> {
        match body {
            Some(b) => {
                self.out.extend_from_slice(b"MIME-Version: 1.0\r\n");
                let _ = b.write_part(&mut self.out);
            }
            None => self.out.extend_from_slice(b"\r\n"),
        }
        self.out
    }
}

/// Binary MMS multipart types and their MIME names.
const MULTIPART: &[(&str, &str)] = &[
    ("application/vnd.wap.multipart.related", "multipart/related"),
    ("application/vnd.wap.multipart.mixed", "multipart/mixed"),
    (
        "application/vnd.wap.multipart.alternative",
        "multipart/alternative",
    ),
];

/// The MIME name of an MMS media type.
pub(crate) fn mime_media(media: &str) -> String {
    let lower = media.to_ascii_lowercase();
    MULTIPART
        .iter()
        .find(|(w, _)| *w == lower)
        .map_or(lower, |(_, m)| (*m).to_owned())
}

/// The MMS name of a MIME media type.
pub(crate) fn mms_media(media: &str) -> String {
    let lower = media.to_ascii_lowercase();
    MULTIPART
        .iter()
        .find(|(_, m)| *m == lower)
        .map_or(lower, |(w, _)| (*w).to_owned())
}

/// A MIME Content-Type from an MMS one (multipart names mapped, parameters
/// as text, `type` of a multipart mapped too).
pub(crate) fn to_mime_content_type(ct: &ContentType<'_>) -> MimeContentType<'static> {
    let mut m = MimeContentType::new(mime_media(&ct.media.as_str()));
    for p in &ct.params {
        if matches!(p.value, ParamValue::NoValue) {
            continue;
        }
        let mut v = p.value.to_text().into_owned();
        if p.name.eq_ignore_ascii_case("type") {
            v = mime_media(&v);
        }
        m = m.attribute(p.name.to_ascii_lowercase(), clean(&v).into_owned());
    }
    m
}

/// A MIME part from an MMS part: content type with its parameters,
/// Content-ID and Content-Location; the body with any transfer encoding of
/// the MMS part undone (mail-builder picks quoted-printable or base64).
pub(crate) fn part_to_mime(p: &Part<'_>) -> MimePart<'static> {
    let body = p.decoded_body().into_owned();
    let mut m = MimePart::new(
        to_mime_content_type(&p.content_type),
        BodyPart::Binary(Cow::Owned(body)),
    );
    if let Some(id) = p.content_id() {
        let id = id.trim().trim_start_matches('<').trim_end_matches('>');
        if !id.is_empty() {
            m = m.cid(clean(id).into_owned());
        }
    }
    if let Some(loc) = p.content_location() {
        m = m.location(clean(loc).into_owned());
    }
    m
}

/// What to do with `multipart/alternative` below the root.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alternatives {
    /// Keep every alternative.
    KeepAll,
    /// Keep the `text/plain` alternative when there is one (else the first).
    PreferPlain,
}

/// The MMS content type and parts of a parsed MIME message: the root
/// content type (multipart names mapped back, boundary dropped) and its
/// leaf parts in order (nested multiparts flattened). A non-multipart root
/// becomes one part of a `application/vnd.wap.multipart.mixed`. Text parts
/// are converted to UTF-8 and labelled so.
pub(crate) fn parts_from_message<'a>(
    msg: Message<'a>,
    alt: Alternatives,
) -> (ContentType<'static>, Vec<Part<'a>>) {
    let mut slots: Vec<Option<MessagePart<'a>>> = msg.parts.into_iter().map(Some).collect();
    let Some(root) = slots.first_mut().and_then(Option::take) else {
        return (
            ContentType::new("application/vnd.wap.multipart.mixed"),
            Vec::new(),
        );
    };
    let mut parts = Vec::new();
    match &root.body {
        PartType::Multipart(children) => {
            let ct = root.content_type().map_or_else(
                || ContentType::new("application/vnd.wap.multipart.mixed"),
                |c| mms_content_type(c, true),
            );
            let children = children.clone();
            // Bounded: each slot is taken at most once.
            for id in children {
                collect(&mut slots, id as usize, alt, &mut parts, 1);
            }
            (ct, parts)
        }
        _ => {
            if let Some(p) = leaf(root) {
                parts.push(p);
            }
            (
                ContentType::new("application/vnd.wap.multipart.mixed"),
                parts,
            )
        }
    }
}

fn collect<'a>(
    slots: &mut [Option<MessagePart<'a>>],
    id: usize,
    alt: Alternatives,
    out: &mut Vec<Part<'a>>,
    depth: usize,
) {
    let Some(part) = slots.get_mut(id).and_then(Option::take) else {
        return;
    };
    match &part.body {
        PartType::Multipart(children) => {
            if depth > 16 {
                return;
            }
            let children = children.clone();
            let is_alt = part.content_type().is_some_and(|c| {
                c.c_type.eq_ignore_ascii_case("multipart")
                    && c.c_subtype
                        .as_deref()
                        .is_some_and(|s| s.eq_ignore_ascii_case("alternative"))
            });
            if is_alt && alt == Alternatives::PreferPlain {
                let plain = children.iter().copied().find(|&c| {
                    slots
                        .get(c as usize)
                        .and_then(Option::as_ref)
                        .is_some_and(|p| {
                            p.content_type().is_none_or(|ct| {
                                ct.c_type.eq_ignore_ascii_case("text")
                                    && ct
                                        .c_subtype
                                        .as_deref()
                                        .is_none_or(|s| s.eq_ignore_ascii_case("plain"))
                            })
                        })
                });
                if let Some(c) = plain.or_else(|| children.first().copied()) {
                    collect(slots, c as usize, alt, out, depth + 1);
                }
                return;
            }
            for c in children {
                collect(slots, c as usize, alt, out, depth + 1);
            }
        }
        _ => {
            if let Some(p) = leaf(part) {
                out.push(p);
            }
        }
    }
}

/// An MMS content type from a MIME one.
fn mms_content_type(c: &mail_parser::ContentType<'_>, multipart: bool) -> ContentType<'static> {
    let media = match &c.c_subtype {
        Some(s) => format!("{}/{}", c.c_type, s),
        None => c.c_type.to_string(),
    };
    let mut ct = ContentType::new(if multipart {
        mms_media(&media)
    } else {
        media.to_ascii_lowercase()
    });
    for a in c.attributes.iter().flatten() {
        let name = a.name.to_ascii_lowercase();
        if name == "boundary" {
            continue;
        }
        let value = if multipart && name == "type" {
            mms_media(&a.value)
        } else {
            a.value.to_string()
        };
        ct = ct.with(Parameter::text(name, value));
    }
    ct
}

fn leaf<'a>(part: MessagePart<'a>) -> Option<Part<'a>> {
    let mut ct = part.content_type().map_or_else(
        || ContentType::new("text/plain"),
        |c| mms_content_type(c, false),
    );
    let cid = part.content_id().map(|s| {
        format!(
            "<{}>",
            s.trim().trim_start_matches('<').trim_end_matches('>')
        )
    });
    let loc = part.content_location().map(|s| s.trim().to_owned());
    let file = part.attachment_name().map(str::to_owned);
    if ct.name().is_none()
        && let Some(f) = &file
    {
        ct = ct.with(Parameter::text("name", f.clone()));
    }
    let body: Cow<'a, [u8]> = match part.body {
        PartType::Text(t) | PartType::Html(t) => {
            ct.params
                .retain(|p| !p.name.eq_ignore_ascii_case("charset"));
            ct.params.insert(
                0,
                Parameter::new("charset", ParamValue::Charset(Charset::UTF_8)),
            );
            match t {
                Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
                Cow::Owned(s) => Cow::Owned(s.into_bytes()),
            }
        }
        PartType::Binary(b) | PartType::InlineBinary(b) => b,
        PartType::Message(m) => m.raw_message,
        PartType::Multipart(_) => return None,
    };
    let mut p = Part::new(ct, body);
    if let Some(id) = cid {
        p.headers.push(content_id(id));
    }
    if let Some(l) = loc {
        p.headers.push(content_location(l));
    }
    Some(p)
}

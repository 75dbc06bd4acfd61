//! Composing an M-Send.req (OMA-TS-MMS_ENC-V1_3 §6.1.1) with a SMIL
//! presentation (OMA-TS-MMS_CONF-V1_3 §8, the MMS SMIL profile).
//!
//! The body is `application/vnd.wap.multipart.related; type=application/smil;
//! start=<smil>`: the SMIL part first, then the text, then the attachments,
//! each with a `Content-ID` (`<name>`), a `Content-Location` (`name`) and a
//! `name` parameter. The SMIL refers to parts by `cid:name`.
//!
//! Slides: the layout has an `Image` region above a `Text` region (just a
//! `Text` region when nothing is visual). Attachments fill slides in order:
//! an image or video starts a new slide when the current one already shows
//! one, an audio clip when it already plays one; the text goes on the first
//! slide. Other attachments (vCards, unknown files) travel as parts outside
//! the presentation, as phones send them.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;

use ferry_mms::{Address, ContentType, Header, Pdu, TimeValue, YesNo};
use ferry_wsp::content_type::{MediaType, ParamValue, Parameter};
use ferry_wsp::headers::{Header as PartHeader, HeaderValue};
use ferry_wsp::tables::field;
use ferry_wsp::{Charset, EncodedString, Part};

use crate::sniff;

/// A file to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// File name (the part's name and Content-Location).
    pub name: String,
    /// Media type; `None`: sniffed from the content (see [`sniff::media_type`]).
    pub content_type: Option<String>,
    /// The octets.
    pub data: Vec<u8>,
}

impl Attachment {
    /// An attachment whose type is sniffed from its content.
    pub fn new(name: impl Into<String>, data: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            content_type: None,
            data,
        }
    }

    /// Reads a file; the part is named after the file.
    pub fn from_file(path: &Path) -> std::io::Result<Self> {
        let data = std::fs::read(path)?;
        let name = path.file_name().map_or_else(
            || "attachment".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        Ok(Self::new(name, data))
    }

    /// The media type: as given, else from the content and name.
    pub fn media_type(&self) -> Cow<'_, str> {
        match &self.content_type {
            Some(t) => Cow::Borrowed(t),
            None => Cow::Borrowed(sniff::media_type(&self.data, &self.name)),
        }
    }
}

/// A message to send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    /// Recipients (`+15550002`, `friend@example.com`, or full `.../TYPE=PLMN`).
    pub to: Vec<String>,
    /// Cc recipients.
    pub cc: Vec<String>,
    /// Bcc recipients.
    pub bcc: Vec<String>,
    /// Subject.
    pub subject: Option<String>,
    /// Text of the message (a `text/plain; charset=utf-8` part).
    pub text: Option<String>,
    /// Attachments, in slide order.
    pub attachments: Vec<Attachment>,
    /// Ask for delivery reports (X-Mms-Delivery-Report).
    pub delivery_report: bool,
    /// Ask for read reports (X-Mms-Read-Report).
    pub read_report: bool,
    /// Relative expiry in seconds, if any.
    pub expiry: Option<u64>,
}

/// Why a draft cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ComposeError {
    /// No To, Cc or Bcc.
    #[error("no recipient: give at least one --to")]
    NoRecipient,
    /// A recipient that is neither a phone number nor an e-mail address.
    #[error("recipient {0:?} is neither a phone number (+15550002) nor an e-mail address")]
    BadRecipient(String),
    /// Nothing to send.
    #[error("empty message: give a subject, a text or an attachment")]
    Empty,
}

/// The MMS address for a recipient as typed: a phone number (digits, an
/// optional leading `+`, spaces, dots and dashes dropped) gets
/// `/TYPE=PLMN`; an e-mail address is kept; a full `.../TYPE=...` address
/// is kept as written.
pub fn recipient_address(s: &str) -> Result<Address<'static>, ComposeError> {
    let t = s.trim();
    if t.contains("/TYPE=") {
        return Ok(Address::new(t.to_owned()));
    }
    if let Some((local, domain)) = t.split_once('@') {
        if !local.is_empty()
            && domain.contains('.')
            && !domain.contains('@')
            && !t.contains(char::is_whitespace)
        {
            return Ok(Address::email(t));
        }
        return Err(ComposeError::BadRecipient(s.to_owned()));
    }
    let digits: String = t
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let body = digits.strip_prefix('+').unwrap_or(&digits);
    if body.is_empty() || body.len() > 20 || !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ComposeError::BadRecipient(s.to_owned()));
    }
    Ok(Address::plmn(&digits))
}

/// What a part is in the presentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Image,
    Video,
    Audio,
    Text,
    Other,
}

fn kind_of(media: &str) -> Kind {
    let m = media.to_ascii_lowercase();
    if m.starts_with("image/") {
        Kind::Image
    } else if m.starts_with("video/") {
        Kind::Video
    } else if m.starts_with("audio/") {
        Kind::Audio
    } else if m == "text/plain" {
        Kind::Text
    } else {
        Kind::Other
    }
}

/// One slide: at most one visual, one audio clip and one text.
#[derive(Debug, Default, Clone)]
struct Slide {
    visual: Option<(Kind, String)>,
    audio: Option<String>,
    text: Option<String>,
    dur_ms: u64,
}

/// Makes `name` safe as a Content-ID / Content-Location / file name: ASCII
/// letters, digits, `.`, `-`, `_`; never empty, never starting with a dot.
pub fn safe_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    while s.starts_with('.') {
        s.remove(0);
    }
    if s.is_empty() {
        s.push_str("part");
    }
    s.truncate(64);
    s
}

/// A name not yet in `used` (`a.jpg`, `a-2.jpg`, ...).
fn unique(name: String, used: &mut HashSet<String>) -> String {
    if used.insert(name.to_ascii_lowercase()) {
        return name;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
        _ => (name.clone(), String::new()),
    };
    (2..)
        .map(|i| format!("{stem}-{i}{ext}"))
        .find(|n| used.insert(n.to_ascii_lowercase()))
        .expect("an unused name exists")
}

/// Duration of an AMR-NB (RFC 4867 §5 storage format) clip: 20 ms per frame.
fn amr_duration_ms(data: &[u8]) -> Option<u64> {
    const SIZES: [usize; 16] = [12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0];
    let mut rest = data.strip_prefix(b"#!AMR\n")?;
    let mut frames = 0u64;
    while let Some(&h) = rest.first() {
        let n = SIZES[usize::from((h >> 3) & 0x0F)];
        if rest.len() < 1 + n {
            break;
        }
        rest = &rest[1 + n..];
        frames += 1;
    }
    Some(frames * 20)
}

fn part_headers(part: &mut Part<'_>, id: &str) {
    part.headers.push(PartHeader::well_known(
        field::CONTENT_ID,
        HeaderValue::Text(format!("<{id}>").into()),
    ));
    part.headers.push(PartHeader::well_known(
        field::CONTENT_LOCATION,
        HeaderValue::Text(id.to_owned().into()),
    ));
}

/// The SMIL document for these slides.
fn smil_text(slides: &[Slide], has_visual: bool) -> String {
    let mut s = String::with_capacity(512);
    s.push_str("<smil>\n<head>\n<layout>\n<root-layout width=\"320\" height=\"480\"/>\n");
    if has_visual {
        s.push_str("<region id=\"Image\" left=\"0\" top=\"0\" width=\"320\" height=\"320\" fit=\"meet\"/>\n");
        s.push_str("<region id=\"Text\" left=\"0\" top=\"320\" width=\"320\" height=\"160\" fit=\"scroll\"/>\n");
    } else {
        s.push_str("<region id=\"Text\" left=\"0\" top=\"0\" width=\"320\" height=\"480\" fit=\"scroll\"/>\n");
    }
    s.push_str("</layout>\n</head>\n<body>\n");
    for slide in slides {
        s.push_str(&format!("<par dur=\"{}ms\">\n", slide.dur_ms));
        if let Some((kind, id)) = &slide.visual {
            let tag = if *kind == Kind::Video { "video" } else { "img" };
            s.push_str(&format!("<{tag} src=\"cid:{id}\" region=\"Image\"/>\n"));
        }
        if let Some(id) = &slide.text {
            s.push_str(&format!("<text src=\"cid:{id}\" region=\"Text\"/>\n"));
        }
        if let Some(id) = &slide.audio {
            s.push_str(&format!("<audio src=\"cid:{id}\"/>\n"));
        }
        s.push_str("</par>\n");
    }
    s.push_str("</body>\n</smil>\n");
    s
}

/// Builds the M-Send.req for `draft` (From: insert-address-token; the MMSC
/// fills in the sender).
pub fn compose(draft: &Draft, transaction_id: &str) -> Result<Pdu<'static>, ComposeError> {
    if draft.to.is_empty() && draft.cc.is_empty() && draft.bcc.is_empty() {
        return Err(ComposeError::NoRecipient);
    }
    let to = draft
        .to
        .iter()
        .map(|s| recipient_address(s))
        .collect::<Result<Vec<_>, _>>()?;
    let cc = draft
        .cc
        .iter()
        .map(|s| recipient_address(s))
        .collect::<Result<Vec<_>, _>>()?;
    let bcc = draft
        .bcc
        .iter()
        .map(|s| recipient_address(s))
        .collect::<Result<Vec<_>, _>>()?;
    let text = draft.text.as_deref().filter(|t| !t.is_empty());
    if draft.subject.as_deref().is_none_or(str::is_empty)
        && text.is_none()
        && draft.attachments.is_empty()
    {
        return Err(ComposeError::Empty);
    }

    let mut used = HashSet::from(["smil.smil".to_owned()]);
    let mut slides: Vec<Slide> = Vec::new();
    let mut media_parts = Vec::with_capacity(draft.attachments.len());
    for a in &draft.attachments {
        let media = a.media_type().into_owned();
        let kind = kind_of(&media);
        let mut name = safe_name(&a.name);
        if !name.contains('.') {
            name = format!("{name}.{}", sniff::extension_for(&media));
        }
        let id = unique(name, &mut used);
        let mut ct = ContentType::new(media.clone()).with(Parameter::text("name", id.clone()));
        if kind == Kind::Text {
            ct = ContentType::new(media)
                .with(Parameter::new(
                    "charset",
                    ParamValue::Charset(Charset::UTF_8),
                ))
                .with(Parameter::text("name", id.clone()));
        }
        let mut part = Part::new(ct, a.data.clone());
        part_headers(&mut part, &id);
        media_parts.push(part);
        let dur = match kind {
            Kind::Image => 5000,
            Kind::Audio => amr_duration_ms(&a.data)
                .filter(|&d| d > 0)
                .unwrap_or(10_000)
                .max(1000),
            Kind::Video => 10_000,
            Kind::Text | Kind::Other => 0,
        };
        let need_new = |s: &Slide| match kind {
            Kind::Image | Kind::Video => s.visual.is_some(),
            Kind::Audio => s.audio.is_some(),
            Kind::Text => s.text.is_some(),
            Kind::Other => false,
        };
        if kind == Kind::Other {
            continue;
        }
        if slides.last().is_none_or(need_new) {
            slides.push(Slide::default());
        }
        let slide = slides.last_mut().expect("a slide");
        match kind {
            Kind::Image | Kind::Video => slide.visual = Some((kind, id)),
            Kind::Audio => slide.audio = Some(id),
            Kind::Text => slide.text = Some(id),
            Kind::Other => {}
        }
        slide.dur_ms = slide.dur_ms.max(dur);
    }
    let mut parts = Vec::with_capacity(media_parts.len() + 2);
    if let Some(t) = text {
        let id = unique("text.txt".to_owned(), &mut used);
        let ct = ContentType::new("text/plain")
            .with(Parameter::new(
                "charset",
                ParamValue::Charset(Charset::UTF_8),
            ))
            .with(Parameter::text("name", id.clone()));
        let mut part = Part::new(ct, t.as_bytes().to_vec());
        part_headers(&mut part, &id);
        parts.push(part);
        if slides.is_empty() || slides[0].text.is_some() {
            slides.insert(0, Slide::default());
        }
        slides[0].text = Some(id);
        // Reading time: 5 s, longer for long texts.
        let read_ms = (t.chars().count() as u64 * 60).clamp(5000, 30_000);
        slides[0].dur_ms = slides[0].dur_ms.max(read_ms);
    }
    for s in &mut slides {
        if s.dur_ms == 0 {
            s.dur_ms = 5000;
        }
    }
    let has_visual = slides.iter().any(|s| s.visual.is_some());
    parts.extend(media_parts);
    let smil = smil_text(&slides, has_visual);
    let mut smil_part = Part::new(
        ContentType::new("application/smil")
            .with(Parameter::new(
                "charset",
                ParamValue::Charset(Charset::UTF_8),
            ))
            .with(Parameter::text("name", "smil.smil")),
        smil.into_bytes(),
    );
    smil_part.headers.push(PartHeader::well_known(
        field::CONTENT_ID,
        HeaderValue::Text("<smil>".into()),
    ));
    smil_part.headers.push(PartHeader::well_known(
        field::CONTENT_LOCATION,
        HeaderValue::Text("smil.smil".into()),
    ));
    parts.insert(0, smil_part);

    let ct = ContentType::new("application/vnd.wap.multipart.related")
        .with(Parameter::text("start", "<smil>"))
        .with(Parameter::new(
            "type",
            ParamValue::Media(MediaType::Name("application/smil".into())),
        ));
    let mut pdu = Pdu::send_req(transaction_id.to_owned(), None, to, ct, parts);
    // Keep Content-Type last: insert the other headers before it.
    let at = pdu.headers.len() - 1;
    let mut extra: Vec<Header<'static>> = Vec::new();
    extra.extend(cc.into_iter().map(Header::Cc));
    extra.extend(bcc.into_iter().map(Header::Bcc));
    if let Some(s) = draft.subject.as_deref().filter(|s| !s.is_empty()) {
        extra.push(Header::Subject(EncodedString::new(s.to_owned())));
    }
    extra.push(Header::MessageClass(ferry_mms::MessageClass::PERSONAL));
    if let Some(e) = draft.expiry {
        extra.push(Header::Expiry(TimeValue::Relative(e)));
    }
    extra.push(Header::DeliveryReport(YesNo::from(draft.delivery_report)));
    extra.push(Header::ReadReport(YesNo::from(draft.read_report)));
    pdu.headers.splice(at..at, extra);
    Ok(pdu)
}

/// Every `src="..."` of a SMIL document, in order.
pub fn smil_sources(smil: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = smil;
    while let Some(i) = rest.find("src=\"") {
        rest = &rest[i + 5..];
        let Some(end) = rest.find('"') else { break };
        out.push(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

/// The part a SMIL `src` refers to: `cid:X` matches Content-ID `<X>` (or
/// `X`), anything else matches Content-Location or the part's name.
pub fn resolve<'p, 'a>(parts: &'p [Part<'a>], src: &str) -> Option<&'p Part<'a>> {
    if let Some(cid) = src.strip_prefix("cid:") {
        return parts.iter().find(|p| {
            p.content_id()
                .is_some_and(|id| id.trim().trim_start_matches('<').trim_end_matches('>') == cid)
        });
    }
    parts
        .iter()
        .find(|p| p.content_location() == Some(src) || p.file_name().as_deref() == Some(src))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_mms::MessageType;

    fn jpeg() -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
        v.extend_from_slice(&[7; 100]);
        v
    }

    fn amr(frames: usize) -> Vec<u8> {
        let mut v = b"#!AMR\n".to_vec();
        for _ in 0..frames {
            v.push(0x3C); // mode 7 (12.2 kbit/s): 31 octets
            v.extend_from_slice(&[0; 31]);
        }
        v
    }

    #[test]
    fn addresses() {
        assert_eq!(
            recipient_address("+15550002").unwrap().text(),
            "+15550002/TYPE=PLMN"
        );
        assert_eq!(
            recipient_address("+1 555-0002").unwrap().text(),
            "+15550002/TYPE=PLMN"
        );
        assert_eq!(
            recipient_address("friend@example.com").unwrap().text(),
            "friend@example.com"
        );
        assert_eq!(
            recipient_address("1.2.3.4/TYPE=IPv4").unwrap().text(),
            "1.2.3.4/TYPE=IPv4"
        );
        assert!(recipient_address("bob").is_err());
        assert!(recipient_address("a@b").is_err());
        assert!(recipient_address("+").is_err());
    }

    #[test]
    fn names() {
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name(""), "part");
        assert_eq!(safe_name("фото 1.jpg"), "_____1.jpg");
        let mut used = HashSet::new();
        assert_eq!(unique("a.jpg".into(), &mut used), "a.jpg");
        assert_eq!(unique("A.jpg".into(), &mut used), "A-2.jpg");
        assert_eq!(unique("a.jpg".into(), &mut used), "a-3.jpg");
    }

    #[test]
    fn round_trip_smil_references_resolve() {
        let draft = Draft {
            to: vec!["+15550002".into(), "friend@example.com".into()],
            cc: vec!["+15550003".into()],
            subject: Some("S".into()),
            text: Some("T".into()),
            attachments: vec![
                Attachment::new("photo.jpg", jpeg()),
                Attachment::new("clip.amr", amr(250)),
                Attachment::new("second", jpeg()),
                Attachment::new("card.vcf", b"BEGIN:VCARD\r\nEND:VCARD\r\n".to_vec()),
            ],
            delivery_report: true,
            read_report: true,
            expiry: Some(3600),
            ..Draft::default()
        };
        let pdu = compose(&draft, "T1").unwrap();
        let bytes = pdu.to_bytes();
        let back = Pdu::decode(&bytes).unwrap();
        assert_eq!(back.message_type(), Some(MessageType::SEND_REQ));
        assert_eq!(back.transaction_id(), Some("T1"));
        assert_eq!(
            back.to().map(|a| a.text().into_owned()).collect::<Vec<_>>(),
            ["+15550002/TYPE=PLMN", "friend@example.com"]
        );
        assert_eq!(back.cc().count(), 1);
        assert_eq!(back.subject().unwrap().text(), "S");
        assert_eq!(back.delivery_report(), Some(YesNo::YES));
        assert_eq!(back.read_report(), Some(YesNo::YES));
        assert_eq!(back.expiry(), Some(TimeValue::Relative(3600)));
        assert!(back.validate().is_ok(), "{:?}", back.validate());
        let ct = back.content_type().unwrap();
        assert!(ct.media.is("application/vnd.wap.multipart.related"));
        assert_eq!(ct.param_text("type").as_deref(), Some("application/smil"));
        assert_eq!(ct.param_text("start").as_deref(), Some("<smil>"));
        let parts = back.parts();
        assert_eq!(parts.len(), 6);
        assert_eq!(parts[0].content_id(), Some("<smil>"));
        let smil = std::str::from_utf8(&parts[0].body).unwrap();
        let srcs = smil_sources(smil);
        assert_eq!(
            srcs,
            [
                "cid:photo.jpg",
                "cid:text.txt",
                "cid:clip.amr",
                "cid:second.jpg"
            ]
        );
        for src in &srcs {
            assert!(
                resolve(parts, src).is_some(),
                "{src} does not resolve in {smil}"
            );
        }
        // Two slides: photo + text + clip (5 s for the clip of 250 frames), then the second image.
        assert_eq!(smil.matches("<par ").count(), 2);
        assert!(
            smil.contains("<par dur=\"5000ms\">\n<img src=\"cid:photo.jpg\" region=\"Image\"/>"),
            "{smil}"
        );
        assert!(smil.contains("region id=\"Image\""));
        let types: Vec<String> = parts
            .iter()
            .map(|p| p.content_type.media.as_str().to_ascii_lowercase())
            .collect();
        assert_eq!(
            types,
            [
                "application/smil",
                "text/plain",
                "image/jpeg",
                "audio/amr",
                "image/jpeg",
                "text/x-vcard"
            ]
        );
        assert_eq!(parts[1].content_type.charset(), Some(Charset::UTF_8));
        assert_eq!(&*parts[1].body, b"T");
        assert_eq!(parts[4].file_name().as_deref(), Some("second.jpg"));
        assert_eq!(parts[3].content_location(), Some("clip.amr"));
    }

    #[test]
    fn text_only_and_errors() {
        let d = Draft {
            to: vec!["+1".into()],
            text: Some("hi".into()),
            ..Draft::default()
        };
        let pdu = compose(&d, "x").unwrap();
        let bytes = pdu.to_bytes();
        let back = Pdu::decode(&bytes).unwrap();
        let smil = std::str::from_utf8(&back.parts()[0].body)
            .unwrap()
            .to_owned();
        assert!(!smil.contains("Image"));
        assert_eq!(smil_sources(&smil), ["cid:text.txt"]);
        assert_eq!(
            compose(&Draft::default(), "x").unwrap_err(),
            ComposeError::NoRecipient
        );
        let d = Draft {
            to: vec!["+1".into()],
            ..Draft::default()
        };
        assert_eq!(compose(&d, "x").unwrap_err(), ComposeError::Empty);
        let d = Draft {
            to: vec!["nobody".into()],
            text: Some("x".into()),
            ..Draft::default()
        };
        assert!(matches!(
            compose(&d, "x").unwrap_err(),
            ComposeError::BadRecipient(_)
        ));
    }

    #[test]
    fn amr_length() {
        assert_eq!(amr_duration_ms(&amr(50)), Some(1000));
        assert_eq!(amr_duration_ms(b"nope"), None);
    }
}

//! MM3 (TS 23.140 §8.3, RFC 4356): multimedia messages to and from
//! Internet e-mail.
//!
//! MMS to e-mail ([`email_from_mms`]): the `text/plain` parts, decoded from
//! their charsets, become the UTF-8 body; every other part (images, audio,
//! video, the SMIL presentation, other text) is an attachment with its
//! Content-ID and Content-Location kept, so the SMIL still resolves.
//!
//! E-mail to MMS ([`mms_from_email`]): text parts are converted to UTF-8
//! (whatever charset and transfer encoding they came in), `text/plain` is
//! chosen over HTML in `multipart/alternative`, images, audio, video, SMIL
//! and vCard/vCalendar are kept, anything else is dropped (and listed). A
//! part without a Content-Location gets one (its file name, or
//! `text_N.txt`, `image_N.jpg`...), so every part can be referenced.

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use ferry_mms::{Address, Body, EncodedString, FromValue, Header, MessageType, Pdu, Version};
use ferry_wsp::charset::decode_unlabelled;
use ferry_wsp::multipart::{content_id, content_location};
use ferry_wsp::{ContentType, Part};
use mail_builder::mime::{BodyPart, MimePart};

use crate::error::Error;
use crate::message::Headers;
use crate::mime::{Alternatives, HeaderWriter, part_to_mime, parts_from_message};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn is_plain_text(p: &Part<'_>) -> bool {
    p.content_type.media.is("text/plain")
}

/// A part's text in Unicode, from its charset (unlabelled: UTF-8, else Latin-1).
fn part_text(p: &Part<'_>) -> String {
    let body = p.decoded_body();
    let text = match p.content_type.charset() {
        Some(cs) => cs.decode(&body).map(Cow::into_owned),
        None => None,
    };
    text.unwrap_or_else(|| decode_unlabelled(&body).into_owned())
}

fn extension(media: &str) -> &'static str {
    match media {
        "image/jpeg" | "image/jpg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/bmp" => "bmp",
        "image/vnd.wap.wbmp" => "wbmp",
        "audio/amr" => "amr",
        "audio/mpeg" | "audio/mp3" => "mp3",
        "audio/midi" | "audio/mid" => "mid",
        "video/3gpp" => "3gp",
        "video/mp4" => "mp4",
        "application/smil" => "smil",
        "text/x-vcard" | "text/vcard" => "vcf",
        "text/x-vcalendar" | "text/calendar" => "vcs",
        "text/html" => "html",
        t if t.starts_with("text/") => "txt",
        _ => "bin",
    }
}

/// The MMS as an Internet e-mail from `from` to `to` (RFC 5322, CRLF):
/// Subject and Date from the PDU, the plain text as the body, the other
/// parts (SMIL included) as attachments.
pub fn email_from_mms(pdu: &Pdu<'_>, from: &str, to: &[&str]) -> Result<Vec<u8>, Error> {
    if to.is_empty() {
        return Err(Error::Build {
            field: "To",
            problem: "has no recipient",
        });
    }
    let parts = pdu.parts();
    let size: usize = parts.iter().map(|p| p.body.len() * 4 / 3 + 256).sum();
    let mut w = HeaderWriter::new(1024 + size);
    w.raw("From", from);
    w.raw("To", &to.join(", "));
    if let Some(s) = pdu.subject() {
        w.text("Subject", &s.text());
    }
    let date = pdu.date().unwrap_or_else(now);
    w.date("Date", date);
    let domain = from
        .rsplit_once('@')
        .map_or("ferry.invalid", |(_, d)| d.trim_end_matches('>'));
    let local: String = pdu
        .message_id()
        .map_or_else(|| format!("{date}.{}", parts.len()), str::to_owned)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(96)
        .collect();
    w.raw("Message-ID", &format!("<{local}@{domain}>"));
    if let Some(id) = pdu.message_id() {
        w.raw("X-Mms-Message-ID", id);
    }

    let texts: Vec<String> = parts
        .iter()
        .filter(|p| is_plain_text(p))
        .map(part_text)
        .collect();
    let text = texts.join("\r\n\r\n");
    let mut attachments = Vec::new();
    for (i, p) in parts.iter().filter(|p| !is_plain_text(p)).enumerate() {
        let media = p.content_type.media.as_str().to_ascii_lowercase();
        let name = p.file_name().map_or_else(
            || format!("part{}.{}", i + 1, extension(&media)),
            |n| n.into_owned(),
        );
        attachments.push(part_to_mime(p).attachment(name));
    }
    let text_part = MimePart::new("text/plain", BodyPart::Text(Cow::Owned(text)));
    let body = if attachments.is_empty() {
        text_part
    } else {
        let mut all = Vec::with_capacity(attachments.len() + 1);
        if !texts.is_empty() {
            all.push(text_part);
        }
        all.extend(attachments);
        MimePart::new("multipart/mixed", BodyPart::Multipart(all))
    };
    Ok(w.finish(Some(body)))
}

/// An Internet e-mail read for delivery as an MMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingEmail<'a> {
    /// The sender's address (`From`).
    pub from: Option<String>,
    /// `To` addresses.
    pub to: Vec<String>,
    /// `Cc` addresses.
    pub cc: Vec<String>,
    /// `Subject`, in Unicode.
    pub subject: Option<String>,
    /// `Date`, seconds since the epoch.
    pub date: Option<u64>,
    /// RFC 5322 `Message-ID` (without angle brackets).
    pub message_id: Option<String>,
    /// The MMS content type: `application/vnd.wap.multipart.related` when
    /// the e-mail carried a SMIL presentation in a `multipart/related`,
    /// `application/vnd.wap.multipart.mixed` otherwise.
    pub content_type: ContentType<'static>,
    /// The parts kept (text in UTF-8).
    pub parts: Vec<Part<'a>>,
    /// Content types of the parts dropped.
    pub dropped: Vec<String>,
}

fn kept(media: &str) -> bool {
    media.starts_with("text/")
        || media.starts_with("image/")
        || media.starts_with("audio/")
        || media.starts_with("video/")
        || media == "application/smil"
}

/// Reads an e-mail into MMS headers and parts.
pub fn mms_from_email(input: &[u8]) -> Result<IncomingEmail<'_>, Error> {
    let msg = crate::message::parser()
        .parse(input)
        .ok_or(Error::NotMime {
            offset: 0,
            field: "header block",
        })?;
    let h = Headers::new(&msg);
    let from = h.addresses("From").into_iter().next();
    let to = h.addresses("To");
    let cc = h.addresses("Cc");
    let subject = h.text("Subject");
    let date = h.date("Date").ok().flatten();
    let message_id = msg.message_id().map(str::to_owned);

    let (root_ct, all) = parts_from_message(msg, Alternatives::PreferPlain);
    let mut parts = Vec::with_capacity(all.len());
    let mut dropped = Vec::new();
    let mut has_smil = false;
    for mut p in all {
        let media = p.content_type.media.as_str().to_ascii_lowercase();
        if !kept(&media)
            || (p.body.is_empty() && media.starts_with("text/") && parts.iter().any(is_plain_text))
        {
            dropped.push(media);
            continue;
        }
        has_smil |= media == "application/smil";
        let n = parts.len() + 1;
        if p.content_location().is_none() {
            let loc = match p.file_name() {
                Some(f) => f.into_owned(),
                None => {
                    let kind = media.split('/').next().unwrap_or("part");
                    format!("{kind}_{n}.{}", extension(&media))
                }
            };
            p.headers.push(content_location(loc));
        }
        if p.content_id().is_none() {
            p.headers.push(content_id(format!("<part{n}>")));
        }
        parts.push(p);
    }
    let content_type = if has_smil && root_ct.media.is("application/vnd.wap.multipart.related") {
        root_ct
    } else {
        ContentType::new("application/vnd.wap.multipart.mixed")
    };
    Ok(IncomingEmail {
        from,
        to,
        cc,
        subject,
        date,
        message_id,
        content_type,
        parts,
        dropped,
    })
}

impl IncomingEmail<'_> {
    /// The message as an `M-Retrieve.conf` (MMS 1.3) for a handset: From
    /// the e-mail sender, To the MMS recipient(s) given, Subject, Date, and
    /// the parts.
    pub fn to_retrieve_conf<'s>(
        &'s self,
        transaction_id: Option<&'s str>,
        message_id: Option<&'s str>,
        to: &[Address<'static>],
    ) -> Pdu<'s> {
        let mut p = Pdu::new(
            MessageType::RETRIEVE_CONF,
            transaction_id.map(Cow::Borrowed),
            Version::V1_3,
        );
        if let Some(id) = message_id {
            p.headers.push(Header::MessageId(Cow::Borrowed(id)));
        }
        if let Some(f) = &self.from {
            p.headers
                .push(Header::From(FromValue::Address(Address::email(f))));
        }
        p.headers.extend(to.iter().cloned().map(Header::To));
        p.headers.push(Header::Date(self.date.unwrap_or_else(now)));
        if let Some(s) = &self.subject {
            p.headers
                .push(Header::Subject(EncodedString::new(s.as_str())));
        }
        p.with_body(
            self.content_type.clone(),
            Body::Multipart(self.parts.clone()),
        )
    }
}

//! Media types from content: magic numbers first, then the file name's
//! extension, then `application/octet-stream`.
//!
//! A phone cannot trust a file name (a `.jpg` that is a PNG is common, and
//! `photo` has no extension at all), and the MMSC's content adaptation and
//! the recipient's player both go by the declared type, so the type is read
//! from the first octets. The table is small on purpose: the formats an MMS
//! carries (OMA MMS Conformance Document media classes) and a few more.

/// The media type of `data`, named `name` (a file name, possibly empty).
///
/// Content decides when it is recognisable; the extension is a fallback for
/// binary content the table does not know; valid UTF-8 without control
/// characters (other than tab, CR, LF, FF) is `text/plain`.
pub fn media_type(data: &[u8], name: &str) -> &'static str {
    if let Some(t) = from_magic(data) {
        return t;
    }
    // Text formats recognised by their first line.
    if let Some(t) = from_text(data) {
        return t;
    }
    if let Some(t) = from_extension(name) {
        return t;
    }
    if is_text(data) && !data.is_empty() {
        return "text/plain";
    }
    "application/octet-stream"
}

/// Binary signatures.
fn from_magic(d: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| d.starts_with(m);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some("image/gif");
    }
    if starts(b"#!AMR-WB\n") {
        return Some("audio/amr-wb");
    }
    if starts(b"#!AMR\n") {
        return Some("audio/amr");
    }
    if starts(b"MThd") {
        return Some("audio/midi");
    }
    if starts(b"ID3") {
        return Some("audio/mpeg");
    }
    if starts(b"OggS") {
        return Some("audio/ogg");
    }
    if d.len() >= 12 && starts(b"RIFF") {
        match &d[8..12] {
            b"WAVE" => return Some("audio/wav"),
            b"WEBP" => return Some("image/webp"),
            b"AVI " => return Some("video/x-msvideo"),
            _ => {}
        }
    }
    if starts(b"BM") && d.len() >= 14 && d[6..10] == [0, 0, 0, 0] {
        return Some("image/bmp");
    }
    if d.len() >= 12 && &d[4..8] == b"ftyp" {
        let brand = &d[8..12];
        return Some(match brand {
            b"3g2a" | b"3g2b" | b"3g2c" => "video/3gpp2",
            _ if brand.starts_with(b"3gp")
                || brand.starts_with(b"3gs")
                || brand.starts_with(b"3ge") =>
            {
                "video/3gpp"
            }
            b"M4A " | b"M4B " => "audio/mp4",
            b"qt  " => "video/quicktime",
            _ => "video/mp4",
        });
    }
    // MPEG audio frame sync: 11 set bits, layer not 00, bitrate index not
    // 1111 (a bare MP3 without an ID3 tag).
    if d.len() >= 4
        && d[0] == 0xFF
        && d[1] & 0xE0 == 0xE0
        && d[1] & 0x06 != 0
        && d[2] & 0xF0 != 0xF0
    {
        return Some("audio/mpeg");
    }
    None
}

/// Text formats with a recognisable start.
fn from_text(d: &[u8]) -> Option<&'static str> {
    let d = d.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(d);
    let head = &d[..d.len().min(64)];
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |i| &head[i..]);
    let has = |m: &[u8]| start.len() >= m.len() && start[..m.len()].eq_ignore_ascii_case(m);
    if has(b"BEGIN:VCARD") {
        Some("text/x-vcard")
    } else if has(b"BEGIN:VCALENDAR") {
        Some("text/x-vcalendar")
    } else if has(b"<smil") {
        Some("application/smil")
    } else {
        None
    }
}

/// The extension table (lower case, without the dot).
const EXTENSIONS: &[(&str, &str)] = &[
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("gif", "image/gif"),
    ("bmp", "image/bmp"),
    ("webp", "image/webp"),
    ("wbmp", "image/vnd.wap.wbmp"),
    ("amr", "audio/amr"),
    ("awb", "audio/amr-wb"),
    ("mid", "audio/midi"),
    ("midi", "audio/midi"),
    ("mp3", "audio/mpeg"),
    ("m4a", "audio/mp4"),
    ("ogg", "audio/ogg"),
    ("wav", "audio/wav"),
    ("3gp", "video/3gpp"),
    ("3g2", "video/3gpp2"),
    ("mp4", "video/mp4"),
    ("txt", "text/plain"),
    ("vcf", "text/x-vcard"),
    ("vcs", "text/x-vcalendar"),
    ("ics", "text/calendar"),
    ("smil", "application/smil"),
    ("smi", "application/smil"),
];

/// The type for a file name's extension, if the table has it.
pub fn from_extension(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    EXTENSIONS.iter().find(|(e, _)| *e == ext).map(|(_, t)| *t)
}

/// An extension for a media type (for naming parts that have no name).
pub fn extension_for(media_type: &str) -> &'static str {
    let t = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    EXTENSIONS
        .iter()
        .find(|(_, m)| *m == t)
        .map_or("bin", |(e, _)| *e)
}

/// Valid UTF-8 with no control characters but tab, LF, FF and CR.
fn is_text(d: &[u8]) -> bool {
    std::str::from_utf8(d).is_ok()
        && !d
            .iter()
            .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C) || b == 0x7F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let mp4 = b"\0\0\0\x18ftypmp42\0\0\0\0";
        let cases: &[(&[u8], &str, &str)] = &[
            (b"\xFF\xD8\xFF\xE0\0\x10JFIF", "x", "image/jpeg"),
            (b"\xFF\xD8\xFF\xE1", "photo.png", "image/jpeg"),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "photo.jpg", "image/png"),
            (b"GIF89a\x01\0", "", "image/gif"),
            (b"GIF87a\x01\0", "", "image/gif"),
            (b"#!AMR\n\x3c", "clip", "audio/amr"),
            (b"#!AMR-WB\n", "clip.amr", "audio/amr-wb"),
            (b"MThd\0\0\0\x06", "song", "audio/midi"),
            (b"ID3\x03\0", "", "audio/mpeg"),
            (b"\xFF\xFB\x90\x64", "", "audio/mpeg"),
            (b"\0\0\0\x14ftyp3gp4\0\0\0\0", "v.mp4", "video/3gpp"),
            (b"\0\0\0\x14ftyp3g2a\0\0\0\0", "", "video/3gpp2"),
            (mp4, "", "video/mp4"),
            (b"\0\0\0\x14ftypM4A \0\0\0\0", "", "audio/mp4"),
            (b"RIFF\0\0\0\0WAVEfmt ", "", "audio/wav"),
            (b"OggS\0\x02", "", "audio/ogg"),
            (
                b"BEGIN:VCARD\r\nVERSION:2.1\r\n",
                "contact.txt",
                "text/x-vcard",
            ),
            (b"\xEF\xBB\xBFbegin:vcard\r\n", "", "text/x-vcard"),
            (b"BEGIN:VCALENDAR\r\n", "", "text/x-vcalendar"),
            (b"<smil><body/></smil>", "", "application/smil"),
            ("Hello, Привет!\n".as_bytes(), "note", "text/plain"),
            (b"hello", "hello.amr", "audio/amr"),
            (b"\0\x01\x02\x03", "image.wbmp", "image/vnd.wap.wbmp"),
            (b"\0\x01\x02\x03", "blob", "application/octet-stream"),
            (b"\xC3\x28", "", "application/octet-stream"),
            (b"", "", "application/octet-stream"),
            (b"", "a.TXT", "text/plain"),
        ];
        for (data, name, want) in cases {
            assert_eq!(media_type(data, name), *want, "{name:?} {data:02x?}");
        }
    }

    #[test]
    fn extensions() {
        assert_eq!(extension_for("image/jpeg"), "jpg");
        assert_eq!(extension_for("text/plain; charset=utf-8"), "txt");
        assert_eq!(extension_for("application/x-unknown"), "bin");
        assert_eq!(from_extension("archive.tar.gz"), None);
        assert_eq!(from_extension("noext"), None);
    }
}

//! The demo's picture: a small PNG (a ferry on the sea at sunset) drawn
//! and encoded at run time, so Ferry ships no third-party image.
//!
//! The encoder is the smallest valid one (PNG spec, ISO/IEC 15948): 8-bit
//! RGB, filter 0 on every row, and the zlib stream made of *stored*
//! (uncompressed) deflate blocks (RFC 1951 §3.2.4), so no compressor is
//! needed; CRC-32 (ISO 3309) and Adler-32 (RFC 1950) are computed here.

/// Width of [`picture`].
pub const WIDTH: u32 = 64;
/// Height of [`picture`].
pub const HEIGHT: u32 = 48;

fn crc32(parts: &[&[u8]]) -> u32 {
    let mut table = [0u32; 256];
    for (n, t) in table.iter_mut().enumerate() {
        let mut c = n as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *t = c;
    }
    let mut c = 0xFFFF_FFFFu32;
    for p in parts {
        for &b in *p {
            c = table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
        }
    }
    c ^ 0xFFFF_FFFF
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// Encodes `rgb` (`width * height * 3` octets, rows top to bottom) as PNG.
///
/// # Panics
/// If `rgb` does not hold exactly `width * height * 3` octets.
pub fn encode_rgb(width: u32, height: u32, rgb: &[u8]) -> Vec<u8> {
    let row = width as usize * 3;
    assert_eq!(rgb.len(), row * height as usize, "pixel buffer size");
    let mut raw = Vec::with_capacity((row + 1) * height as usize);
    for r in rgb.chunks(row) {
        raw.push(0); // filter: none
        raw.extend_from_slice(r);
    }
    let mut z = vec![0x78, 0x01];
    let mut blocks = raw.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        z.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(b) = blocks.next() {
        z.push(u8::from(blocks.peek().is_none()));
        let len = b.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(b);
    }
    z.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit, RGB, deflate, filter 0, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The demo picture: a 64×48 PNG of a small ferry at sea (about 9 KB).
pub fn picture() -> Vec<u8> {
    let (w, h) = (WIDTH as i32, HEIGHT as i32);
    let mut px = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let sea = 30 + (3.0 * (f64::from(x) / 4.0 + f64::from(y)).sin()) as i32;
            let (r, g, b) = if (y - 14).pow(2) + (x - 48).pow(2) < 36 {
                (255, 220, 90) // sun
            } else if y >= 38
                && (14..=50).contains(&x)
                && x >= 14 + (y - 38)
                && x <= 50 - (y - 38) / 2
            {
                (150, 30, 30) // hull
            } else if (30..38).contains(&y) && (22..=42).contains(&x) {
                if y % 3 == 1 && x % 4 != 1 {
                    (40, 60, 90)
                } else {
                    (240, 240, 235)
                } // cabins, windows
            } else if (24..30).contains(&y) && (34..=37).contains(&x) {
                (60, 60, 60) // funnel
            } else if y >= sea + 11 {
                (20, 60 + y, 120 + 2 * y) // sea
            } else {
                (250 - 2 * y, 120 + 2 * y, 90 + 3 * y) // sky
            };
            px.extend_from_slice(&[
                r.clamp(0, 255) as u8,
                g.clamp(0, 255) as u8,
                b.clamp(0, 255) as u8,
            ]);
        }
    }
    encode_rgb(WIDTH, HEIGHT, &px)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums() {
        assert_eq!(crc32(&[b"IEND"]), 0xAE42_6082);
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn picture_is_a_png() {
        let p = picture();
        assert!(p.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(p.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]));
        assert!(p.len() > 9_000 && p.len() < 10_000, "{}", p.len());
        // IHDR right after the signature: 64 x 48, 8-bit RGB.
        assert_eq!(&p[12..16], b"IHDR");
        assert_eq!(&p[16..24], &[0, 0, 0, 64, 0, 0, 0, 48]);
        assert_eq!(ferry_handset::sniff::media_type(&p, "x"), "image/png");
    }
}

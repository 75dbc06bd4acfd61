//! Client addresses (WAP-249-PPGService §7.1, used by PAP's `address-value`).
//!
//! ```text
//! WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com
//! WAPPUSH=192.0.2.7/TYPE=IPv4
//! WAPPUSH=john%40example.com/TYPE=USER@ppg.example.com
//! ```
//!
//! The grammar is `"WAPPUSH=" client-specifier ext-qualifiers "/TYPE="
//! address-type "@" ppg-specifier`. Parsing is loose where peers are: the
//! `WAPPUSH` and `TYPE` keywords and the type name are matched without regard
//! to case (real MMSCs send `wappush=`), the `@ppg` part is optional (WAP-209
//! says phone-number addresses should not carry one, and Kannel accepts both),
//! and a PLMN number need not be international (a PPG's policy decides that:
//! see [`ClientAddress::is_international`]). Display is canonical: upper-case
//! keywords, the type names `PLMN`, `IPv4`, `IPv6`, `USER`, and `%XX` escapes
//! for every character of a user-defined or special address that is not
//! `ALPHA / DIGIT / "+" / "-" / "." / "_"`.

use std::borrow::Cow;
use std::fmt;

use crate::error::{DecodeError, ErrorKind, Result};

/// The `TYPE=` of a client address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AddressType<'a> {
    /// `TYPE=PLMN`: a phone number (`["+"] 1*(DIGIT / "-" / ".")`).
    Plmn,
    /// `TYPE=IPv4`: a dotted quad.
    Ipv4,
    /// `TYPE=IPv6`: an IPv6 address in colon-hex notation.
    Ipv6,
    /// `TYPE=USER`: a user-defined identifier (an escaped value).
    User,
    /// Another (bearer-specific) type such as `GSM_MSISDN`, kept as written;
    /// its value is an escaped value.
    Other(&'a str),
}

impl AddressType<'_> {
    /// The canonical spelling of the type name.
    pub fn as_str(&self) -> &str {
        match self {
            AddressType::Plmn => "PLMN",
            AddressType::Ipv4 => "IPv4",
            AddressType::Ipv6 => "IPv6",
            AddressType::User => "USER",
            AddressType::Other(s) => s,
        }
    }

    fn is_escaped(&self) -> bool {
        matches!(self, AddressType::User | AddressType::Other(_))
    }
}

impl fmt::Display for AddressType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed client address, borrowing from the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientAddress<'a> {
    /// The address itself: the phone number or IP address as written, or the
    /// user-defined identifier with its `%XX` escapes decoded.
    pub value: Cow<'a, str>,
    /// The address type.
    pub kind: AddressType<'a>,
    /// Extension qualifiers between the value and `/TYPE=` (e.g.
    /// `CHANNEL=news` in `WAPPUSH=+1555/CHANNEL=news/TYPE=PLMN`), as written,
    /// without the leading `/`.
    pub qualifiers: Option<&'a str>,
    /// The PPG specifier after `@` (a domain name or IP address), if any.
    pub ppg: Option<&'a str>,
}

fn addr_err(offset: usize, what: &'static str) -> DecodeError {
    DecodeError::new(offset, "address-value", ErrorKind::Address(what))
}

/// Last occurrence of `needle` in `hay`, ASCII case-insensitively.
fn rfind_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len())
        .rev()
        .find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

fn is_safe(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.' | b'_')
}

fn check_plmn(v: &str) -> std::result::Result<(), &'static str> {
    let digits = v.strip_prefix('+').unwrap_or(v);
    if !digits.bytes().any(|c| c.is_ascii_digit()) {
        return Err("a phone number needs at least one digit");
    }
    if !digits
        .bytes()
        .all(|c| c.is_ascii_digit() || c == b'-' || c == b'.')
    {
        return Err("a phone number has only digits, '-' and '.' after an optional '+'");
    }
    Ok(())
}

fn check_ipv4(v: &str) -> std::result::Result<(), &'static str> {
    let mut n = 0;
    for part in v.split('.') {
        n += 1;
        if part.is_empty()
            || part.len() > 3
            || !part.bytes().all(|c| c.is_ascii_digit())
            || part.parse::<u16>().map_or(true, |x| x > 255)
        {
            return Err("an IPv4 address is four dotted numbers 0-255");
        }
    }
    if n != 4 {
        return Err("an IPv4 address is four dotted numbers 0-255");
    }
    Ok(())
}

fn check_ipv6(v: &str) -> std::result::Result<(), &'static str> {
    v.parse::<std::net::Ipv6Addr>()
        .map(|_| ())
        .map_err(|_| "not an IPv6 address")
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes; borrows when there are none.
fn unescape(v: &str, base: usize) -> Result<Cow<'_, str>> {
    if !v.contains('%') {
        return Ok(Cow::Borrowed(v));
    }
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            match (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => out.push(h << 4 | l),
                _ => return Err(addr_err(base + i, "'%' must be followed by two hex digits")),
            }
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| addr_err(base, "escapes do not decode to UTF-8"))
}

fn escape_into(f: &mut fmt::Formatter<'_>, v: &str) -> fmt::Result {
    for &c in v.as_bytes() {
        if is_safe(c) {
            write!(f, "{}", c as char)?;
        } else {
            write!(f, "%{c:02X}")?;
        }
    }
    Ok(())
}

fn check_token(t: &str) -> bool {
    !t.is_empty()
        && t.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

fn check_ppg(p: &str) -> bool {
    !p.is_empty()
        && p.bytes().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b':' | b'_' | b'[' | b']')
        })
}

fn check_qualifiers(q: &str) -> bool {
    q.split('/').all(|kv| match kv.split_once('=') {
        Some((k, v)) => check_token(k) && !v.contains(['@', '=']),
        None => false,
    })
}

impl<'a> ClientAddress<'a> {
    /// Parses an `address-value`. Errors carry the byte offset in `text` and
    /// [`ErrorKind::Address`], which a PPG answers with `2002 Address error`.
    pub fn parse(text: &'a str) -> Result<Self> {
        let lead = text.len() - text.trim_start().len();
        let s = text.trim();
        let keyword = s.get(..8).filter(|k| k.eq_ignore_ascii_case("WAPPUSH="));
        if keyword.is_none() {
            return Err(addr_err(lead, "an address starts with WAPPUSH="));
        }
        let rest = &s[8..];
        let base = lead + 8;
        let Some(t) = rfind_ci(rest, "/TYPE=") else {
            return Err(addr_err(base, "no /TYPE= in the address"));
        };
        let spec = &rest[..t];
        let after = &rest[t + 6..];
        let (type_text, ppg) = match after.split_once('@') {
            Some((ty, p)) => (ty, Some(p)),
            None => (after, None),
        };
        if !check_token(type_text) {
            return Err(addr_err(base + t + 6, "the address type is a token"));
        }
        if let Some(p) = ppg
            && !check_ppg(p)
        {
            return Err(addr_err(
                base + t + 7 + type_text.len(),
                "the PPG specifier is a domain name or IP address",
            ));
        }
        let (raw, qualifiers) = match spec.split_once('/') {
            Some((v, q)) => (v, Some(q)),
            None => (spec, None),
        };
        if let Some(q) = qualifiers
            && !check_qualifiers(q)
        {
            return Err(addr_err(
                base + raw.len() + 1,
                "qualifiers are /keyword=value pairs",
            ));
        }
        if raw.is_empty() {
            return Err(addr_err(base, "the address value is empty"));
        }
        let kind = if type_text.eq_ignore_ascii_case("PLMN") {
            AddressType::Plmn
        } else if type_text.eq_ignore_ascii_case("IPv4") {
            AddressType::Ipv4
        } else if type_text.eq_ignore_ascii_case("IPv6") {
            AddressType::Ipv6
        } else if type_text.eq_ignore_ascii_case("USER") {
            AddressType::User
        } else {
            AddressType::Other(type_text)
        };
        let value = match kind {
            AddressType::Plmn => check_plmn(raw).map(|()| Cow::Borrowed(raw)),
            AddressType::Ipv4 => check_ipv4(raw).map(|()| Cow::Borrowed(raw)),
            AddressType::Ipv6 => check_ipv6(raw).map(|()| Cow::Borrowed(raw)),
            AddressType::User | AddressType::Other(_) => {
                if raw.bytes().any(|c| c.is_ascii_control() || c == b' ') {
                    Err("an escaped value has no spaces or control characters")
                } else {
                    Ok(unescape(raw, base)?)
                }
            }
        }
        .map_err(|what| addr_err(base, what))?;
        Ok(ClientAddress {
            value,
            kind,
            qualifiers,
            ppg,
        })
    }

    fn checked(value: Cow<'a, str>, kind: AddressType<'a>) -> Result<Self> {
        let r = match kind {
            AddressType::Plmn => check_plmn(&value),
            AddressType::Ipv4 => check_ipv4(&value),
            AddressType::Ipv6 => check_ipv6(&value),
            AddressType::User | AddressType::Other(_) => {
                if value.is_empty() {
                    Err("the address value is empty")
                } else {
                    Ok(())
                }
            }
        };
        if let AddressType::Other(t) = kind
            && !check_token(t)
        {
            return Err(addr_err(0, "the address type is a token"));
        }
        r.map_err(|what| addr_err(0, what))?;
        Ok(ClientAddress {
            value,
            kind,
            qualifiers: None,
            ppg: None,
        })
    }

    /// A `TYPE=PLMN` address for a phone number (checked).
    pub fn plmn(number: &'a str) -> Result<Self> {
        Self::checked(Cow::Borrowed(number), AddressType::Plmn)
    }

    /// A `TYPE=IPv4` address (checked).
    pub fn ipv4(addr: &'a str) -> Result<Self> {
        Self::checked(Cow::Borrowed(addr), AddressType::Ipv4)
    }

    /// A `TYPE=IPv6` address (checked).
    pub fn ipv6(addr: &'a str) -> Result<Self> {
        Self::checked(Cow::Borrowed(addr), AddressType::Ipv6)
    }

    /// A `TYPE=USER` address; `id` is unescaped text (any non-empty string).
    pub fn user(id: impl Into<Cow<'a, str>>) -> Result<Self> {
        Self::checked(id.into(), AddressType::User)
    }

    /// The same address with a PPG specifier (checked).
    pub fn with_ppg(mut self, ppg: &'a str) -> Result<Self> {
        if !check_ppg(ppg) {
            return Err(addr_err(
                0,
                "the PPG specifier is a domain name or IP address",
            ));
        }
        self.ppg = Some(ppg);
        Ok(self)
    }

    /// Whether this is a phone number in international format (a PLMN
    /// address starting with `+`). Kannel refuses other numbers with `2000`.
    pub fn is_international(&self) -> bool {
        self.kind == AddressType::Plmn && self.value.starts_with('+')
    }

    /// For a PLMN address, the digits alone (separators and `+` dropped), as
    /// an SMSC wants them.
    pub fn digits(&self) -> Option<String> {
        (self.kind == AddressType::Plmn).then(|| {
            self.value
                .bytes()
                .filter(u8::is_ascii_digit)
                .map(char::from)
                .collect()
        })
    }
}

impl fmt::Display for ClientAddress<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WAPPUSH=")?;
        if self.kind.is_escaped() {
            escape_into(f, &self.value)?;
        } else {
            f.write_str(&self.value)?;
        }
        if let Some(q) = self.qualifiers {
            write!(f, "/{q}")?;
        }
        write!(f, "/TYPE={}", self.kind)?;
        if let Some(p) = self.ppg {
            write!(f, "@{p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_table() {
        let a = ClientAddress::parse("WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com").unwrap();
        assert_eq!(a.value, "+15551234567");
        assert_eq!(a.kind, AddressType::Plmn);
        assert_eq!(a.ppg, Some("ppg.example.com"));
        assert!(a.is_international());
        assert_eq!(a.digits().as_deref(), Some("15551234567"));

        let a = ClientAddress::parse("wappush=0401234567/type=plmn").unwrap();
        assert_eq!(a.value, "0401234567");
        assert_eq!(a.ppg, None);
        assert!(!a.is_international());
        assert_eq!(a.to_string(), "WAPPUSH=0401234567/TYPE=PLMN");

        let a = ClientAddress::parse("WAPPUSH=192.0.2.7/TYPE=ipv4@10.0.0.1").unwrap();
        assert_eq!(
            (a.value.as_ref(), &a.kind),
            ("192.0.2.7", &AddressType::Ipv4)
        );
        assert_eq!(a.to_string(), "WAPPUSH=192.0.2.7/TYPE=IPv4@10.0.0.1");

        let a = ClientAddress::parse("WAPPUSH=2001:db8:0:0:0:0:0:1/TYPE=IPv6").unwrap();
        assert_eq!(a.kind, AddressType::Ipv6);

        let a =
            ClientAddress::parse("WAPPUSH=aisha.wahl%40blackberry.com%3A7874/TYPE=USER@rim.net")
                .unwrap();
        assert_eq!(a.value, "aisha.wahl@blackberry.com:7874");
        assert_eq!(a.kind, AddressType::User);
        assert_eq!(
            a.to_string(),
            "WAPPUSH=aisha.wahl%40blackberry.com%3A7874/TYPE=USER@rim.net"
        );

        let a = ClientAddress::parse("WAPPUSH=+358401234567/CHANNEL=news/TYPE=PLMN@ppg").unwrap();
        assert_eq!(a.qualifiers, Some("CHANNEL=news"));
        assert_eq!(
            a.to_string(),
            "WAPPUSH=+358401234567/CHANNEL=news/TYPE=PLMN@ppg"
        );

        let a = ClientAddress::parse(" WAPPUSH=12345/TYPE=GSM_MSISDN ").unwrap();
        assert_eq!(a.kind, AddressType::Other("GSM_MSISDN"));
        assert_eq!(a.value, "12345");

        let a = ClientAddress::parse("WAPPUSH=+44-20.7946-0000/TYPE=PLMN").unwrap();
        assert_eq!(a.digits().as_deref(), Some("442079460000"));
    }

    #[test]
    fn parse_errors() {
        for (bad, offset) in [
            ("", 0),
            ("+15551234567/TYPE=PLMN", 0),
            ("WAPPUSH=+15551234567", 8),
            ("WAPPUSH=+1555x/TYPE=PLMN", 8),
            ("WAPPUSH=+/TYPE=PLMN", 8),
            ("WAPPUSH=/TYPE=PLMN", 8),
            ("WAPPUSH=1.2.3/TYPE=IPv4", 8),
            ("WAPPUSH=1.2.3.256/TYPE=IPv4", 8),
            ("WAPPUSH=1.2.3.4.5/TYPE=IPv4", 8),
            ("WAPPUSH=fe80::zz/TYPE=IPv6", 8),
            ("WAPPUSH=a%4/TYPE=USER", 9),
            ("WAPPUSH=a b/TYPE=USER", 8),
            ("WAPPUSH=+1555/TYPE=PLMN@", 24),
            ("WAPPUSH=+1555/TYPE=PLMN@ppg host", 24),
            ("WAPPUSH=+1555/TYPE=@ppg", 19),
            ("WAPPUSH=+1555/bad/TYPE=PLMN", 14),
        ] {
            let e = ClientAddress::parse(bad).unwrap_err();
            assert!(matches!(e.kind, ErrorKind::Address(_)), "{bad:?}");
            assert_eq!(e.offset, offset, "{bad:?}: {e}");
            assert_eq!(e.status_code(), crate::StatusCode::ADDRESS_ERROR);
        }
    }

    #[test]
    fn constructors() {
        let a = ClientAddress::plmn("+15551234567")
            .unwrap()
            .with_ppg("ppg.example.com")
            .unwrap();
        assert_eq!(
            a.to_string(),
            "WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com"
        );
        assert!(ClientAddress::plmn("12ab").is_err());
        assert!(ClientAddress::ipv4("300.1.1.1").is_err());
        assert!(ClientAddress::user("").is_err());
        let u = ClientAddress::user("me/you@x y%").unwrap();
        assert_eq!(u.to_string(), "WAPPUSH=me%2Fyou%40x%20y%25/TYPE=USER");
    }

    fn arb_address()
    -> impl Strategy<Value = (String, String, String, Option<String>, Option<String>)> {
        let kind = prop_oneof![
            Just("PLMN".to_string()),
            Just("IPv4".to_string()),
            Just("IPv6".to_string()),
            Just("USER".to_string()),
            "[A-Za-z][A-Za-z0-9_]{0,10}".prop_filter("not a known type", |t| {
                !["plmn", "ipv4", "ipv6", "user"].contains(&t.to_ascii_lowercase().as_str())
            }),
        ];
        (
            kind,
            any::<u32>(),
            "\\PC{1,16}",
            proptest::option::of("[a-z0-9][a-z0-9.-]{0,12}"),
            proptest::option::of("[A-Z]{1,5}=[a-z0-9]{0,5}"),
        )
            .prop_map(|(kind, n, text, ppg, q)| {
                let value = match kind.as_str() {
                    "PLMN" => format!("+{n}"),
                    "IPv4" => std::net::Ipv4Addr::from(n).to_string(),
                    "IPv6" => {
                        std::net::Ipv6Addr::from(u128::from(n) << 64 | u128::from(n)).to_string()
                    }
                    _ => text,
                };
                (kind, value, String::new(), ppg, q)
            })
    }

    proptest! {
        #[test]
        fn round_trip((kind, value, _unused, ppg, q) in arb_address()) {
            let kind = match kind.as_str() {
                "PLMN" => AddressType::Plmn,
                "IPv4" => AddressType::Ipv4,
                "IPv6" => AddressType::Ipv6,
                "USER" => AddressType::User,
                other => AddressType::Other(other),
            };
            let mut a = ClientAddress::checked(Cow::Borrowed(value.as_str()), kind).unwrap();
            if let Some(p) = ppg.as_deref() {
                a = a.with_ppg(p).unwrap();
            }
            a.qualifiers = q.as_deref();
            let text = a.to_string();
            let b = ClientAddress::parse(&text).unwrap();
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(b.to_string(), text);
        }

        #[test]
        fn never_panics(s in "(?i:wappush=)?[-+%a-z0-9./@=:]{0,40}") {
            let _ = ClientAddress::parse(&s);
        }

        #[test]
        fn never_panics_any(s in "\\PC{0,40}") {
            let _ = ClientAddress::parse(&s);
        }
    }
}

//! Addresses (OMA-TS-MMS_ENC-V1_3 §8, "Address Coding"): an
//! Encoded-string-value whose text is `number/TYPE=PLMN`,
//! `a.b.c.d/TYPE=IPv4`, `x:y:.../TYPE=IPv6`, an RFC 2822 e-mail address, or
//! `value/TYPE=other-type`.
//!
//! The octets and charset are kept exactly as sent (so a misspelt
//! `/TYPE=PLNM` survives), and the value and type are parsed from the text on
//! demand.

use std::borrow::Cow;
use std::fmt;

use ferry_wsp::{Charset, EncodedString};

/// What kind of address the `/TYPE=` suffix (or its absence) says this is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AddressKind {
    /// `/TYPE=PLMN`: a phone number.
    Plmn,
    /// `/TYPE=IPv4`.
    Ipv4,
    /// `/TYPE=IPv6`.
    Ipv6,
    /// No `/TYPE=` and an `@`: an e-mail address.
    Email,
    /// Another `/TYPE=` value, as sent (e.g. a misspelt `PLNM`).
    Other(String),
    /// No `/TYPE=` and no `@` (short codes, bare numbers some carriers send).
    Unqualified,
}

impl fmt::Display for AddressKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressKind::Plmn => "PLMN",
            AddressKind::Ipv4 => "IPv4",
            AddressKind::Ipv6 => "IPv6",
            AddressKind::Email => "email",
            AddressKind::Other(t) => t,
            AddressKind::Unqualified => "unqualified",
        })
    }
}

/// An address as it travelled.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Address<'a> {
    /// The encoded text (charset label and octets, as sent).
    pub raw: EncodedString<'a>,
}

impl<'a> Address<'a> {
    /// An address from its full text, e.g. `+33611111111/TYPE=PLMN` or
    /// `alice@example.com` (labelled UTF-8 when not ASCII).
    pub fn new(text: impl Into<Cow<'a, str>>) -> Self {
        Self {
            raw: EncodedString::new(text),
        }
    }

    /// A phone number with `/TYPE=PLMN` appended.
    pub fn plmn(number: &str) -> Address<'static> {
        Address::new(format!("{number}/TYPE=PLMN"))
    }

    /// An e-mail address.
    pub fn email(addr: &str) -> Address<'static> {
        Address::new(addr.to_owned())
    }

    /// The full text in Unicode, as sent (`+358.../TYPE=PLMN`).
    pub fn text(&self) -> Cow<'_, str> {
        self.raw.text()
    }

    /// The charset label, if any.
    pub fn charset(&self) -> Option<Charset> {
        self.raw.charset
    }

    /// The address without its `/TYPE=` suffix.
    pub fn value(&self) -> Cow<'_, str> {
        match self.raw.text() {
            Cow::Borrowed(t) => Cow::Borrowed(split(t).0),
            Cow::Owned(t) => Cow::Owned(split(&t).0.to_owned()),
        }
    }

    /// The kind of address.
    pub fn kind(&self) -> AddressKind {
        let text = self.raw.text();
        match split(&text) {
            (_, Some(t)) if t.eq_ignore_ascii_case("PLMN") => AddressKind::Plmn,
            (_, Some(t)) if t.eq_ignore_ascii_case("IPv4") => AddressKind::Ipv4,
            (_, Some(t)) if t.eq_ignore_ascii_case("IPv6") => AddressKind::Ipv6,
            (_, Some(t)) => AddressKind::Other(t.to_owned()),
            (v, None) if v.contains('@') => AddressKind::Email,
            (_, None) => AddressKind::Unqualified,
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Address<'static> {
        Address {
            raw: self.raw.into_owned(),
        }
    }
}

/// Splits `value/TYPE=type` at the last `/TYPE=` (ASCII case-insensitive).
fn split(text: &str) -> (&str, Option<&str>) {
    let b = text.as_bytes();
    let needle = b"/type=";
    if b.len() >= needle.len() {
        for i in (0..=b.len() - needle.len()).rev() {
            if b[i..i + needle.len()].eq_ignore_ascii_case(needle) {
                return (&text[..i], Some(&text[i + needle.len()..]));
            }
        }
    }
    (text, None)
}

impl fmt::Display for Address<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl fmt::Debug for Address<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({:?})", self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let a = Address::new("+358500000000/TYPE=PLMN");
        assert_eq!(a.kind(), AddressKind::Plmn);
        assert_eq!(a.value(), "+358500000000");
        assert_eq!(
            Address::new("+358500000000/TYPE=PLNM").kind(),
            AddressKind::Other("PLNM".into())
        );
        assert_eq!(
            Address::new("+358500000000/TYPE=PLNM").text(),
            "+358500000000/TYPE=PLNM"
        );
        assert_eq!(Address::new("10.0.0.1/TYPE=IPv4").kind(), AddressKind::Ipv4);
        assert_eq!(Address::new("::1/TYPE=ipv6").kind(), AddressKind::Ipv6);
        assert_eq!(
            Address::new("NowMMS <nowsms@now.co.uk>").kind(),
            AddressKind::Email
        );
        assert_eq!(Address::new("0000000000").kind(), AddressKind::Unqualified);
        assert_eq!(
            Address::plmn("+33611111111").to_string(),
            "+33611111111/TYPE=PLMN"
        );
    }
}

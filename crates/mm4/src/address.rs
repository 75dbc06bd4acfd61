//! Addresses on MM4 (TS 23.140 §8.4.4 and RFC 4356 §2.1): an MMS address
//! of type PLMN, IPv4/IPv6 or another `/TYPE=` travels over SMTP as
//! `<address>/TYPE=<type>@<domain of the MMSE>`, e.g.
//! `+15550001/TYPE=PLMN@mms.operator.example`; an e-mail address is
//! unchanged.

use ferry_mms::{Address, AddressKind};

/// Writes an MMS address in its MM4/SMTP form, adding `@domain` to any
/// address that is not already an e-mail address. A bare number (no
/// `/TYPE=`) is taken as a phone number and gets `/TYPE=PLMN`.
pub fn to_mm4(addr: &Address<'_>, domain: &str) -> String {
    match addr.kind() {
        AddressKind::Email => bare_email(&addr.value()).to_owned(),
        AddressKind::Unqualified => format!("{}/TYPE=PLMN@{domain}", addr.value().trim()),
        _ => format!("{}@{domain}", addr.text().trim()),
    }
}

/// The address inside `Name <addr>` or `<addr>`, or the text itself.
pub fn bare_email(text: &str) -> &str {
    let t = text.trim();
    match (t.rfind('<'), t.rfind('>')) {
        (Some(a), Some(b)) if a < b => t[a + 1..b].trim(),
        _ => t,
    }
}

/// An address read from an MM4 header or SMTP envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mm4Address {
    /// The MMS address: `+15550001/TYPE=PLMN` for a phone number, the whole
    /// e-mail address otherwise.
    pub address: Address<'static>,
    /// The domain after `@`, when there is one.
    pub domain: Option<String>,
}

/// Reads an MM4 address (`+15550001/TYPE=PLMN@mms.example`, with or
/// without angle brackets and display name).
pub fn from_mm4(text: &str) -> Mm4Address {
    let bare = bare_email(text);
    match bare.rfind('@') {
        Some(at) => {
            let (local, domain) = (&bare[..at], &bare[at + 1..]);
            let domain = Some(domain.to_owned());
            if local.to_ascii_uppercase().contains("/TYPE=") {
                Mm4Address {
                    address: Address::new(local.to_owned()),
                    domain,
                }
            } else {
                Mm4Address {
                    address: Address::email(bare),
                    domain,
                }
            }
        }
        None => Mm4Address {
            address: Address::new(bare.to_owned()),
            domain: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let table: &[(&str, &str)] = &[
            ("+15550001/TYPE=PLMN", "+15550001/TYPE=PLMN@mms.b.example"),
            ("15550001", "15550001/TYPE=PLMN@mms.b.example"),
            ("10.0.0.1/TYPE=IPv4", "10.0.0.1/TYPE=IPv4@mms.b.example"),
            ("alice@example.com", "alice@example.com"),
            ("Alice <alice@example.com>", "alice@example.com"),
        ];
        for (mms, mm4) in table {
            assert_eq!(to_mm4(&Address::new(*mms), "mms.b.example"), *mm4, "{mms}");
        }
        let a = from_mm4("<+15550001/TYPE=PLMN@mms.b.example>");
        assert_eq!(a.address.text(), "+15550001/TYPE=PLMN");
        assert_eq!(a.address.kind(), AddressKind::Plmn);
        assert_eq!(a.domain.as_deref(), Some("mms.b.example"));
        let e = from_mm4("Bob <bob@example.org>");
        assert_eq!(e.address.text(), "bob@example.org");
        assert_eq!(e.address.kind(), AddressKind::Email);
        assert_eq!(from_mm4("+1555/TYPE=PLMN").domain, None);
    }
}

//! SMSC delivery receipt text (SMPP 3.4 Appendix B).
//!
//! A deliver_sm whose esm_class message type is "SMSC Delivery Receipt"
//! carries, by custom (Appendix B says the format is SMSC-specific), the
//! short message
//!
//! ```text
//! id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text: . . .
//! ```
//!
//! [`DeliveryReceipt::parse`] is tolerant: keys in any case, in any order,
//! any of them missing, `submit_date`/`done_date` spelt with an underscore,
//! dates with or without seconds. [`DeliveryReceipt::to_text`] writes the
//! customary form.

use std::fmt::Write as _;

use crate::pdu::DeliverSm;
use crate::types::MessageState;

/// A receipt date: `YYMMDDhhmm`, or `YYMMDDhhmmss` as some SMSCs send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReceiptDate {
    /// Two-digit year.
    pub year: u8,
    /// Month.
    pub month: u8,
    /// Day.
    pub day: u8,
    /// Hour.
    pub hour: u8,
    /// Minute.
    pub minute: u8,
    /// Seconds, when the SMSC sent 12 digits.
    pub second: Option<u8>,
}

impl ReceiptDate {
    /// Parses 10 or 12 digits.
    pub fn parse(s: &str) -> Option<ReceiptDate> {
        let b = s.as_bytes();
        if !(b.len() == 10 || b.len() == 12) || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let d = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
        Some(ReceiptDate {
            year: d(0),
            month: d(2),
            day: d(4),
            hour: d(6),
            minute: d(8),
            second: (b.len() == 12).then(|| d(10)),
        })
    }

    fn write(&self, out: &mut String) {
        let _ = write!(
            out,
            "{:02}{:02}{:02}{:02}{:02}",
            self.year.min(99),
            self.month.min(99),
            self.day.min(99),
            self.hour.min(99),
            self.minute.min(99)
        );
        if let Some(s) = self.second {
            let _ = write!(out, "{:02}", s.min(99));
        }
    }
}

/// The fields of a delivery receipt; each may be missing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReceipt<'a> {
    /// `id:` the message id the SMSC gave in submit_sm_resp (decimal or hex
    /// depending on the SMSC: see [`DeliveryReceipt::id_matches`]).
    pub id: Option<&'a str>,
    /// `sub:` number of messages submitted.
    pub sub: Option<u32>,
    /// `dlvrd:` number delivered.
    pub dlvrd: Option<u32>,
    /// `submit date:`.
    pub submit_date: Option<ReceiptDate>,
    /// `done date:`.
    pub done_date: Option<ReceiptDate>,
    /// `stat:` the final state word (DELIVRD, UNDELIV, ...).
    pub stat: Option<&'a str>,
    /// `err:` network specific error code.
    pub err: Option<&'a str>,
    /// `text:` the first characters of the message (everything after the
    /// colon to the end).
    pub text: Option<&'a [u8]>,
}

const KEYS: [(&str, u8); 10] = [
    ("submit date", 3),
    ("submit_date", 3),
    ("done date", 4),
    ("done_date", 4),
    ("dlvrd", 2),
    ("stat", 5),
    ("text", 7),
    ("sub", 1),
    ("err", 6),
    ("id", 0),
];

impl<'a> DeliveryReceipt<'a> {
    /// Parses receipt text. `None` when no key at all is recognised.
    pub fn parse(text: &'a [u8]) -> Option<DeliveryReceipt<'a>> {
        let mut r = DeliveryReceipt::default();
        let mut found = false;
        let mut i = 0;
        while i < text.len() {
            let at_token = i == 0 || text[i - 1].is_ascii_whitespace();
            let matched = if at_token {
                match_key(&text[i..])
            } else {
                None
            };
            let Some((which, key_len)) = matched else {
                i += 1;
                continue;
            };
            found = true;
            let start = i + key_len;
            if which == 7 {
                if r.text.is_none() {
                    r.text = Some(&text[start..]);
                }
                break;
            }
            let end = text[start..]
                .iter()
                .position(u8::is_ascii_whitespace)
                .map_or(text.len(), |p| start + p);
            let value = std::str::from_utf8(&text[start..end]).ok();
            if let Some(v) = value {
                match which {
                    0 => r.id = r.id.or(Some(v)),
                    1 => r.sub = r.sub.or(v.parse().ok()),
                    2 => r.dlvrd = r.dlvrd.or(v.parse().ok()),
                    3 => r.submit_date = r.submit_date.or(ReceiptDate::parse(v)),
                    4 => r.done_date = r.done_date.or(ReceiptDate::parse(v)),
                    5 => r.stat = r.stat.or(Some(v)),
                    _ => r.err = r.err.or(Some(v)),
                }
            }
            i = end;
        }
        found.then_some(r)
    }

    /// Parses the receipt in a deliver_sm (its `message_payload` or
    /// `short_message`), taking the id from the `receipted_message_id` TLV
    /// when the text has none. `None` unless esm_class says it is a receipt.
    pub fn from_deliver_sm(sm: &'a DeliverSm<'_>) -> Option<DeliveryReceipt<'a>> {
        if !sm.esm_class.is_delivery_receipt() {
            return None;
        }
        let mut r = DeliveryReceipt::parse(sm.payload()).unwrap_or_default();
        if r.id.is_none() {
            r.id = sm
                .tlvs
                .receipted_message_id()
                .and_then(|b| std::str::from_utf8(b).ok());
        }
        Some(r)
    }

    /// The state named by `stat:`.
    pub fn message_state(&self) -> Option<MessageState> {
        self.stat.and_then(MessageState::from_receipt_stat)
    }

    /// Whether this receipt is for `message_id` (as returned in
    /// submit_sm_resp). Compares the text case-insensitively, then as
    /// numbers: decimal = decimal, hex = hex, and across radixes (some SMSCs
    /// answer submit_sm_resp in hex and write receipts in decimal, or the
    /// reverse, as Kannel's `msg-id-type` knows). The cross-radix match can
    /// pair two different ids; prefer [`DeliveryReceipt::id`] equality when
    /// the SMSC's convention is known.
    pub fn id_matches(&self, message_id: &str) -> bool {
        let Some(id) = self.id else { return false };
        if id.eq_ignore_ascii_case(message_id) {
            return true;
        }
        let dec = |s: &str| {
            if s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse::<u128>().ok()
            } else {
                None
            }
        };
        let hex = |s: &str| u128::from_str_radix(s, 16).ok();
        let eq = |a: Option<u128>, b: Option<u128>| matches!((a, b), (Some(x), Some(y)) if x == y);
        eq(dec(id), dec(message_id))
            || eq(hex(id), hex(message_id))
            || eq(dec(id), hex(message_id))
            || eq(hex(id), dec(message_id))
    }

    /// The customary text: present fields in the usual order; `sub` and
    /// `dlvrd` as three digits.
    pub fn to_text(&self) -> Vec<u8> {
        let mut s = String::new();
        let sep = |s: &mut String| {
            if !s.is_empty() {
                s.push(' ');
            }
        };
        if let Some(id) = self.id {
            sep(&mut s);
            let _ = write!(s, "id:{id}");
        }
        if let Some(v) = self.sub {
            sep(&mut s);
            let _ = write!(s, "sub:{v:03}");
        }
        if let Some(v) = self.dlvrd {
            sep(&mut s);
            let _ = write!(s, "dlvrd:{v:03}");
        }
        if let Some(d) = self.submit_date {
            sep(&mut s);
            s.push_str("submit date:");
            d.write(&mut s);
        }
        if let Some(d) = self.done_date {
            sep(&mut s);
            s.push_str("done date:");
            d.write(&mut s);
        }
        if let Some(v) = self.stat {
            sep(&mut s);
            let _ = write!(s, "stat:{v}");
        }
        if let Some(v) = self.err {
            sep(&mut s);
            let _ = write!(s, "err:{v}");
        }
        let mut out = s.into_bytes();
        if let Some(t) = self.text {
            if !out.is_empty() {
                out.push(b' ');
            }
            out.extend_from_slice(b"text:");
            out.extend_from_slice(t);
        }
        out
    }
}

/// Matches a key and its colon at the start of `s` (case-insensitive);
/// returns the field index and the length up to and including the colon.
fn match_key(s: &[u8]) -> Option<(u8, usize)> {
    for (key, which) in KEYS {
        let k = key.as_bytes();
        if s.len() > k.len() && s[..k.len()].eq_ignore_ascii_case(k) && s[k.len()] == b':' {
            return Some((which, k.len() + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = b"id:0123456789 sub:001 dlvrd:001 submit date:2401021530 done date:2401021531 stat:DELIVRD err:000 text:Hello world";

    #[test]
    fn parses_customary_form() {
        let r = DeliveryReceipt::parse(SAMPLE).unwrap();
        assert_eq!(r.id, Some("0123456789"));
        assert_eq!(r.sub, Some(1));
        assert_eq!(r.dlvrd, Some(1));
        assert_eq!(
            r.submit_date,
            Some(ReceiptDate {
                year: 24,
                month: 1,
                day: 2,
                hour: 15,
                minute: 30,
                second: None
            })
        );
        assert_eq!(r.done_date.unwrap().minute, 31);
        assert_eq!(r.stat, Some("DELIVRD"));
        assert_eq!(r.message_state(), Some(MessageState::DELIVERED));
        assert_eq!(r.err, Some("000"));
        assert_eq!(r.text, Some(&b"Hello world"[..]));
        assert_eq!(r.to_text(), SAMPLE);
    }

    #[test]
    fn tolerant() {
        let r = DeliveryReceipt::parse(b"ID:1A2B STAT:undeliv Err:034 Submit_Date:240102153012")
            .unwrap();
        assert_eq!(r.id, Some("1A2B"));
        assert_eq!(r.message_state(), Some(MessageState::UNDELIVERABLE));
        assert_eq!(r.err, Some("034"));
        assert_eq!(r.submit_date.unwrap().second, Some(12));
        assert_eq!(r.sub, None);
        assert_eq!(r.text, None);
        assert!(r.id_matches("6699")); // 0x1A2B = 6699
        assert!(r.id_matches("1a2b"));
        assert!(!r.id_matches("6698"));
        assert!(DeliveryReceipt::parse(b"hello there").is_none());
    }

    #[test]
    fn decimal_hex_ids() {
        let r = DeliveryReceipt {
            id: Some("255"),
            ..Default::default()
        };
        assert!(r.id_matches("FF"));
        assert!(r.id_matches("0255"));
        let r = DeliveryReceipt {
            id: Some("00ff"),
            ..Default::default()
        };
        assert!(r.id_matches("255"));
    }
}

//! Matching delivery receipts to what was sent (sans-I/O).
//!
//! When a request asked for a receipt and the SMSC accepted it, its
//! message_id is remembered with the caller's reference. A receipt names the
//! message by `receipted_message_id` (TLV) or by `id:` in its text; the id
//! is looked up exactly (case-insensitive) first, then as a number read in
//! decimal and in hex, because SMSCs differ on the radix between
//! submit_sm_resp and the receipt (Kannel's `msg-id-type`).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Entry {
    message_id: String,
    reference: Option<String>,
    expires: Instant,
}

/// What a receipt was matched to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Matched {
    pub(crate) message_id: String,
    pub(crate) reference: Option<String>,
}

#[derive(Debug)]
pub(crate) struct ReceiptTracker {
    by_id: HashMap<String, Entry>,
    by_number: HashMap<u128, String>,
    order: VecDeque<(Instant, String)>,
    ttl: Duration,
    max: usize,
}

fn numbers(id: &str) -> impl Iterator<Item = u128> {
    let dec = (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        .then(|| id.parse::<u128>().ok())
        .flatten();
    let hex = (!id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u128::from_str_radix(id, 16).ok())
        .flatten();
    dec.into_iter().chain(hex)
}

impl ReceiptTracker {
    pub(crate) fn new(ttl: Duration, max: usize) -> Self {
        ReceiptTracker {
            by_id: HashMap::new(),
            by_number: HashMap::new(),
            order: VecDeque::new(),
            ttl,
            max: max.max(1),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Remembers `message_id` (an empty id cannot be matched and is ignored).
    pub(crate) fn insert(&mut self, message_id: &str, reference: Option<String>, now: Instant) {
        if message_id.is_empty() {
            return;
        }
        self.expire(now);
        while self.by_id.len() >= self.max {
            let Some((_, key)) = self.order.pop_front() else {
                break;
            };
            self.remove_key(&key);
        }
        let key = message_id.to_ascii_lowercase();
        for n in numbers(&key) {
            self.by_number.entry(n).or_insert_with(|| key.clone());
        }
        let expires = now + self.ttl;
        self.order.push_back((expires, key.clone()));
        self.by_id.insert(
            key,
            Entry {
                message_id: message_id.to_owned(),
                reference,
                expires,
            },
        );
    }

    fn remove_key(&mut self, key: &str) -> Option<Entry> {
        let e = self.by_id.remove(key)?;
        for n in numbers(key) {
            if self.by_number.get(&n).is_some_and(|k| k == key) {
                self.by_number.remove(&n);
            }
        }
        Some(e)
    }

    /// Forgets entries past their time.
    pub(crate) fn expire(&mut self, now: Instant) {
        while let Some((t, _)) = self.order.front() {
            if *t > now {
                break;
            }
            let Some((_, key)) = self.order.pop_front() else {
                break;
            };
            // The key may have been re-inserted later with a later expiry.
            if self.by_id.get(&key).is_some_and(|e| e.expires <= now) {
                self.remove_key(&key);
            }
        }
    }

    /// Finds the message a receipt names, trying each candidate id in turn;
    /// forgets it when `final_state` (no further receipt is expected).
    pub(crate) fn lookup(&mut self, ids: &[&str], final_state: bool) -> Option<Matched> {
        let key = ids
            .iter()
            .map(|id| id.trim().to_ascii_lowercase())
            .find(|k| self.by_id.contains_key(k))
            .or_else(|| {
                ids.iter()
                    .flat_map(|id| numbers(&id.trim().to_ascii_lowercase()).collect::<Vec<_>>())
                    .find_map(|n| self.by_number.get(&n).cloned())
            })?;
        let matched = {
            let e = self.by_id.get(&key)?;
            Matched {
                message_id: e.message_id.clone(),
                reference: e.reference.clone(),
            }
        };
        if final_state {
            self.remove_key(&key);
        }
        Some(matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_then_numeric() {
        let t0 = Instant::now();
        let mut t = ReceiptTracker::new(Duration::from_secs(60), 10);
        t.insert("ABC123", Some("r1".into()), t0);
        t.insert("255", Some("r2".into()), t0);
        t.insert("", Some("never".into()), t0);
        assert_eq!(t.len(), 2);
        let m = t.lookup(&["abc123"], false).unwrap();
        assert_eq!(
            m,
            Matched {
                message_id: "ABC123".into(),
                reference: Some("r1".into())
            }
        );
        // A receipt writing the decimal id in hex.
        let m = t.lookup(&["nope", "FF"], true).unwrap();
        assert_eq!(m.reference.as_deref(), Some("r2"));
        // Final: forgotten.
        assert!(t.lookup(&["255"], true).is_none());
        assert!(t.lookup(&["zzz"], true).is_none());
    }

    #[test]
    fn expiry_and_cap() {
        let t0 = Instant::now();
        let mut t = ReceiptTracker::new(Duration::from_secs(10), 2);
        t.insert("a1", None, t0);
        t.insert("a2", None, t0 + Duration::from_secs(5));
        t.insert("a3", None, t0 + Duration::from_secs(6));
        assert_eq!(t.len(), 2);
        assert!(
            t.lookup(&["a1"], false).is_none(),
            "oldest dropped at the cap"
        );
        t.expire(t0 + Duration::from_secs(15));
        assert!(t.lookup(&["a2"], false).is_none());
        assert!(t.lookup(&["a3"], false).is_some());
        t.expire(t0 + Duration::from_secs(16));
        assert_eq!(t.len(), 0);
    }
}

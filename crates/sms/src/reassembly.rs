//! Reassembly of concatenated short messages (TS 23.040 §9.2.3.24.1,
//! §9.2.3.24.8), for WAP Push datagrams and long text alike.
//!
//! A sans-I/O core in the style of `quinn-proto`: the caller passes the
//! current time in, reads the next deadline with
//! [`Reassembler::poll_timeout`], and calls [`Reassembler::handle_timeout`]
//! when it passes. No clock, no timers, no allocation beyond the configured
//! limits.
//!
//! * A set is identified by the caller's key (normally the originator
//!   address), the reference number and its width (8/16-bit IE). Its total
//!   is fixed by the first segment seen; a segment with the same key and
//!   reference but another total is rejected ([`ReassemblyError::TotalMismatch`])
//!   until the pending set completes or expires.
//! * Segments may arrive in any order; exact duplicates are dropped
//!   silently, also after their set completed (a digest of each part of a
//!   completed set is remembered for the timeout, so a late retransmission
//!   does not open a new set; a segment with the same reference but other
//!   content does start a new message). Unsegmented messages cannot be told
//!   from a resend and are always returned. A segment whose sequence number is already held with
//!   different content, whose sequence number is 0 or above the total, or
//!   whose ports contradict the set's, is rejected with a typed error and
//!   the set is left as it was.
//! * Ports may be carried by every segment (Kannel, the python-messaging
//!   vectors) or only by some; both IE orders (ports then concat, concat
//!   then ports) are read.
//! * Memory is bounded: at most `max_pending_sets` incomplete sets and
//!   `max_pending_bytes` payload octets are held; past that, new segments
//!   are rejected (nothing pending is evicted).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::time::{Duration, Instant};

use crate::address::Address;
use crate::error::DecodeError;
use crate::tpdu::Tpdu;
use crate::udh::{Concat, Ports, UserDataHeader};
use crate::user_data::{Body, UserData};

/// Limits and timing of a [`Reassembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// How long an incomplete set is kept after its first segment arrived.
    pub timeout: Duration,
    /// Maximum number of incomplete sets held at once.
    pub max_pending_sets: usize,
    /// Maximum payload octets held in incomplete sets.
    pub max_pending_bytes: usize,
}

impl Default for ReassemblyConfig {
    /// 5 minutes, 1024 sets, 1 MiB.
    fn default() -> Self {
        Self { timeout: Duration::from_secs(300), max_pending_sets: 1024, max_pending_bytes: 1 << 20 }
    }
}

/// One received short message, reduced to what reassembly needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment<'a> {
    /// Concatenation IE, if any (none: the message is complete by itself).
    pub concat: Option<Concat>,
    /// Port addressing IE, if any.
    pub ports: Option<Ports>,
    /// The data after the header: octets, or unpacked septets for GSM
    /// 7-bit text (which then reassemble to septets).
    pub payload: Cow<'a, [u8]>,
}

impl<'a> Fragment<'a> {
    /// From an SMPP `short_message` (or any 8-bit user data whose length is
    /// the slice's). `udhi`: esm_class bit `0x40` / TP-UDHI.
    pub fn from_short_message(body: &'a [u8], udhi: bool) -> Result<Self, DecodeError> {
        if !udhi {
            return Ok(Self { concat: None, ports: None, payload: Cow::Borrowed(body) });
        }
        let (h, n) = UserDataHeader::decode(body, 0)?;
        Ok(Self { concat: h.concat(), ports: h.ports(), payload: Cow::Borrowed(&body[n..]) })
    }

    /// From decoded TP-User-Data.
    pub fn from_user_data(ud: &'a UserData<'_>) -> Self {
        let (concat, ports) = ud.header.as_ref().map_or((None, None), |h| (h.concat(), h.ports()));
        let payload = match &ud.body {
            Body::Septets(s) => Cow::Borrowed(&s[..]),
            Body::Octets(o) => Cow::Borrowed(&o[..]),
        };
        Self { concat, ports, payload }
    }
}

/// A complete message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassembled<K> {
    /// The caller's key.
    pub key: K,
    /// Ports, if any segment carried them.
    pub ports: Option<Ports>,
    /// Concatenation info of the set (`seq` is the total); `None` for a
    /// message that came unsegmented.
    pub concat: Option<Concat>,
    /// The payloads in sequence order.
    pub payload: Vec<u8>,
}

/// An incomplete set given up by [`Reassembler::handle_timeout`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired<K> {
    /// The caller's key.
    pub key: K,
    /// Reference number.
    pub reference: u16,
    /// Whether the reference was 16-bit.
    pub wide: bool,
    /// Announced total.
    pub total: u8,
    /// Sequence numbers received, ascending.
    pub received: Vec<u8>,
}

/// A segment that was not accepted. The reassembler's state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReassemblyError {
    /// The short message body or TPDU did not decode.
    #[error("cannot decode segment: {0}")]
    Decode(#[from] DecodeError),
    /// Sequence number 0, or above the total, or a total of 0.
    #[error("invalid sequence number {seq} of {total}")]
    InvalidSequence {
        /// Sequence number received.
        seq: u8,
        /// Total received.
        total: u8,
    },
    /// The pending set with this reference announced another total.
    #[error("total {got} does not match pending set's total {expected}")]
    TotalMismatch {
        /// The pending set's total.
        expected: u8,
        /// The segment's total.
        got: u8,
    },
    /// The sequence number is already held with different content.
    #[error("segment {seq} already received with different content")]
    Conflict {
        /// Sequence number.
        seq: u8,
    },
    /// The segment's ports contradict the set's.
    #[error("ports {got:?} do not match the set's {expected:?}")]
    PortsMismatch {
        /// Ports of the set.
        expected: Ports,
        /// Ports of the segment.
        got: Ports,
    },
    /// Holding this segment would exceed `max_pending_sets`.
    #[error("too many pending sets (limit {limit})")]
    TooManySets {
        /// The limit.
        limit: usize,
    },
    /// Holding this segment would exceed `max_pending_bytes`.
    #[error("too many pending bytes (limit {limit})")]
    TooManyBytes {
        /// The limit.
        limit: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SetKey<K> {
    key: K,
    reference: u16,
    wide: bool,
}

#[derive(Debug)]
struct Completed {
    id: u64,
    deadline: Instant,
    total: u8,
    digests: Vec<u64>,
}

fn digest(data: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = std::hash::DefaultHasher::new();
    h.write(data);
    h.finish()
}

#[derive(Debug)]
struct Pending {
    id: u64,
    deadline: Instant,
    total: u8,
    ports: Option<Ports>,
    parts: Vec<Option<Vec<u8>>>,
    received: usize,
    bytes: usize,
}

/// The reassembly state machine. `K` identifies the sender (for example an
/// [`Address`], or an SMPP source address string).
#[derive(Debug)]
pub struct Reassembler<K> {
    config: ReassemblyConfig,
    sets: HashMap<SetKey<K>, Pending>,
    deadlines: BTreeMap<(Instant, u64), SetKey<K>>,
    completed: HashMap<SetKey<K>, Completed>,
    completed_deadlines: BTreeMap<(Instant, u64), SetKey<K>>,
    bytes: usize,
    next_id: u64,
}

impl<K: Eq + Hash + Clone> Reassembler<K> {
    /// An empty reassembler.
    pub fn new(config: ReassemblyConfig) -> Self {
        Self {
            config,
            sets: HashMap::new(),
            deadlines: BTreeMap::new(),
            completed: HashMap::new(),
            completed_deadlines: BTreeMap::new(),
            bytes: 0,
            next_id: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ReassemblyConfig {
        &self.config
    }

    /// Number of incomplete sets held.
    pub fn pending_sets(&self) -> usize {
        self.sets.len()
    }

    /// Payload octets held in incomplete sets.
    pub fn pending_bytes(&self) -> usize {
        self.bytes
    }

    /// Takes one segment. Returns the whole message when this segment
    /// completes it (or when it was not segmented at all), `None` when more
    /// segments are awaited or it was an exact duplicate.
    pub fn handle_segment(
        &mut self,
        now: Instant,
        key: K,
        fragment: Fragment<'_>,
    ) -> Result<Option<Reassembled<K>>, ReassemblyError> {
        let Some(concat) = fragment.concat else {
            return Ok(Some(Reassembled {
                key,
                ports: fragment.ports,
                concat: None,
                payload: fragment.payload.into_owned(),
            }));
        };
        let Concat { reference, wide, total, seq } = concat;
        if total == 0 || seq == 0 || seq > total {
            return Err(ReassemblyError::InvalidSequence { seq, total });
        }
        let len = fragment.payload.len();
        let set_key = SetKey { key, reference, wide };
        if let Some(set) = self.sets.get_mut(&set_key) {
            if set.total != total {
                return Err(ReassemblyError::TotalMismatch { expected: set.total, got: total });
            }
            if let (Some(expected), Some(got)) = (set.ports, fragment.ports)
                && expected != got
            {
                return Err(ReassemblyError::PortsMismatch { expected, got });
            }
            let slot = usize::from(seq - 1);
            if let Some(held) = &set.parts[slot] {
                return if held[..] == fragment.payload[..] {
                    Ok(None)
                } else {
                    Err(ReassemblyError::Conflict { seq })
                };
            }
            let completes = set.received + 1 == usize::from(total);
            if !completes && self.bytes + len > self.config.max_pending_bytes {
                return Err(ReassemblyError::TooManyBytes { limit: self.config.max_pending_bytes });
            }
            set.ports = set.ports.or(fragment.ports);
            set.parts[slot] = Some(fragment.payload.into_owned());
            set.received += 1;
            set.bytes += len;
            self.bytes += len;
            if set.received < usize::from(total) {
                return Ok(None);
            }
            let set = self.sets.remove(&set_key).expect("set present");
            self.deadlines.remove(&(set.deadline, set.id));
            self.bytes -= set.bytes;
            let digests = set.parts.iter().map(|p| digest(p.as_deref().unwrap_or_default())).collect();
            self.remember(now, set_key.clone(), total, digests);
            let payload = set.parts.into_iter().flatten().flatten().collect();
            return Ok(Some(Reassembled {
                key: set_key.key,
                ports: set.ports,
                concat: Some(Concat { reference, wide, total, seq: total }),
                payload,
            }));
        }
        if let Some(done) = self.completed.get(&set_key)
            && done.total == total
            && done.digests[usize::from(seq - 1)] == digest(&fragment.payload)
        {
            // A late copy of a part of a message already returned.
            return Ok(None);
        }
        if let Some(done) = self.completed.remove(&set_key) {
            // The reference is in use again for a new message.
            self.completed_deadlines.remove(&(done.deadline, done.id));
        }
        if total == 1 {
            self.remember(now, set_key.clone(), 1, vec![digest(&fragment.payload)]);
            return Ok(Some(Reassembled {
                key: set_key.key,
                ports: fragment.ports,
                concat: Some(concat),
                payload: fragment.payload.into_owned(),
            }));
        }
        if self.sets.len() >= self.config.max_pending_sets {
            return Err(ReassemblyError::TooManySets { limit: self.config.max_pending_sets });
        }
        if self.bytes + len > self.config.max_pending_bytes {
            return Err(ReassemblyError::TooManyBytes { limit: self.config.max_pending_bytes });
        }
        let mut parts = vec![None; usize::from(total)];
        parts[usize::from(seq - 1)] = Some(fragment.payload.into_owned());
        let id = self.next_id;
        self.next_id += 1;
        let deadline = now + self.config.timeout;
        self.deadlines.insert((deadline, id), set_key.clone());
        self.sets.insert(
            set_key,
            Pending { id, deadline, total, ports: fragment.ports, parts, received: 1, bytes: len },
        );
        self.bytes += len;
        Ok(None)
    }

    /// Remembers the part digests of a completed set until the timeout, within
    /// `max_pending_sets` records (the oldest is forgotten first).
    fn remember(&mut self, now: Instant, set_key: SetKey<K>, total: u8, digests: Vec<u64>) {
        if self.config.max_pending_sets == 0 {
            return;
        }
        while self.completed.len() >= self.config.max_pending_sets {
            let Some((_, old)) = self.completed_deadlines.pop_first() else { break };
            self.completed.remove(&old);
        }
        let id = self.next_id;
        self.next_id += 1;
        let deadline = now + self.config.timeout;
        if let Some(prev) = self.completed.insert(set_key.clone(), Completed { id, deadline, total, digests }) {
            self.completed_deadlines.remove(&(prev.deadline, prev.id));
        }
        self.completed_deadlines.insert((deadline, id), set_key);
    }

    /// Takes an SMPP `short_message` body (UDH first when `udhi`).
    pub fn handle_short_message(
        &mut self,
        now: Instant,
        key: K,
        body: &[u8],
        udhi: bool,
    ) -> Result<Option<Reassembled<K>>, ReassemblyError> {
        let f = Fragment::from_short_message(body, udhi)?;
        self.handle_segment(now, key, f)
    }

    /// Takes decoded TP-User-Data.
    pub fn handle_user_data(
        &mut self,
        now: Instant,
        key: K,
        user_data: &UserData<'_>,
    ) -> Result<Option<Reassembled<K>>, ReassemblyError> {
        self.handle_segment(now, key, Fragment::from_user_data(user_data))
    }

    /// The earliest moment an incomplete set expires (or the record of a
    /// completed set may be forgotten).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let a = self.deadlines.keys().next().map(|&(t, _)| t);
        let b = self.completed_deadlines.keys().next().map(|&(t, _)| t);
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Drops every incomplete set whose deadline is at or before `now` and
    /// says which.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<Expired<K>> {
        while let Some(entry) = self.completed_deadlines.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let set_key = entry.remove();
            self.completed.remove(&set_key);
        }
        let mut out = Vec::new();
        while let Some(entry) = self.deadlines.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let set_key = entry.remove();
            if let Some(set) = self.sets.remove(&set_key) {
                self.bytes -= set.bytes;
                let received = (1..=set.total).filter(|&s| set.parts[usize::from(s - 1)].is_some()).collect();
                out.push(Expired {
                    key: set_key.key,
                    reference: set_key.reference,
                    wide: set_key.wide,
                    total: set.total,
                    received,
                });
            }
        }
        out
    }
}

impl<K: Eq + Hash + Clone> Default for Reassembler<K> {
    fn default() -> Self {
        Self::new(ReassemblyConfig::default())
    }
}

impl Reassembler<Address> {
    /// Takes a whole TPDU, keyed by its originator (SMS-DELIVER), destination
    /// (SMS-SUBMIT) or recipient (SMS-STATUS-REPORT) address. A status
    /// report without user data yields an empty message.
    pub fn handle_tpdu(&mut self, now: Instant, tpdu: &Tpdu<'_>) -> Result<Option<Reassembled<Address>>, ReassemblyError> {
        let key = match tpdu {
            Tpdu::Deliver(d) => d.originator.clone(),
            Tpdu::Submit(s) => s.destination.clone(),
            Tpdu::StatusReport(s) => s.recipient.clone(),
        };
        match tpdu.user_data() {
            Some(ud) => self.handle_user_data(now, key, ud),
            None => Ok(Some(Reassembled { key, ports: None, concat: None, payload: Vec::new() })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frag(reference: u16, total: u8, seq: u8, data: &[u8]) -> Fragment<'_> {
        Fragment {
            concat: Some(Concat { reference, wide: false, total, seq }),
            ports: Some(Ports::WAP_PUSH),
            payload: Cow::Borrowed(data),
        }
    }

    #[test]
    fn out_of_order_with_duplicates() {
        let t0 = Instant::now();
        let mut r = Reassembler::<u32>::default();
        assert_eq!(r.handle_segment(t0, 1, frag(5, 3, 3, b"c")), Ok(None));
        assert_eq!(r.handle_segment(t0, 1, frag(5, 3, 1, b"a")), Ok(None));
        assert_eq!(r.handle_segment(t0, 1, frag(5, 3, 1, b"a")), Ok(None));
        assert_eq!(r.handle_segment(t0, 1, frag(5, 3, 1, b"x")), Err(ReassemblyError::Conflict { seq: 1 }));
        assert_eq!(
            r.handle_segment(t0, 1, frag(5, 4, 2, b"b")),
            Err(ReassemblyError::TotalMismatch { expected: 3, got: 4 })
        );
        assert_eq!(r.handle_segment(t0, 1, frag(5, 3, 0, b"b")), Err(ReassemblyError::InvalidSequence { seq: 0, total: 3 }));
        assert_eq!(r.handle_segment(t0, 1, frag(5, 3, 4, b"b")), Err(ReassemblyError::InvalidSequence { seq: 4, total: 3 }));
        // Another sender with the same reference is another set.
        assert_eq!(r.handle_segment(t0, 2, frag(5, 3, 2, b"B")), Ok(None));
        let done = r.handle_segment(t0, 1, frag(5, 3, 2, b"b")).unwrap().unwrap();
        assert_eq!(done.payload, b"abc");
        assert_eq!(done.ports, Some(Ports::WAP_PUSH));
        assert_eq!(r.pending_sets(), 1);
        assert_eq!(r.pending_bytes(), 1);
        // A late duplicate of a completed set is dropped, not a new set...
        assert_eq!(r.handle_segment(t0, 1, frag(5, 3, 2, b"b")), Ok(None));
        assert_eq!(r.pending_sets(), 1);
        // ...but new content under the same reference is a new message.
        assert_eq!(r.handle_segment(t0, 1, frag(5, 3, 2, b"n")), Ok(None));
        assert_eq!(r.pending_sets(), 2);
    }

    #[test]
    fn timeout_expires_incomplete_sets() {
        let t0 = Instant::now();
        let cfg = ReassemblyConfig { timeout: Duration::from_secs(10), ..Default::default() };
        let mut r = Reassembler::<u32>::new(cfg);
        assert_eq!(r.poll_timeout(), None);
        r.handle_segment(t0, 1, frag(1, 2, 2, b"x")).unwrap();
        r.handle_segment(t0 + Duration::from_secs(5), 1, frag(2, 3, 1, b"y")).unwrap();
        assert_eq!(r.poll_timeout(), Some(t0 + Duration::from_secs(10)));
        assert!(r.handle_timeout(t0 + Duration::from_secs(9)).is_empty());
        let e = r.handle_timeout(t0 + Duration::from_secs(10));
        assert_eq!(e, [Expired { key: 1, reference: 1, wide: false, total: 2, received: vec![2] }]);
        assert_eq!(r.poll_timeout(), Some(t0 + Duration::from_secs(15)));
        assert_eq!(r.handle_timeout(t0 + Duration::from_secs(60)).len(), 1);
        assert_eq!((r.pending_sets(), r.pending_bytes()), (0, 0));
    }

    #[test]
    fn limits_reject_new_segments() {
        let t0 = Instant::now();
        let cfg = ReassemblyConfig { max_pending_sets: 1, max_pending_bytes: 4, ..Default::default() };
        let mut r = Reassembler::<u32>::new(cfg);
        r.handle_segment(t0, 1, frag(1, 3, 1, b"abc")).unwrap();
        assert_eq!(r.handle_segment(t0, 1, frag(2, 2, 1, b"a")), Err(ReassemblyError::TooManySets { limit: 1 }));
        assert_eq!(r.handle_segment(t0, 1, frag(1, 3, 2, b"de")), Err(ReassemblyError::TooManyBytes { limit: 4 }));
        r.handle_segment(t0, 1, frag(1, 3, 2, b"d")).unwrap();
        // A segment that completes a set is taken even past the limit: it frees the set.
        assert_eq!(r.handle_segment(t0, 1, frag(1, 3, 3, b"efg")).unwrap().unwrap().payload, b"abcdefg");
        assert_eq!(r.pending_bytes(), 0);
    }

    #[test]
    fn unsegmented_and_single_part() {
        let t0 = Instant::now();
        let mut r = Reassembler::<u32>::default();
        let body = [0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x01, 0x06];
        let m = r.handle_short_message(t0, 1, &body, true).unwrap().unwrap();
        assert_eq!((m.ports, m.payload), (Some(Ports::WAP_PUSH), vec![0x01, 0x06]));
        let m = r.handle_segment(t0, 1, frag(9, 1, 1, b"z")).unwrap().unwrap();
        assert_eq!(m.payload, b"z");
        assert_eq!(r.pending_sets(), 0);
    }

    #[test]
    fn ports_mismatch() {
        let t0 = Instant::now();
        let mut r = Reassembler::<u32>::default();
        r.handle_segment(t0, 1, frag(1, 2, 1, b"a")).unwrap();
        let mut f = frag(1, 2, 2, b"b");
        f.ports = Some(Ports { dest: 1, src: 2 });
        assert!(matches!(r.handle_segment(t0, 1, f), Err(ReassemblyError::PortsMismatch { .. })));
    }
}

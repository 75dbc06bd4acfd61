#![no_main]
//! Feeds arbitrary sequences of short-message bodies (UDH first) and
//! full TPDUs into the reassembler with a simulated clock, checking that
//! the configured limits always hold and that everything expires.
use std::time::{Duration, Instant};

use ferry_sms::{Reassembler, ReassemblyConfig, Tpdu};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cfg = ReassemblyConfig { timeout: Duration::from_millis(1000), max_pending_sets: 16, max_pending_bytes: 1024 };
    let mut bodies = Reassembler::<u8>::new(cfg);
    let mut tpdus = Reassembler::<ferry_sms::Address>::new(cfg);
    let t0 = Instant::now();
    let mut now = t0;
    // Records: [op, key, advance_ms, len, body...]
    let mut rest = data;
    while rest.len() >= 4 {
        let (op, key, advance, len) = (rest[0], rest[1], rest[2], usize::from(rest[3]));
        rest = &rest[4..];
        let body = &rest[..len.min(rest.len())];
        rest = &rest[body.len()..];
        now += Duration::from_millis(u64::from(advance) * 8);
        match op % 4 {
            0 | 1 => {
                if let Ok(Some(m)) = bodies.handle_short_message(now, key, body, op % 4 == 0) {
                    assert!(m.payload.len() <= body.len() + 1024);
                }
            }
            2 => {
                if let Ok((_, t)) = Tpdu::decode_with_smsc(body) {
                    let _ = tpdus.handle_tpdu(now, &t);
                }
            }
            _ => {
                if let Some(t) = bodies.poll_timeout() {
                    assert!(t > t0);
                    if t <= now {
                        bodies.handle_timeout(now);
                    }
                }
                tpdus.handle_timeout(now);
            }
        }
        assert!(bodies.pending_sets() <= 16 && bodies.pending_bytes() <= 1024);
        assert!(tpdus.pending_sets() <= 16 && tpdus.pending_bytes() <= 1024);
    }
    let later = now + Duration::from_secs(2);
    bodies.handle_timeout(later);
    tpdus.handle_timeout(later);
    assert_eq!((bodies.pending_sets(), bodies.pending_bytes()), (0, 0));
    assert_eq!((tpdus.pending_sets(), tpdus.pending_bytes()), (0, 0));
});

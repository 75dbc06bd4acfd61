//! Per-source protection of MM1: a request rate limit, and a growing
//! slow-down after repeated failures (wrong retrieval tokens, URLs of other
//! subscribers, wrong passwords).
//!
//! A *source* is the subscriber's MSISDN when a trusted proxy vouches for
//! it (all handsets of a network reach the MMSC through the same proxy
//! address, so the address would lump them together), and otherwise the
//! TCP peer's address (IPv6 by its /64). See [`crate::identity::Identifier::source`].
//!
//! - **Rate.** Each source has a token bucket: `guard.burst` requests at
//!   once, refilled at `guard.requests_per_sec`. A request that finds the
//!   bucket empty is answered 429 Too Many Requests with Retry-After (and an
//!   M-Send.conf / M-Retrieve.conf Error-transient-failure).
//! - **Failures.** A 404 or 403 answer, or a 401 to a request that carried
//!   credentials, counts as a failure of its source. The first
//!   `guard.failures_before_delay` failures within
//!   `guard.failure_window_secs` cost nothing; each further one blocks the
//!   source for 1 s, 2 s, 4 s, … up to `guard.max_delay_secs`, during which
//!   every request from it is answered 429 with Retry-After. A quiet window
//!   forgets the count.
//!
//! Memory is bounded: at most `guard.max_sources` sources are tracked; when
//! the table is full, idle sources are dropped first, then arbitrary
//! unblocked ones. Other sources are never slowed down.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// The `[guard]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardConfig {
    /// Requests per second one source may make on average. 0: no rate limit.
    #[serde(default = "default_rate")]
    pub requests_per_sec: u32,
    /// Requests one source may make at once before the rate applies.
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// Failures (404, 403, 401 with credentials) a source may have within
    /// the window before each further one blocks it. 0: failures never
    /// block.
    #[serde(default = "default_free")]
    pub failures_before_delay: u32,
    /// Failures older than this (since the last one) are forgotten, seconds.
    #[serde(default = "default_window")]
    pub failure_window_secs: u64,
    /// The longest a source is blocked after one failure, seconds.
    #[serde(default = "default_max_delay")]
    pub max_delay_secs: u64,
    /// Sources tracked at most (memory bound).
    #[serde(default = "default_max_sources")]
    pub max_sources: usize,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            requests_per_sec: default_rate(),
            burst: default_burst(),
            failures_before_delay: default_free(),
            failure_window_secs: default_window(),
            max_delay_secs: default_max_delay(),
            max_sources: default_max_sources(),
        }
    }
}

fn default_rate() -> u32 {
    100
}
fn default_burst() -> u32 {
    200
}
fn default_free() -> u32 {
    10
}
fn default_window() -> u64 {
    600
}
fn default_max_delay() -> u64 {
    300
}
fn default_max_sources() -> usize {
    100_000
}

/// Why a request was refused, and when to come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The source's request rate is exceeded.
    Rate(Duration),
    /// The source failed too often and is blocked.
    Blocked(Duration),
}

impl Refusal {
    /// How long the source should wait.
    pub fn retry_after(&self) -> Duration {
        match self {
            Refusal::Rate(d) | Refusal::Blocked(d) => *d,
        }
    }
}

#[derive(Debug)]
struct Entry {
    tokens: f64,
    refilled: Instant,
    failures: u32,
    last_failure: Option<Instant>,
    blocked_until: Option<Instant>,
}

/// The per-source table.
#[derive(Debug)]
pub struct Guard {
    c: GuardConfig,
    map: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    entries: HashMap<String, Entry>,
    pruned: Option<Instant>,
}

impl Guard {
    /// From the configuration.
    pub fn new(c: &GuardConfig) -> Self {
        Self {
            c: c.clone(),
            map: Mutex::new(Table::default()),
        }
    }

    fn window(&self) -> Duration {
        Duration::from_secs(self.c.failure_window_secs.max(1))
    }

    /// True when the entry holds nothing worth keeping at `now`.
    fn idle(&self, e: &Entry, now: Instant) -> bool {
        let full = self.c.requests_per_sec == 0
            || e.tokens
                + now.saturating_duration_since(e.refilled).as_secs_f64()
                    * f64::from(self.c.requests_per_sec)
                >= f64::from(self.c.burst.max(1));
        let forgotten = e
            .last_failure
            .is_none_or(|t| now.saturating_duration_since(t) > self.window());
        let free = e.blocked_until.is_none_or(|t| t <= now);
        full && forgotten && free
    }

    fn entry<'a>(&self, t: &'a mut Table, key: &str, now: Instant) -> Option<&'a mut Entry> {
        if !t.entries.contains_key(key) && t.entries.len() >= self.c.max_sources.max(1) {
            if t.pruned
                .is_none_or(|p| now.saturating_duration_since(p) >= Duration::from_secs(1))
            {
                t.entries.retain(|_, e| !self.idle(e, now));
                t.pruned = Some(now);
            }
            if t.entries.len() >= self.c.max_sources.max(1) {
                let victim = t
                    .entries
                    .iter()
                    .find(|(_, e)| e.blocked_until.is_none_or(|b| b <= now))
                    .map(|(k, _)| k.clone());
                match victim {
                    Some(k) => {
                        t.entries.remove(&k);
                    }
                    // Every tracked source is blocked: this one goes untracked.
                    None => return None,
                }
            }
        }
        Some(t.entries.entry(key.to_owned()).or_insert_with(|| Entry {
            tokens: f64::from(self.c.burst.max(1)),
            refilled: now,
            failures: 0,
            last_failure: None,
            blocked_until: None,
        }))
    }

    /// Lets a request of `key` through, or says why not.
    pub fn admit(&self, key: &str, now: Instant) -> Result<(), Refusal> {
        let mut t = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let rate = f64::from(self.c.requests_per_sec);
        let burst = f64::from(self.c.burst.max(1));
        let Some(e) = self.entry(&mut t, key, now) else {
            return Ok(());
        };
        if let Some(until) = e.blocked_until {
            if until > now {
                return Err(Refusal::Blocked(until - now));
            }
            e.blocked_until = None;
        }
        if rate == 0.0 {
            return Ok(());
        }
        let elapsed = now.saturating_duration_since(e.refilled).as_secs_f64();
        e.tokens = (e.tokens + elapsed * rate).min(burst);
        e.refilled = now;
        if e.tokens >= 1.0 {
            e.tokens -= 1.0;
            Ok(())
        } else {
            Err(Refusal::Rate(Duration::from_secs_f64(
                (1.0 - e.tokens) / rate,
            )))
        }
    }

    /// Records a failure of `key`; returns how long it is now blocked, if
    /// it is.
    pub fn failed(&self, key: &str, now: Instant) -> Option<Duration> {
        if self.c.failures_before_delay == 0 {
            return None;
        }
        let window = self.window();
        let mut t = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let free = self.c.failures_before_delay;
        let max = Duration::from_secs(self.c.max_delay_secs.max(1));
        let e = self.entry(&mut t, key, now)?;
        if e.last_failure
            .is_some_and(|l| now.saturating_duration_since(l) > window)
        {
            e.failures = 0;
        }
        e.failures = e.failures.saturating_add(1);
        e.last_failure = Some(now);
        if e.failures <= free {
            return None;
        }
        let k = (e.failures - free - 1).min(20);
        let d = Duration::from_secs(1u64 << k).min(max);
        e.blocked_until = Some(now + d);
        Some(d)
    }

    /// Sources tracked now (tests, metrics).
    pub fn tracked(&self) -> usize {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> GuardConfig {
        GuardConfig {
            requests_per_sec: 10,
            burst: 5,
            failures_before_delay: 3,
            failure_window_secs: 60,
            max_delay_secs: 8,
            max_sources: 4,
        }
    }

    #[test]
    fn rate_is_per_source_and_refills() {
        let g = Guard::new(&cfg());
        let t0 = Instant::now();
        for _ in 0..5 {
            g.admit("a", t0).unwrap();
        }
        let r = g.admit("a", t0).unwrap_err();
        assert!(
            matches!(r, Refusal::Rate(d) if d <= Duration::from_millis(100)),
            "{r:?}"
        );
        // Another source is not affected.
        g.admit("b", t0).unwrap();
        // 100 ms later one token is back.
        let t1 = t0 + Duration::from_millis(100);
        g.admit("a", t1).unwrap();
        assert!(g.admit("a", t1).is_err());
    }

    #[test]
    fn failures_block_with_a_growing_delay_and_are_forgotten() {
        let g = Guard::new(&cfg());
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(g.failed("x", t0), None);
        }
        assert_eq!(g.failed("x", t0), Some(Duration::from_secs(1)));
        assert_eq!(
            g.admit("x", t0),
            Err(Refusal::Blocked(Duration::from_secs(1)))
        );
        assert!(g.admit("y", t0).is_ok());
        let t1 = t0 + Duration::from_secs(1);
        assert!(g.admit("x", t1).is_ok());
        assert_eq!(g.failed("x", t1), Some(Duration::from_secs(2)));
        assert_eq!(g.failed("x", t1), Some(Duration::from_secs(4)));
        assert_eq!(g.failed("x", t1), Some(Duration::from_secs(8)));
        assert_eq!(g.failed("x", t1), Some(Duration::from_secs(8)), "capped");
        // A quiet window later the count starts again.
        let t2 = t1 + Duration::from_secs(70);
        assert!(g.admit("x", t2).is_ok());
        assert_eq!(g.failed("x", t2), None);
    }

    #[test]
    fn memory_is_bounded() {
        let g = Guard::new(&cfg());
        let t0 = Instant::now();
        for i in 0..100 {
            let _ = g.admit(&format!("s{i}"), t0);
        }
        assert!(g.tracked() <= 4);
        // A blocked source is not evicted by newcomers.
        for _ in 0..4 {
            g.failed("bad", t0);
        }
        for i in 0..100 {
            let _ = g.admit(&format!("n{i}"), t0 + Duration::from_millis(i));
        }
        assert!(matches!(g.admit("bad", t0), Err(Refusal::Blocked(_))));
        assert!(g.tracked() <= 4);
    }
}

//! Configuration: where to connect, how to bind, and the timers and limits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferry_smpp::{BindMode, INTERFACE_VERSION_34, Npi, Ton};
use tokio_rustls::rustls;

/// Everything [`crate::Esme::start`] needs.
#[derive(Clone, Debug)]
pub struct EsmeConfig {
    /// A name for logs and the `esme` metrics label (default: `system_id`).
    pub name: String,
    /// The SMSC's `host:port` (resolved again at each connection attempt).
    pub addr: String,
    /// TLS (rustls with the ring provider) around the TCP connection.
    pub tls: Option<TlsConfig>,
    /// Outbind (§4.1.7): instead of dialling `addr`, listen and wait for
    /// the SMSC to connect and send outbind, then bind (with `bind`,
    /// usually [`BindMode::Receiver`]) on that connection. `None`: dial.
    pub outbind: Option<OutbindConfig>,
    /// bind_transmitter, bind_receiver or bind_transceiver.
    pub bind: BindMode,
    /// `system_id` (at most 15 octets).
    pub system_id: String,
    /// `password` (at most 8 octets).
    pub password: String,
    /// `system_type` (at most 12 octets; usually empty).
    pub system_type: String,
    /// `interface_version` (0x34).
    pub interface_version: u8,
    /// `addr_ton` of `address_range`.
    pub addr_ton: Ton,
    /// `addr_npi` of `address_range`.
    pub addr_npi: Npi,
    /// `address_range` (at most 40 octets; usually empty).
    pub address_range: String,
    /// Most requests awaiting a response at once (default 10). A request
    /// beyond it waits in the queue for a slot.
    pub window: usize,
    /// How long a sent request may wait for its response (default 30 s).
    /// Past it the request fails with [`crate::Error::Timeout`] and frees
    /// its window slot.
    pub response_timeout: Duration,
    /// enquire_link after this long without hearing from the SMSC
    /// (default 30 s; `None`: never). An unanswered enquire_link
    /// (`response_timeout`) drops the connection, which is then re-made.
    pub enquire_link_interval: Option<Duration>,
    /// TCP (and TLS) connection set-up limit (default 10 s).
    pub connect_timeout: Duration,
    /// How long a request may wait to be sent, whether for a bound session
    /// or for a window slot or the rate limit (default 30 s). Past it it
    /// fails with [`crate::Error::NotBound`] or [`crate::Error::QueueTimeout`]
    /// without having been sent.
    pub queue_timeout: Duration,
    /// Delay between connection attempts.
    pub reconnect: Backoff,
    /// Throughput limit for requests (`None`: as fast as the window allows).
    pub rate_limit: Option<RateLimit>,
    /// Capacity of the inbound channel (default 256). While it is full the
    /// client stops reading from the socket, so the SMSC's own window
    /// holds further deliveries back.
    pub inbound_capacity: usize,
    /// How long a message_id is remembered for receipt matching (default
    /// 48 h).
    pub receipt_ttl: Duration,
    /// Most message_ids remembered for receipt matching (default 1,000,000;
    /// the oldest are forgotten first).
    pub max_tracked_receipts: usize,
}

impl EsmeConfig {
    /// A transceiver configuration with the defaults.
    pub fn new(
        addr: impl Into<String>,
        system_id: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        let system_id = system_id.into();
        EsmeConfig {
            name: system_id.clone(),
            addr: addr.into(),
            tls: None,
            outbind: None,
            bind: BindMode::Transceiver,
            system_id,
            password: password.into(),
            system_type: String::new(),
            interface_version: INTERFACE_VERSION_34,
            addr_ton: Ton::UNKNOWN,
            addr_npi: Npi::UNKNOWN,
            address_range: String::new(),
            window: 10,
            response_timeout: Duration::from_secs(30),
            enquire_link_interval: Some(Duration::from_secs(30)),
            connect_timeout: Duration::from_secs(10),
            queue_timeout: Duration::from_secs(30),
            reconnect: Backoff::default(),
            rate_limit: None,
            inbound_capacity: 256,
            receipt_ttl: Duration::from_secs(48 * 3600),
            max_tracked_receipts: 1_000_000,
        }
    }
}

/// Where to wait for the SMSC's outbind, and whom to accept it from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutbindConfig {
    /// `host:port` to listen on.
    pub listen: String,
    /// The SMSC's system_id expected in the outbind (`None`: any).
    pub system_id: Option<String>,
    /// The password expected in the outbind (`None`: any).
    pub password: Option<String>,
}

/// TLS settings: a rustls client configuration and the name to verify.
#[derive(Clone, Debug)]
pub struct TlsConfig {
    /// The client configuration (build it after
    /// `ferry_service::tls::install_ring_provider()`).
    pub client: Arc<rustls::ClientConfig>,
    /// The SMSC's name as its certificate gives it.
    pub server_name: rustls::pki_types::ServerName<'static>,
}

/// Exponential back-off with jitter between connection attempts.
///
/// Attempt `n` (0-based, reset after every successful bind) waits
/// `min(max, initial × multiplierⁿ)`, shortened by up to `jitter` of itself
/// at random so that many clients do not reconnect in step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// First delay (default 500 ms).
    pub initial: Duration,
    /// Cap (default 30 s).
    pub max: Duration,
    /// Growth per attempt (default 2).
    pub multiplier: f64,
    /// Fraction in 0..=1 taken off at random (default 0.25).
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            multiplier: 2.0,
            jitter: 0.25,
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempt`, with `random` in `0.0..1.0`.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let max = self.max.as_secs_f64();
        let base = (self.initial.as_secs_f64()
            * self.multiplier.max(1.0).powi(attempt.min(64) as i32))
        .min(max);
        let jitter = self.jitter.clamp(0.0, 1.0) * random.clamp(0.0, 1.0);
        Duration::from_secs_f64((base * (1.0 - jitter)).max(0.0))
    }
}

/// A token bucket: `per_second` requests on average, `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Sustained rate (messages per second, > 0).
    pub per_second: f64,
    /// Bucket size (at least 1).
    pub burst: u32,
}

impl RateLimit {
    /// `per_second` with a burst of 1 (evenly spaced requests).
    pub fn per_second(per_second: f64) -> Self {
        RateLimit {
            per_second,
            burst: 1,
        }
    }
}

/// The token bucket behind [`RateLimit`] (sans-I/O: the time is passed in).
#[derive(Clone, Debug)]
pub(crate) struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub(crate) fn new(limit: RateLimit, now: Instant) -> Self {
        let burst = f64::from(limit.burst.max(1));
        TokenBucket {
            rate: limit.per_second.max(1e-6),
            burst,
            tokens: burst,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.rate).min(self.burst);
        self.last = now;
    }

    /// Takes a token if one is there.
    pub(crate) fn try_take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// When the next token is there.
    pub(crate) fn next_token(&self, now: Instant) -> Instant {
        let missing = (1.0 - self.tokens).max(0.0);
        let since = now.saturating_duration_since(self.last).as_secs_f64();
        let wait = (missing / self.rate - since).max(0.0);
        now + Duration::from_secs_f64(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
            multiplier: 2.0,
            jitter: 0.5,
        };
        assert_eq!(b.delay(0, 0.0), Duration::from_millis(100));
        assert_eq!(b.delay(1, 0.0), Duration::from_millis(200));
        assert_eq!(b.delay(3, 0.0), Duration::from_millis(800));
        assert_eq!(b.delay(4, 0.0), Duration::from_secs(1));
        assert_eq!(b.delay(1000, 0.0), Duration::from_secs(1));
        // Jitter only shortens, by at most half here.
        let d = b.delay(10, 0.999);
        assert!(
            d >= Duration::from_millis(500) && d <= Duration::from_secs(1),
            "{d:?}"
        );
    }

    #[test]
    fn bucket_spaces_requests() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(
            RateLimit {
                per_second: 10.0,
                burst: 2,
            },
            t0,
        );
        assert!(b.try_take(t0));
        assert!(b.try_take(t0));
        assert!(!b.try_take(t0));
        let next = b.next_token(t0);
        assert!(next >= t0 + Duration::from_millis(99) && next <= t0 + Duration::from_millis(101));
        assert!(!b.try_take(t0 + Duration::from_millis(50)));
        assert!(b.try_take(t0 + Duration::from_millis(100)));
        // Never more than the burst after a long pause.
        let later = t0 + Duration::from_secs(10);
        assert!(b.try_take(later) && b.try_take(later) && !b.try_take(later));
    }
}

//! Who the subscriber behind a request is.
//!
//! Two ways, in this order:
//!
//! 1. The MSISDN header (configurable, `X-MSISDN` by default), believed only
//!    when the TCP peer is one of the configured trusted proxies. From any
//!    other peer the header is ignored (and logged).
//! 2. HTTP Basic credentials checked against the subscriber table (Argon2id
//!    hashes). Verified credentials are cached for a minute (keyed by a
//!    SHA-256 of user name and password) so that a handset's every request
//!    does not cost a hash.
//!
//! Otherwise the request is refused: HTTP 401 with a Basic challenge.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use base64::Engine;
use ferry_store::{Store, StoreError, Subscriber};
use sha2::{Digest, Sha256};

use crate::config::{IdentityConfig, Net, parse_net};

/// How the subscriber was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The network's MSISDN header from a trusted proxy.
    Header,
    /// HTTP Basic credentials.
    Basic,
    /// A peer operator's MMSC, acting for this subscriber of its own
    /// (sender-hosted retrieval, [`crate::peer`]).
    Peer,
}

/// An identified subscriber.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The MSISDN, normalised (see [`normalize_msisdn`]).
    pub msisdn: String,
    /// The subscriber's row, if it is in the table.
    pub subscriber: Option<Subscriber>,
    /// How.
    pub via: Via,
}

/// Why nobody could be identified.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// No header from a trusted proxy, and no (valid) credentials.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Strips the separators people write in phone numbers (spaces, `-`, `.`,
/// parentheses) and a `/TYPE=PLMN` suffix.
pub fn normalize_msisdn(s: &str) -> String {
    let s = s.trim();
    let s = match s.len().checked_sub(10) {
        Some(i) if s.is_char_boundary(i) && s[i..].eq_ignore_ascii_case("/TYPE=PLMN") => &s[..i],
        _ => s,
    };
    s.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect()
}

/// True for what looks like a phone number: an optional `+`, then 1 to 20
/// digits (or `*`/`#` for short codes).
pub fn is_msisdn(s: &str) -> bool {
    let d = s.strip_prefix('+').unwrap_or(s);
    !d.is_empty() && d.len() <= 20 && d.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
}

/// Identifies subscribers for one server.
#[derive(Debug)]
pub struct Identifier {
    header: String,
    trusted: Vec<Net>,
    basic: bool,
    subscriber_ttl: Duration,
    cache: Mutex<HashMap<[u8; 32], (Subscriber, Instant)>>,
}

const CACHE_TTL: Duration = Duration::from_secs(60);

impl Identifier {
    /// From the configuration (already checked).
    pub fn new(c: &IdentityConfig) -> Self {
        Self {
            header: c.msisdn_header.clone(),
            trusted: c.trusted_proxies.iter().filter_map(|p| parse_net(p).ok()).collect(),
            basic: c.basic_auth,
            subscriber_ttl: Duration::from_millis(c.subscriber_cache_ms),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Identifies the subscriber of a request from `peer`.
    pub async fn identify(&self, store: &Store, peer: IpAddr, headers: &HeaderMap) -> Result<Identity, IdentityError> {
        if let Some(v) = headers.get(self.header.as_str()) {
            if self.trusted.iter().any(|n| n.contains(peer)) {
                let msisdn = normalize_msisdn(v.to_str().unwrap_or(""));
                if !is_msisdn(&msisdn) {
                    return Err(IdentityError::Unauthenticated(
                        "the MSISDN header holds no phone number",
                    ));
                }
                let subscriber = store.subscriber_cached(&msisdn, self.subscriber_ttl).await?;
                return Ok(Identity {
                    msisdn,
                    subscriber,
                    via: Via::Header,
                });
            }
            tracing::warn!(%peer, header = %self.header, "MSISDN header from an untrusted peer ignored");
        }
        if self.basic
            && let Some((user, pass)) = basic_credentials(headers)
        {
            let key: [u8; 32] = Sha256::new()
                .chain_update(user.as_bytes())
                .chain_update([0])
                .chain_update(pass.as_bytes())
                .finalize()
                .into();
            let cached = {
                let mut c = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                match c.get(&key) {
                    Some((s, at)) if at.elapsed() < CACHE_TTL => Some(s.clone()),
                    Some(_) => {
                        c.remove(&key);
                        None
                    }
                    None => None,
                }
            };
            let sub = match cached {
                Some(s) => Some(s),
                None => {
                    let s = store.verify_password(&user, &pass).await?;
                    if let Some(s) = &s {
                        let mut c = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                        if c.len() > 100_000 {
                            c.clear();
                        }
                        c.insert(key, (s.clone(), Instant::now()));
                    }
                    s
                }
            };
            return match sub {
                Some(s) => Ok(Identity {
                    msisdn: normalize_msisdn(&s.msisdn),
                    subscriber: Some(s),
                    via: Via::Basic,
                }),
                None => Err(IdentityError::Unauthenticated("wrong user name or password")),
            };
        }
        Err(IdentityError::Unauthenticated(
            "subscriber not identified: no MSISDN from a trusted proxy and no credentials",
        ))
    }

    /// The source a request counts against in [`crate::guard`]: the
    /// MSISDN a trusted proxy vouches for (`msisdn:+1555…`), else the peer's
    /// address (`ip:192.0.2.1`; IPv6 by its /64, `ip6:2001:db8:1:2::/64`).
    pub fn source(&self, peer: IpAddr, headers: &HeaderMap) -> String {
        if let Some(v) = headers.get(self.header.as_str())
            && self.trusted.iter().any(|n| n.contains(peer))
        {
            let m = normalize_msisdn(v.to_str().unwrap_or(""));
            if is_msisdn(&m) {
                return format!("msisdn:{m}");
            }
        }
        source_of_ip(peer)
    }

    /// Forgets cached credentials (after a subscriber changed).
    pub fn forget(&self) {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// The guard's key of a bare address: IPv4 (and IPv4-mapped IPv6) as it
/// is, IPv6 by its /64 (one subscriber line usually gets a whole /64).
pub fn source_of_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("ip:{v4}"),
            None => {
                let s = v6.segments();
                format!("ip6:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The user name and password of an `Authorization: Basic …` header, if it
/// holds well-formed ones (RFC 7617: base64 of `user:password`, UTF-8).
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    basic_credentials_of(headers.get(axum::http::header::AUTHORIZATION)?.as_bytes())
}

/// [`basic_credentials`] of a header value's octets.
pub fn basic_credentials_of(value: &[u8]) -> Option<(String, String)> {
    let v = std::str::from_utf8(value).ok()?;
    let (scheme, b64) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msisdns() {
        assert_eq!(normalize_msisdn(" +1 555-000 (12).3 "), "+155500012.3".replace('.', ""));
        assert_eq!(normalize_msisdn("+15550001/TYPE=PLMN"), "+15550001");
        assert!(is_msisdn("+15550001"));
        assert!(is_msisdn("1234"));
        assert!(!is_msisdn("+"));
        assert!(!is_msisdn("alice@example.org"));
        assert!(!is_msisdn("+1555abc"));
    }

    #[test]
    fn basic_header() {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::AUTHORIZATION, "Basic dTpwOng=".parse().unwrap()); // u:p:x
        assert_eq!(basic_credentials(&h), Some(("u".into(), "p:x".into())));
        h.insert(axum::http::header::AUTHORIZATION, "Bearer x".parse().unwrap());
        assert_eq!(basic_credentials(&h), None);
    }
}

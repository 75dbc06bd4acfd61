//! # ferry-interconnect: other operators and e-mail
//!
//! What an MMSC needs to reach beyond its own subscribers:
//!
//! - [`router`]: which MMSC serves a recipient: own E.164 ranges, other
//!   operators' ranges with their MMSC and delivery method (`sender-hosted`
//!   or `mm4`), a number-portability table ([`portability`], SQLite) that
//!   overrides prefixes, national numbers normalised to international form,
//!   e-mail addresses recognised.
//! - [`listener`]: an SMTP server that accepts MM4 (and MM3 e-mail from
//!   the mail relay) only from configured peers: by source address, by
//!   sender domain, only for our domains (no relaying), under a size limit
//!   enforced while the data streams, with optional STARTTLS (rustls, ring).
//! - [`client`]: an SMTP client (lettre, rustls with ring) that sends MM4 to
//!   a peer MMSC and MM3 e-mail to a relay.
//!
//! ```text
//!  peer MMSC ──SMTP──► SmtpListener ──► smtp::Session (sans-I/O policy) ──► Mm4Handler::handle(InboundMessage)
//!                                                                              └─► ferry_mm4::parse / mm3::mms_from_email
//!  MMSC ──► Router::resolve(rcpt) ──► Route::Operator{method: Mm4} ──► ferry_mm4::forward_req ──► SmtpClient::send
//!                                 └─► Route::Email ──► ferry_mm4::mm3::email_from_mms ──► SmtpClient::send (relay)
//! ```
//!
//! Why the SMTP server is written by hand: the Rust SMTP server crates are
//! either unmaintained or buffer the whole DATA before any limit applies,
//! and none lets the policy (peer's sender domains, our recipient domains,
//! size counted while streaming) sit in a state machine that can be tested
//! without sockets. The subset needed here (RFC 5321 EHLO/HELO, MAIL with
//! SIZE, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT; RFC 3207
//! STARTTLS) is small: [`smtp`] is that state machine, [`listener`] drives
//! it with tokio. The client side is lettre.

#![forbid(unsafe_code)]

pub mod client;
pub mod config;
pub mod listener;
pub mod portability;
pub mod router;
pub mod smtp;

pub use client::{SendError, SmtpClient};
pub use config::{ClientConfig, ListenerConfig, PeerConfig, TlsFiles, TlsMode};
pub use listener::{InboundMessage, Mm4Handler, Rejection, SmtpListener};
pub use portability::Portability;
pub use router::{DeliveryMethod, OperatorConfig, Route, Router, RoutingConfig};

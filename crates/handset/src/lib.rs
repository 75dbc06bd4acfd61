//! # ferry-handset: a simulated phone (MMS user agent)
//!
//! A phone of a Ferry network: it is attached to an SMSC by an SMPP session
//! bound with its MSISDN, receives WAP Push over SMS, acts on MMS
//! notifications, fetches messages from the MMSC over HTTP (MM1), keeps what
//! it receives on disk, and composes and sends messages with a SMIL
//! presentation.
//!
//! ## Data flow
//!
//! ```text
//!  SMSC ──deliver_sm──► SmsLink (esme_link::EsmeLink, or any channel)
//!                          │
//!                          ▼
//!                      SmsInbox (reassembly, ports 2948/2949) ──► text SMS ──► Event::Text
//!                          │ WSP push datagram
//!                          ▼
//!                      Retriever (sans-I/O) ── poll_action ─► Record  ──► Mailbox (SQLite index)
//!                          ▲                               ├► Fetch   ──► Mm1Client GET (direct or via proxy)
//!                          │ handle_fetched / handle_stored├► Store   ──► Mailbox: folder via temp + rename, then index commit
//!                          └───────────────────────────────├► Post    ──► Mm1Client POST NotifyResp / Acknowledge
//!                                                          └► Alert   ──► Event stream (broadcast)
//!  Draft ──compose──► M-Send.req (multipart.related + SMIL) ──POST──► M-Send.conf ──► SendOutcome, Mailbox
//! ```
//!
//! ## Layout
//!
//! | module | what |
//! | --- | --- |
//! | [`config`] | `phone.toml`: MSISDN, SMSC, MMSC URL, proxy, identity, retrieval policy, reports |
//! | [`retrieval`] | the retrieval state machine (no I/O): immediate/deferred, duplicates, policy, retries, Unrecognised |
//! | [`sms`] | the [`SmsLink`](sms::SmsLink) trait and reassembly of short messages into WAP Push datagrams |
//! | [`esme_link`] | the real SMS attachment: an SMPP session (`ferry-esme`) bound with the MSISDN |
//! | [`mm1`] | HTTP GET/POST to the MMSC with the phone's identity (header or Basic), through the MMS proxy if set |
//! | [`store`] | the phone directory: `phone.toml`, `index.sqlite`, `messages/<id>/` |
//! | [`compose`] | M-Send.req with a SMIL slide show; SMIL reference resolution |
//! | [`sniff`] | media types from content (magic numbers), then the extension |
//! | [`phone`] | [`Phone::start`](phone::Phone::start) and its handle, the driver, and one-shot [`Offline`] commands |
//!
//! ## Two processes, one phone
//!
//! A running phone (`ferry phone watch`, or one a network launcher embeds)
//! owns the SMS attachment. Any other process can open the same directory
//! with [`phone::Offline`]: `inbox` and `show` read the index (SQLite in WAL
//! mode), `fetch`, `read` and `send` talk to the MMSC directly with the
//! phone's identity and write the index. Transaction ids are unique in the
//! index, so a notification is never fetched twice whichever process saw it.
//!
//! ## Why hand-written
//!
//! There is no MMS user agent library in Rust; the codecs are Ferry's own
//! (`ferry-mms`, `ferry-wsp`, `ferry-sms`) and this crate only adds the
//! behaviour of a phone on top of them.

#![forbid(unsafe_code)]

pub mod compose;
pub mod config;
pub mod esme_link;
pub mod mm1;
pub mod phone;
pub mod retrieval;
pub mod sms;
pub mod sniff;
pub mod store;

pub use compose::{Attachment, Draft};
pub use config::{IdentityMode, PhoneConfig, RetrievalMode};
pub use phone::{Event, Offline, Phone, PhoneHandle, ReadOutcome, SendOutcome};
pub use retrieval::{Action, Alert, Notice, Retriever};
pub use store::{Mailbox, MessageInfo, PartInfo, PhoneDir, Summary};

/// Runs `f` on a new multi-threaded tokio runtime (for the `ferry phone`
/// commands, whose `main` is synchronous).
pub fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(f))
}

/// Logging to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_logging() {
    ferry_service::telemetry::init_logging();
}

//! # ferry-network: a whole Ferry network in one process
//!
//! `ferry network up CONFIG.toml` starts, for each operator of the
//! configuration, the same servers that run alone — an SMSC (`ferry-smsc`),
//! a push gateway (`ferry-ppg`), an MMSC (`ferry-mmsc`) — each on its own
//! loopback port, plus an MMS proxy in front of the MMSC and the operator's
//! phones (`ferry-handset`), with every store (SQLite files, message
//! folders) under one data directory. `ferry demo` and `ferry bench` are
//! built on it.
//!
//! ```text
//!   phone ──HTTP──► MMS proxy (records) ──► MMSC ──PAP──► push gateway ──SMPP──► SMSC
//!     ▲                                      │ (recording push client)            │
//!     └────────── deliver_sm (tapped) ◄──────┼────────────────────────────────────┘
//!                                            └─ other operators' SMSCs: SMPP routes by number range
//! ```
//!
//! Observation points (for the demo's timeline, [`trace`]) are outside the
//! servers, so each runs exactly as it does alone:
//!
//! - [`proxy`]: the operator's MMS proxy. Phones reach the MMSC through it,
//!   as real phones reach theirs through the operator's WAP/MMS proxy; it
//!   records every MM1 PDU (M-Send.req/conf, GET/M-Retrieve.conf,
//!   NotifyResp, Acknowledge, Read-Rec) with size and duration, and can
//!   refuse GETs on purpose (tests of the retry path).
//! - [`notifier`]: the MMSC's push client wrapped by a recording one (PAP
//!   pushes and the gateway's answers).
//! - [`peering`]: the MMSCs' fetches from peer operators and relayed
//!   outcomes (sender-hosted retrieval).
//! - [`link`]: each phone's SMPP attachment, tapped (SMS segments, the WAP
//!   Push they make).
//! - the phones' own event streams (stored, deferred, reports, duplicates).
//!
//! | module | what |
//! | --- | --- |
//! | [`config`] | the network file (`examples/network.toml`) |
//! | [`network`] | [`Network::start`], phones attach/detach, `network.json`, shutdown |
//! | [`demo`] | `ferry demo`: the example network, three scenarios, the timeline |
//! | [`bench`] | `ferry bench`: virtual phones through the whole path, percentiles |
//! | [`png`] | the demo's picture, a PNG written at run time |
//!
//! Cross-operator MMS goes by sender-hosted retrieval between operators
//! that list each other in `peers` (the example's alpha and beta): the
//! sender's MMSC notifies the other operator's phone directly (each SMSC
//! routes the other ranges to the other SMSCs), and the phone's home MMSC
//! fetches the message from the sender's as a peer ([`demo`]'s third
//! scenario). MM4 and e-mail (MM3) are not wired into the network here.

#![forbid(unsafe_code)]

pub mod bench;
pub mod config;
pub mod demo;
pub mod faults;
pub mod fleet;
pub mod link;
pub mod mail;
pub mod network;
pub mod notifier;
pub mod peering;
pub mod png;
pub mod proxy;
pub mod trace;

pub use config::{NetworkConfig, OperatorConfig, PhoneEntry, Ports, Tuning};
pub use network::{NetPhone, Network, NetworkState, Operator, phone_dir};
pub use trace::{Step, TraceEvent, Tracer};

/// Logging to stderr filtered by `RUST_LOG`, `default` (e.g. `"warn"`)
/// when it is unset: the network's commands keep their output for the
/// timeline. Safe to call more than once.
pub fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs `f` on a new multi-threaded tokio runtime (the CLI's `main` is
/// synchronous).
pub fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("starting the tokio runtime: {e}"))?;
    Ok(rt.block_on(f))
}

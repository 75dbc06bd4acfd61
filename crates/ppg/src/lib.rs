//! # ferry-ppg: Ferry's WAP Push Proxy Gateway
//!
//! PAP 2.0 (WAP-247) over HTTP in, connectionless WSP Push over SMS out
//! through SMPP links, every push durable with its state; plus a PAP client
//! for the MMSC that also works against Kannel's gateway. Configuration,
//! endpoints, status codes and the state machine: `docs/PPG.md`.
//!
//! ```text
//!  initiator ─POST /pap─► http (auth, ferry_pap::Request::parse)
//!                              │
//!                      gateway::Gateway::submit ── checks (address, link, times)
//!                              │ compact WSP push (ferry_wsp::Push)
//!                      store::Writer (group commit, SQLite) ──► 1001
//!                              │ after commit
//!                      dispatch queue / deliver-after timers
//!                              │
//!                      bearer::Bearer (esme_bearer: ferry-esme, by prefix) ──► SMSC
//!                              ▲ receipts ─► final states ─► result notifications
//! ```
//!
//! | module | what |
//! | --- | --- |
//! | [`config`] | the TOML configuration (`examples/ppg.toml`) |
//! | [`http`] | axum routes: PAP, `/metrics`, `/healthz`; authentication |
//! | [`gateway`] | acceptance checks, delivery queue, scheduler, receipts, sweeps |
//! | [`store`] | SQLite schema, recovery, the group-commit writer |
//! | [`bearer`] | the link trait, prefix routing, an in-memory link |
//! | `esme_bearer` | the SMPP link on ferry-esme (feature `esme`, default) |
//! | [`client`] | the PAP client |
//! | `server`, `cli` | wiring for `ferry ppg serve / push / bench` |
//! | [`bench`] | load generator and counting SMPP sink |
//! | [`peers`] | running Kannel and `test_ppg` for tests and the benchmark |
//!
//! Why hand-written: no Rust crate implements a PPG; the PAP, WSP and SMS
//! formats are Ferry's own codec crates, HTTP is axum/reqwest, storage sqlx.
#![forbid(unsafe_code)]

pub mod bearer;
pub mod bench;
#[cfg(feature = "esme")]
pub mod cli;
pub mod client;
pub mod config;
#[cfg(feature = "esme")]
pub mod esme_bearer;
pub mod gateway;
pub mod http;
mod notify;
pub mod peers;
#[cfg(feature = "esme")]
pub mod server;
pub mod store;

pub use bearer::{Bearer, BearerError, MemoryBearer, Receipt, ReceiptState, Route, Routes, SendDone, SendOptions};
pub use config::Config;
pub use gateway::{Content, Gateway, Parts, Refusal};
pub(crate) use gateway::now;

//! # ferry-service: what every Ferry server shares
//!
//! Small, boring pieces that each server (SMSC, push gateway, MMSC, handset)
//! would otherwise write again:
//!
//! - [`config`]: a TOML file parsed into a `deny_unknown_fields` struct, with
//!   environment overrides, failing fast with every problem named.
//! - [`db`]: a SQLite pool set up for durability (WAL, `synchronous=FULL`,
//!   foreign keys, busy timeout) with a single writer connection, so that a
//!   commit that returned is on disk.
//! - [`shutdown`]: a cloneable signal that tells tasks to stop, and waits
//!   until they have (the mini-redis pattern), wired to SIGINT/SIGTERM.
//! - [`telemetry`]: tracing to stderr and a Prometheus recorder whose text
//!   each server exposes on `/metrics`.
//! - [`tls`]: installs rustls's ring provider once per process.
//! - [`ports`]: free ports for listeners bound later, never the same one
//!   twice and never from the kernel's ephemeral range.
//! - [`http`]: serves an axum router over HTTP/1.1 or HTTPS (rustls) with
//!   header and request timeouts and a per-address connection limit.

#![forbid(unsafe_code)]

pub mod config;
pub mod db;
pub mod http;
pub mod ports;
pub mod shutdown;
pub mod telemetry;
pub mod thread;
pub mod tls;

pub use shutdown::Shutdown;

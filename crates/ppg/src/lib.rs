//! # ferry-ppg: Ferry's WAP Push Proxy Gateway
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

pub use bearer::{Bearer, BearerError, MemoryBearer, Receipt, ReceiptState, Route, Routes, SendOptions};
pub use config::Config;
pub use gateway::{Content, Gateway, Parts, Refusal};
pub(crate) use gateway::now;

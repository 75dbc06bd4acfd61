//! ferry-sms: under construction.
#![forbid(unsafe_code)]

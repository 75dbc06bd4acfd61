//! ferry-smpp: under construction.
#![forbid(unsafe_code)]

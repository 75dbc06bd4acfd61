//! ferry-wsp
#![forbid(unsafe_code)]

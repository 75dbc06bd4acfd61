//! ferry-pap: under construction.
#![forbid(unsafe_code)]

//! ferry-mms
#![forbid(unsafe_code)]

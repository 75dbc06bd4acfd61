//! # ferry-interconnect (in progress)

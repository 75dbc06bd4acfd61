//! # ferry-mm4 (in progress)

//! `kuna-ramp`: not built yet (issue #6). This crate is a placeholder in the workspace layout and
//! exports nothing; nothing here pretends to work.
#![deny(missing_docs)]

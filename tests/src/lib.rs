//! End-to-end tests across the kukuruku-rs crates, and the support code they share.
//!
//! The tests themselves live in `tests/tests/`.
#![deny(missing_docs)]

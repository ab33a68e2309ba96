//! End-to-end tests across the crates, against `kukuruku-sandbox` on loopback: one test binary,
//! a module per area, sharing the support crate (`tests/src/lib.rs`, `kukuruku_e2e`).

mod bad_input;
mod browser;
mod chaos;
mod flows;
mod identity;
mod interop_python;
mod kuna;
mod secrets;
mod timeouts;

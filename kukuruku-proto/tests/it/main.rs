//! The integration tests of `kukuruku-proto`, one binary: properties of every parser and
//! round trip, the exact wire form of every request (insta snapshots, `snapshots/`), and the
//! PROTOCOL.md 1.1 vectors produced from typed requests.

mod properties;
#[cfg(feature = "sign")]
mod snapshots;
#[cfg(feature = "sign")]
mod support;
#[cfg(feature = "sign")]
mod vectors;

//! The integration tests of `kukuruku-proto`, one binary: the table of refused bad input,
//! properties of every parser and round trip, signed answers tied to the request they answer
//! (`replay`), the exact wire form of every request (insta snapshots, `snapshots/`), and the
//! PROTOCOL.md 1.1 vectors produced from typed requests.

mod bad_input;
mod properties;
#[cfg(feature = "sign")]
mod replay;
#[cfg(feature = "sign")]
mod snapshots;
#[cfg(feature = "sign")]
mod support;
#[cfg(feature = "sign")]
mod vectors;

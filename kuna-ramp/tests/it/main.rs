//! The integration tests of `kuna-ramp`, one binary: over a mock service, and against the
//! sandbox's Kuna on loopback.

mod mock;
mod sandbox;
mod support;

//! What the tests share: the merchant secret of the PROTOCOL.md 1.1 vectors.

/// The test key of PROTOCOL.md 1.1 (and of `tests/vectors/generate.sh`).
pub(crate) const KEY: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";

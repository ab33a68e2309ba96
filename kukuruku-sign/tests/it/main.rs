//! The integration tests of `kukuruku-sign`, one binary: the API's promises (`api`), the
//! properties of signing and verifying (`properties`, proptest; the failing seeds it found are
//! in `tests/proptest-regressions/properties.txt`, where proptest looks for this crate root),
//! and the published and cross-language vectors (`vectors`, with the files of `tests/vectors/`).

mod api;
mod properties;
mod support;
mod vectors;

//! `kukuruku-oidc`: not built yet (issue #5). This crate is a placeholder in the workspace layout and
//! exports nothing; nothing here pretends to work.
#![deny(missing_docs)]

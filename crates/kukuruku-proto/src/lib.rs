//! Sans-IO Kukuruku protocol (in progress).
#![deny(missing_docs)]

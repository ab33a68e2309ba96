//! The built `kukuruku` binary: sign, verify (exit codes and each diagnosis), sandbox, demo.

mod demo;
mod help;
mod sandbox;
mod sign;
mod support;
mod verify;

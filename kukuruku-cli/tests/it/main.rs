//! The built `kukuruku` binary: sign, verify (exit codes and each diagnosis), callback send and
//! check, sandbox, demo.

mod callback;
mod demo;
mod help;
mod sandbox;
mod sign;
mod support;
mod verify;

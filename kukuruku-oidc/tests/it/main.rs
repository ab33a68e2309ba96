//! The integration tests of `kukuruku-oidc`, one binary: the client against the sandbox
//! KukurukuID over real HTTP (`login`, `play`) and against certified implementations from npm
//! (`interop`), sharing `support`.

mod interop;
mod login;
mod play;
mod support;

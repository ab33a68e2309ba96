//! The integration tests of `kukuruku-oidc`, one binary: the client against the sandbox
//! KukurukuID over real HTTP (`login`, `play`, `attempts`, `security`, `redaction`), property
//! tests of untrusted numbers (`properties`), and against certified implementations from npm
//! (`interop`), sharing `support`.

mod attempts;
mod interop;
mod login;
mod play;
mod properties;
mod redaction;
mod security;
mod support;

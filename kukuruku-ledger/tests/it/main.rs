//! The integration tests of kukuruku-ledger, one binary: the backend-independent suite (run
//! here for SQLite and PostgreSQL), the SQLite backend's own cases, the route, the
//! server, the reconciler and the client.

mod client;
#[cfg(feature = "postgres")]
mod postgres;
mod reconciler;
mod route;
mod server;
mod sqlite;
mod suite;
mod support;

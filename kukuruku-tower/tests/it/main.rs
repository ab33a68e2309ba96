//! The integration tests of kukuruku-tower, one binary: a module per concern, sharing `support`.

mod axum_extract;
mod client;
mod interop;
mod sign_request;
mod support;
mod transport;
mod verify_response;
mod verify_signature;

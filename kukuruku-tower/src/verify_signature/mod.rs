//! Server side: verify the `signature` of incoming callbacks before anything reads them.
//!
//! [`VerifySignatureLayer`] checks, in this order:
//!
//! 1. a `Content-Length` (or an exact body size hint) over the limit (default 64 KiB): **413**
//!    before a byte is read;
//! 2. the `signature` header: missing, sent more than once, or not 128 hex digits: **401**
//!    before a byte is read. A doubled header is refused as ambiguous: which of the two would
//!    Kukuruku have meant? A proxy that merges or duplicates headers is a misconfiguration
//!    worth hearing about, not something to guess around;
//! 3. the body, read up to the limit (a streamed body that grows past it: **413**, a body that
//!    fails mid-stream: **400**, one that is not complete within the read timeout, default
//!    10 s counted from the first time the body makes the server wait: **408**);
//! 4. HMAC-SHA512 of the raw bytes received, in constant time, against every key of the
//!    [`Verifier`] (several keys allow a key rotation): no match is **401**.
//!
//! The 401 answer is PROTOCOL D2: `{"success":false,"err":"Invalid signature"}`. Every answer
//! can be replaced with [`VerifySignatureLayer::on_rejection`].
//!
//! On success the inner service receives the same bytes, unchanged and not copied, as an
//! `http::Request<Full<Bytes>>`, with a [`VerifiedSignature`] extension that says which key
//! matched. The read timeout uses tokio's timer: run the service inside a tokio runtime (every
//! hyper or axum server does).
//!
//! # With axum
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use kukuruku_proto::Callback;
//! use kukuruku_sign::{SecretKey, Verifier};
//! use kukuruku_tower::{VerifySignatureLayer, extract::Verified};
//!
//! async fn callback(Verified(update): Verified<Callback>) -> &'static str {
//!     // ... record `update` durably, then:
//!     r#"{"success":true}"#
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = SecretKey::new(std::env::var("KUKURUKU_SECRET_KEY")?)?;
//! let app: Router = Router::new()
//!     .route("/kukuruku/callback", post(callback))
//!     .layer(VerifySignatureLayer::new(Verifier::new(&key)).limit(64 * 1024));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! # With plain hyper
//!
//! ```no_run
//! use bytes::Bytes;
//! use http_body_util::Full;
//! use hyper_util::rt::{TokioExecutor, TokioIo};
//! use hyper_util::server::conn::auto;
//! use hyper_util::service::TowerToHyperService;
//! use kukuruku_sign::{SecretKey, Verifier};
//! use kukuruku_tower::{VerifiedSignature, VerifySignatureLayer};
//! use tower::ServiceBuilder;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = SecretKey::new(std::env::var("KUKURUKU_SECRET_KEY")?)?;
//! let service = ServiceBuilder::new()
//!     .layer(VerifySignatureLayer::new(Verifier::new(&key)))
//!     .service_fn(|req: http::Request<Full<Bytes>>| async move {
//!         assert!(req.extensions().get::<VerifiedSignature>().is_some());
//!         // ... parse and record req.body(), then:
//!         Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::from_static(
//!             br#"{"success":true}"#,
//!         ))))
//!     });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! loop {
//!     let (stream, _) = listener.accept().await?;
//!     let service = TowerToHyperService::new(service.clone());
//!     tokio::spawn(async move {
//!         let _ = auto::Builder::new(TokioExecutor::new())
//!             .serve_connection(TokioIo::new(stream), service)
//!             .await;
//!     });
//! }
//! # }
//! ```
//!
//! [`Verifier`]: kukuruku_sign::Verifier

// The layer (`layer.rs`) holds the settings and makes the service (`service.rs`), which checks
// the head (`head.rs`) and hands the body to its future (`future.rs`) to read, verify and call
// the inner service. A refused request becomes a `Rejection`, answered by the layer's
// `OnRejection` (`rejection.rs`); a verified one carries a `VerifiedSignature` (`extension.rs`).
mod extension;
mod future;
mod head;
mod layer;
mod rejection;
mod service;

pub use extension::VerifiedSignature;
pub use future::ResponseFuture;
pub use layer::{DEFAULT_LIMIT, DEFAULT_READ_TIMEOUT, VerifySignatureLayer};
pub use rejection::{DefaultRejection, OnRejection, Rejection};
pub use service::VerifySignature;

pub(crate) use head::check_head;
pub(crate) use rejection::read_error;

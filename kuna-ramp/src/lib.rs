//! The Kuna (KunaCore) institution API and on-ramp widget URL, for partners that authorise and
//! verify their customers themselves ("Type 2": partner authorisation and KYC).
//!
//! The flow: register the customer with your KYC data ([`KunaClient::create_customer`]), get a
//! widget token for them ([`KunaClient::ramp_token`]), send their browser to the widget URL that
//! carries it ([`RampToken::widget_url`]), and end the session on logout
//! ([`KunaClient::invalidate`]). [`KunaClient::open_widget`] does the first three in one call,
//! finding the customer by your `externalId` before creating one.
//!
//! ```no_run
//! # async fn run() -> Result<(), kuna_ramp::Error> {
//! use kuna_ramp::{Credentials, KunaClient, NewCustomer};
//!
//! let kuna = KunaClient::builder("https://kuna-core.example/", Credentials::api_key("…"))
//!     .institution_id("xyz98765-4321-0abc-def0-ghijklmnopqr")
//!     .build()?;
//! let customer = NewCustomer::builder()
//!     .email("viktor@example.com")
//!     .first_name("Viktor")
//!     .last_name("Tatov")
//!     .country("UA")
//!     .verification_document_id("1237654")
//!     .residence_address("my street ap.12")
//!     .external_id("user-42")
//!     .build()?;
//! let session = kuna.open_widget(&customer, "Mozilla/5.0 (the customer's browser)").await?;
//! // Redirect the customer to session.url.expose_secret(); never log it.
//! // On logout:
//! kuna.invalidate(&session.customer.id).await?;
//! # Ok(()) }
//! ```
//!
//! The public API, all at the crate root:
//!
//! | concept | items |
//! |---|---|
//! | the client | [`KunaClient`], [`KunaClientBuilder`] and its defaults ([`DEFAULT_TIMEOUT`], [`DEFAULT_RENEW_BEFORE`], [`DEFAULT_BODY_LIMIT`]), [`WidgetSession`] |
//! | credentials | [`Credentials`]: [`ApiKey`] or [`Login`] (and the assumed login shape) |
//! | customers | [`NewCustomer`] and [`NewCustomerBuilder`], [`CustomerUpdate`], [`CustomerQuery`], [`Customer`], [`CustomerPage`] |
//! | the widget | [`RampToken`], [`WidgetUrl`], [`DEFAULT_WIDGET_URL`] |
//! | statuses | [`WalletStatus`], [`VerificationStatus`], [`OperationStatus`] |
//! | checks before sending | [`ValidationError`], [`Problem`] |
//! | errors | [`Error`] |
//!
//! The client is generic over any tower HTTP service taking `http::Request<Full<Bytes>>`; the
//! default `transport` feature builds it over `kukuruku-tower`'s HTTPS transport
//! ([`KunaClientBuilder::build`]). Credentials, login tokens and widget tokens never appear in
//! `Debug` output or errors, and are zeroized on drop.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod client;
mod customer;
mod error;
mod status;
mod token;
mod validate;

pub use auth::{ApiKey, Credentials, Login};
pub use client::{
    DEFAULT_BODY_LIMIT, DEFAULT_RENEW_BEFORE, DEFAULT_TIMEOUT, KunaClient, KunaClientBuilder,
    WidgetSession,
};
pub use customer::{
    Customer, CustomerPage, CustomerQuery, CustomerUpdate, NewCustomer, NewCustomerBuilder,
};
pub use error::Error;
pub use status::{OperationStatus, VerificationStatus, WalletStatus};
pub use token::{DEFAULT_WIDGET_URL, RampToken, WidgetUrl};
pub use validate::{Problem, ValidationError};

//! A merchant's callback receiver, minimal: axum + `VerifySignatureLayer` + `Verified<Callback>`.
//!
//! The layer checks the signature over the raw bytes (401 otherwise); the extractor hands the
//! handler the parsed, verified update. What the handler must do before answering
//! `{"success":true}`: record the update durably, move the order only forward
//! (`OrderStatus::apply`, PROTOCOL 1.4; callbacks arrive at least once and maybe out of order,
//! D8), and credit a paid payin once.
//!
//! **For durable, exactly-once recording use kukuruku-ledger**: its `callback_route` is this
//! layer plus a ledger (SQLite by default) that records each update, its forward move and an
//! exactly-once event in one transaction before the 200, and a reconciler for callbacks lost
//! for good (see kukuruku-ledger/README.md). This example only logs.
//!
//! It is served by [`Server`](kukuruku_tower::Server) (feature `server`), not `axum::serve`: a
//! header-read timeout cuts off clients that open connections and send headers a byte at a
//! time (the verify layer's own timer starts at the body), and a connection cap keeps the rest
//! in the kernel's backlog.
//!
//! ```sh
//! KUKURUKU_SECRET_KEY=... KUKURUKU_LISTEN=127.0.0.1:8080 \
//!     cargo run -p kukuruku-tower --example axum_callback
//! ```

use std::env;
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use kukuruku_proto::{CALLBACK_ACK, Callback};
use kukuruku_tower::extract::Verified;
use kukuruku_tower::{SecretKey, Server, Verifier, VerifySignatureLayer};

/// The handler sees only verified bodies. A real one records the update before answering:
/// for durable, exactly-once recording use kukuruku-ledger.
async fn on_callback(Verified(update): Verified<Callback>) -> &'static [u8] {
    println!(
        "callback: order {} is {} (verified; not recorded: this example only logs)",
        update.id.as_str(),
        update.status
    );
    CALLBACK_ACK
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = SecretKey::new(env::var("KUKURUKU_SECRET_KEY")?)?;
    let listen = env::var("KUKURUKU_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    let app = Router::new()
        .route("/kukuruku/callback", post(on_callback))
        .route_layer(VerifySignatureLayer::new(Verifier::new(&key)));
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("listening on http://{listen}/kukuruku/callback");
    Server::new()
        .header_read_timeout(Duration::from_secs(5))
        .max_connections(1024)
        .serve(listener, app)
        .await?;
    Ok(())
}

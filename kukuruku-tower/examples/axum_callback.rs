//! A merchant's callback receiver: axum + `VerifySignatureLayer` + `Verified<Callback>`, with
//! every update recorded in SQLite **before** answering `{"success":true}`.
//!
//! Callbacks arrive at least once and maybe out of order (PROTOCOL D8): a status is applied
//! only when it moves the order forward (`OrderStatus::apply`), and a repeat or a late one is
//! answered with success too, so that Kukuruku stops retrying.
//!
//! ```sh
//! KUKURUKU_SECRET_KEY=... KUKURUKU_LISTEN=127.0.0.1:8080 KUKURUKU_DB=callbacks.sqlite3 \
//!     cargo run -p kukuruku-tower --example axum_callback
//! ```

use std::env;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Router, response::IntoResponse};
use kukuruku_proto::{CALLBACK_ACK, Callback, OrderStatus, StatusChange};
use kukuruku_tower::extract::Verified;
use kukuruku_tower::{SecretKey, Verifier, VerifySignatureLayer};
use rusqlite::{Connection, OptionalExtension, params};

type Db = Arc<Mutex<Connection>>;

fn open(path: &str) -> rusqlite::Result<Connection> {
    let db = Connection::open(path)?;
    db.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         CREATE TABLE IF NOT EXISTS orders (
             id           TEXT PRIMARY KEY,
             order_number TEXT,
             status       TEXT NOT NULL,
             updated_at   TEXT NOT NULL DEFAULT (datetime('now'))
         );
         CREATE TABLE IF NOT EXISTS callbacks (
             received_at TEXT NOT NULL DEFAULT (datetime('now')),
             order_id    TEXT NOT NULL,
             status      TEXT NOT NULL,
             outcome     TEXT NOT NULL
         );",
    )?;
    Ok(db)
}

/// Records one verified callback in a single transaction; returns what it meant.
fn record(db: &mut Connection, callback: &Callback) -> rusqlite::Result<StatusChange> {
    let tx = db.transaction()?;
    let current: Option<String> = tx
        .query_row(
            "SELECT status FROM orders WHERE id = ?1",
            params![callback.id.as_str()],
            |row| row.get(0),
        )
        .optional()?;
    let current = current.map(|text| OrderStatus::parse(&text));
    let change = OrderStatus::apply(current.as_ref(), &callback.status);
    if change.should_apply() {
        tx.execute(
            "INSERT INTO orders (id, order_number, status) VALUES (?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET status = excluded.status, updated_at = datetime('now')",
            params![
                callback.id.as_str(),
                callback
                    .order_number
                    .as_ref()
                    .map(|n| n.as_str().to_owned()),
                callback.status.as_str()
            ],
        )?;
    }
    tx.execute(
        "INSERT INTO callbacks (order_id, status, outcome) VALUES (?1, ?2, ?3)",
        params![
            callback.id.as_str(),
            callback.status.as_str(),
            format!("{change:?}")
        ],
    )?;
    tx.commit()?;
    Ok(change)
}

async fn callback(State(db): State<Db>, Verified(update): Verified<Callback>) -> impl IntoResponse {
    let outcome = tokio::task::spawn_blocking(move || {
        let mut db = db
            .lock()
            .map_err(|_| "the database lock is poisoned".to_owned())?;
        record(&mut db, &update)
            .map(|change| (update, change))
            .map_err(|err| err.to_string())
    })
    .await;
    let json = [(axum::http::header::CONTENT_TYPE, "application/json")];
    match outcome {
        Ok(Ok((update, change))) => {
            match change {
                StatusChange::Conflict => tracing::warn!(
                    order = update.id.as_str(),
                    status = update.status.as_str(),
                    "contradicting status: not applied, a human should look"
                ),
                StatusChange::Unrecognised => {
                    // No rule applies: let Kukuruku retry later (after an upgrade).
                    tracing::warn!(
                        order = update.id.as_str(),
                        status = update.status.as_str(),
                        "unknown status"
                    );
                    return (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        json,
                        &br#"{"success":false,"err":"Unknown status"}"#[..],
                    );
                }
                _ => tracing::info!(
                    order = update.id.as_str(),
                    status = update.status.as_str(),
                    ?change,
                    "callback recorded"
                ),
            }
            // Recorded durably (the transaction committed): acknowledge.
            (StatusCode::OK, json, CALLBACK_ACK)
        }
        Ok(Err(err)) => {
            tracing::error!(%err, "could not record the callback");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json,
                &br#"{"success":false,"err":"Not recorded"}"#[..],
            )
        }
        Err(err) => {
            tracing::error!(%err, "the recording task failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json,
                &br#"{"success":false,"err":"Not recorded"}"#[..],
            )
        }
    }
}

fn app(db: Db, verifier: Verifier) -> Router {
    Router::new()
        .route("/kukuruku/callback", post(callback))
        .with_state(db)
        .layer(VerifySignatureLayer::new(verifier).limit(64 * 1024))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let key = SecretKey::new(
        env::var("KUKURUKU_SECRET_KEY")
            .map_err(|_| "set KUKURUKU_SECRET_KEY to the merchant's secret key")?,
    )?;
    let db_path = env::var("KUKURUKU_DB").unwrap_or_else(|_| "callbacks.sqlite3".to_owned());
    let listen = env::var("KUKURUKU_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());

    let db = Arc::new(Mutex::new(open(&db_path)?));
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    tracing::info!(
        "listening on http://{}/kukuruku/callback, recording into {db_path}",
        listener.local_addr()?
    );
    axum::serve(listener, app(db, Verifier::new(&key))).await?;
    Ok(())
}

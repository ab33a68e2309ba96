//! The callback receivers measured, each served on ONE tokio thread (a current-thread runtime)
//! on a free loopback port, answering `{"success":true}` at `/callback`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::routing::{get, post};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use kukuruku_ledger::{PostgresStore, SqliteStore, Store, callback_route};
use kukuruku_proto::{CALLBACK_ACK, Callback, parse_callback};
use kukuruku_tower::extract::Verified;
use kukuruku_tower::{SecretKey, Server, Verifier, VerifySignatureLayer};
use tokio::net::TcpListener;

/// Which receiver.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum Kind {
    /// axum + `VerifySignatureLayer` + `Verified<Callback>` (the merchant's minimal receiver).
    AxumVerify,
    /// The same axum app without verification: the handler parses the body itself.
    AxumPlain,
    /// Plain hyper (hyper-util's auto connection builder) with the verify layer.
    HyperVerify,
    /// kukuruku-ledger's `callback_route` over SQLite (a fresh file in the temp folder).
    LedgerSqlite,
    /// kukuruku-ledger's `callback_route` over PostgreSQL (`KUKURUKU_TEST_POSTGRES_URL`).
    LedgerPostgres,
    /// Answers every POST at once and counts them; `GET /count` says how many.
    Sink,
}

/// Serves `kind` until killed.
pub(crate) fn serve(kind: Kind) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let verifier = Verifier::new(&SecretKey::new(crate::secret()).map_err(|e| e.to_string())?);
        let app = match kind {
            Kind::HyperVerify => return serve_hyper(listener, addr, verifier).await,
            Kind::AxumVerify => Router::new()
                .route("/callback", post(verified))
                .route_layer(VerifySignatureLayer::new(verifier)),
            Kind::AxumPlain => Router::new().route("/callback", post(plain)),
            Kind::LedgerSqlite => {
                let path = std::env::temp_dir().join(format!(
                    "kukuruku-bench-ledger-{}.sqlite3",
                    std::process::id()
                ));
                let store: Arc<dyn Store> =
                    Arc::new(SqliteStore::open(path).map_err(|e| e.to_string())?);
                Router::new().route("/callback", callback_route(store, verifier))
            }
            Kind::LedgerPostgres => {
                let url = std::env::var("KUKURUKU_TEST_POSTGRES_URL")
                    .map_err(|_| "KUKURUKU_TEST_POSTGRES_URL is not set".to_owned())?;
                let store: Arc<dyn Store> = Arc::new(
                    PostgresStore::connect(url)
                        .await
                        .map_err(|e| e.to_string())?,
                );
                Router::new().route("/callback", callback_route(store, verifier))
            }
            Kind::Sink => sink(),
        };
        println!("listening on http://{addr}/callback");
        Server::new()
            .max_connections(4096)
            .serve(listener, app)
            .await
            .map_err(|e| e.to_string())
    })
}

async fn verified(Verified(update): Verified<Callback>) -> &'static [u8] {
    std::hint::black_box(&update);
    CALLBACK_ACK
}

async fn plain(body: Bytes) -> (http::StatusCode, &'static [u8]) {
    match parse_callback(&body) {
        Ok(update) => {
            std::hint::black_box(&update);
            (http::StatusCode::OK, CALLBACK_ACK)
        }
        Err(_) => (http::StatusCode::BAD_REQUEST, b"{\"success\":false}"),
    }
}

fn sink() -> Router {
    let count = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&count);
    Router::new()
        .route(
            "/callback",
            post(move || {
                count.fetch_add(1, Ordering::Relaxed);
                std::future::ready(CALLBACK_ACK)
            }),
        )
        .route(
            "/count",
            get(move || std::future::ready(seen.load(Ordering::Relaxed).to_string())),
        )
}

async fn serve_hyper(
    listener: TcpListener,
    addr: SocketAddr,
    verifier: Verifier,
) -> Result<(), String> {
    let service = tower::ServiceBuilder::new()
        .layer(VerifySignatureLayer::new(verifier))
        .service_fn(|req: http::Request<Full<Bytes>>| async move {
            let body = req
                .into_body()
                .collect()
                .await
                .map(http_body_util::Collected::to_bytes);
            let ok = body.is_ok_and(|b| parse_callback(&b).is_ok());
            let mut answer = http::Response::new(Full::new(Bytes::from_static(CALLBACK_ACK)));
            if !ok {
                *answer.status_mut() = http::StatusCode::BAD_REQUEST;
            }
            Ok::<_, Infallible>(answer)
        });
    println!("listening on http://{addr}/callback");
    loop {
        let (stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

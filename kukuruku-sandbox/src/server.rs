//! The server: one hyper HTTP/1 connection per client, each bounded in how long it may take to
//! send a request's headers, at most so many at once, stopped gracefully.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

/// The most bytes a request's head (request line and headers) may take: a longer one is
/// refused by hyper (431, or the connection closed) before it reaches a route. hyper's default
/// (about 400 KiB) let a 100 KiB header through.
const MAX_HEAD_BYTES: usize = 32 * 1024;

/// What bounds the server's connections.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServeLimits {
    /// How long a client may take to send a request's headers.
    pub(crate) header_timeout: Duration,
    /// How many connections are served at once.
    pub(crate) max_connections: usize,
}

/// Serves `app` on `listener` until `stop` turns `true` (or its sender is gone), one hyper
/// HTTP/1 connection per client, each with `limits.header_timeout` to send a request's headers
/// (hyper closes the connection otherwise), at most `limits.max_connections` at once: the next
/// client is accepted only when a served connection closes (until then it waits in the
/// listener's backlog). On stop: no new connection, open ones finish their request and close,
/// and this returns when all are closed.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    mut stop: watch::Receiver<bool>,
) {
    let header_timeout = limits.header_timeout;
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut connections = JoinSet::new();
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot,
            _ = stop.wait_for(|stopped| *stopped) => break,
        };
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stopped| *stopped) => break,
        };
        while connections.try_join_next().is_some() {}
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(err) => {
                // Out of file descriptors, or a connection reset before it was accepted: wait
                // a little rather than spin.
                tracing::warn!(error = %err, "could not accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(app.clone());
        let mut stop = stop.clone();
        connections.spawn(async move {
            // The slot is the connection's until it closes.
            let _slot = slot;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_buf_size(MAX_HEAD_BYTES);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let finished = tokio::select! {
                result = connection.as_mut() => Some(result),
                _ = stop.wait_for(|stopped| *stopped) => None,
            };
            let result = if let Some(result) = finished {
                result
            } else {
                connection.as_mut().graceful_shutdown();
                connection.await
            };
            if let Err(err) = result {
                tracing::debug!(error = %err, "connection closed");
            }
        });
    }
    while connections.join_next().await.is_some() {}
}

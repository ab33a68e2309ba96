//! The server: one hyper HTTP/1 connection per client, each bounded in how long it may take to
//! send a request's headers, stopped gracefully.

use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Serves `app` on `listener` until `stop` turns `true` (or its sender is gone), one hyper
/// HTTP/1 connection per client, each with `header_timeout` to send a request's headers (hyper
/// closes the connection otherwise). On stop: no new connection, open ones finish their
/// request and close, and this returns when all are closed.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
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
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
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

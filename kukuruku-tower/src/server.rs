//! A server for a callback route: a header-read timeout and a connection cap (feature `server`).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The default header-read timeout.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// The default cap on open connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// An HTTP/1.1 server with the limits a public endpoint needs: a header-read
/// timeout (a client that opens connections and sends nothing, or sends headers a byte at a
/// time, is cut off) and a cap on open connections (the rest wait in the kernel's backlog
/// instead of exhausting file descriptors or memory).
///
/// `axum::serve` has neither setting; this is hyper's HTTP/1 connection builder
/// (`header_read_timeout`, with tokio's timer) behind a semaphore. The verify layer bounds
/// each body (64 KiB, 10 s); together they bound what one peer can hold.
///
/// ```no_run
/// # use std::time::Duration;
/// # #[tokio::main] async fn main() -> std::io::Result<()> {
/// let app = axum::Router::new(); // with the callback route behind `VerifySignatureLayer`
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
/// kukuruku_tower::Server::new()
///     .header_read_timeout(Duration::from_secs(5))
///     .max_connections(512)
///     .serve(listener, app)
///     .await
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Server {
    header_read_timeout: Duration,
    max_connections: usize,
}

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

impl Server {
    /// [`DEFAULT_HEADER_READ_TIMEOUT`] and [`DEFAULT_MAX_CONNECTIONS`].
    pub fn new() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }

    /// How long a client has to send a request's headers (each request of a kept-alive
    /// connection included); then the connection is closed.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How many connections are served at once; the next ones are accepted only when one
    /// closes.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// Serves `app` on `listener` until an accept fails for good (returned) or the task is
    /// dropped. A failed connection is logged at `debug` and does not stop the server.
    pub async fn serve(self, listener: TcpListener, app: Router) -> io::Result<()> {
        let permits = Arc::new(Semaphore::new(self.max_connections));
        loop {
            let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                return Ok(()); // never closed
            };
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(error) if is_transient(&error) => {
                    tracing::warn!(%error, "accept failed; retrying shortly");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                Err(error) => return Err(error),
            };
            let service = TowerToHyperService::new(app.clone());
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(self.header_read_timeout);
            tokio::spawn(async move {
                if let Err(error) = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!(%error, "connection ended with an error");
                }
                drop(permit);
            });
        }
    }
}

/// Accept errors that pass by themselves (a connection reset before it was accepted, too
/// many open files for a moment).
fn is_transient(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    ) || error
        .raw_os_error()
        .is_some_and(|code| code == 23 || code == 24) // ENFILE, EMFILE
}

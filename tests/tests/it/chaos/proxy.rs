//! The chaos proxy: an HTTP/1 server between the sandbox and the merchant's receivers that
//! injects the plan's faults (`plan::fault`) and replays old callbacks late.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use kukuruku_proto::parse_callback;
use tokio::net::TcpListener;

use super::plan::{self, Fault};

/// What the proxy saw and did.
#[derive(Debug, Default)]
pub(super) struct Counts {
    pub(super) deliveries: AtomicU64,
    pub(super) forwarded: AtomicU64,
    pub(super) fail_before: AtomicU64,
    pub(super) fail_after: AtomicU64,
    pub(super) hangs: AtomicU64,
    pub(super) resets: AtomicU64,
    pub(super) duplicates: AtomicU64,
    pub(super) dropped: AtomicU64,
    pub(super) replays: AtomicU64,
    pub(super) receiver_down: AtomicU64,
    /// Replays still in flight.
    pub(super) pending_replays: AtomicU64,
}

fn add(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// A signed callback as the sandbox sent it.
#[derive(Debug, Clone)]
struct Signed {
    body: Bytes,
    signature: HeaderValue,
}

pub(super) struct Proxy {
    seed: u64,
    /// Where the receivers listen (their callback URLs); a restart replaces one.
    receivers: RwLock<Vec<String>>,
    client: HttpClient<HttpConnector, Full<Bytes>>,
    tries: Mutex<HashMap<(String, String), u32>>,
    history: Mutex<Vec<Signed>>,
    /// Every body a receiver answered 2xx (each must be in the ledger's audit log).
    pub(super) acknowledged: Mutex<Vec<Bytes>>,
    pub(super) counts: Counts,
    hang: Duration,
    next: AtomicU64,
}

impl Proxy {
    /// A proxy to `receivers`, holding a hung delivery for `hang`; serves on loopback and
    /// returns its URL.
    pub(super) async fn start(
        seed: u64,
        receivers: Vec<String>,
        hang: Duration,
    ) -> (Arc<Self>, String) {
        let proxy = Arc::new(Self {
            seed,
            receivers: RwLock::new(receivers),
            client: HttpClient::builder(TokioExecutor::new()).build(HttpConnector::new()),
            tries: Mutex::default(),
            history: Mutex::default(),
            acknowledged: Mutex::default(),
            counts: Counts::default(),
            hang,
            next: AtomicU64::new(0),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/kukuruku/callback",
            listener.local_addr().unwrap()
        );
        let serving = Arc::clone(&proxy);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let proxy = Arc::clone(&serving);
                let service = service_fn(move |request| Arc::clone(&proxy).handle(request));
                tokio::spawn(async move {
                    // A reset ends the connection with an error: expected.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (proxy, url)
    }

    /// Points receiver `index` at a new URL (after a restart).
    pub(super) fn set_receiver(&self, index: usize, url: String) {
        self.receivers.write().unwrap()[index] = url;
    }

    async fn handle(
        self: Arc<Self>,
        request: Request<Incoming>,
    ) -> io::Result<Response<Full<Bytes>>> {
        add(&self.counts.deliveries);
        let signature = request.headers().get("signature").cloned();
        let body = request
            .into_body()
            .collect()
            .await
            .map_err(io::Error::other)?
            .to_bytes();
        let signed = Signed {
            body,
            signature: signature.unwrap_or_else(|| HeaderValue::from_static("")),
        };
        let (number, status) = match parse_callback(&signed.body) {
            Ok(order) => (
                order
                    .order_number
                    .map(|n| n.as_str().to_owned())
                    .unwrap_or_default(),
                order.status.as_str().to_owned(),
            ),
            Err(_) => return Ok(self.forward(&signed).await),
        };
        let attempt = {
            let mut tries = self.tries.lock().unwrap();
            let count = tries.entry((number.clone(), status.clone())).or_default();
            *count += 1;
            *count
        };
        let fault = plan::fault(self.seed, &number, &status, attempt);
        let answer = self.apply(fault, &signed).await;
        if !matches!(
            fault,
            Fault::Drop | Fault::FailBefore | Fault::Reset { after: false }
        ) {
            self.history.lock().unwrap().push(signed);
            if let Some(pick) = plan::replay(self.seed, &number, &status, attempt) {
                self.replay_later(pick);
            }
        }
        answer
    }

    async fn apply(&self, fault: Fault, signed: &Signed) -> io::Result<Response<Full<Bytes>>> {
        let counts = &self.counts;
        match fault {
            Fault::None => Ok(self.forward(signed).await),
            Fault::Drop => {
                add(&counts.dropped);
                Ok(error(StatusCode::INTERNAL_SERVER_ERROR))
            }
            Fault::FailBefore => {
                add(&counts.fail_before);
                Ok(error(StatusCode::INTERNAL_SERVER_ERROR))
            }
            Fault::FailAfter => {
                add(&counts.fail_after);
                self.forward(signed).await;
                Ok(error(StatusCode::INTERNAL_SERVER_ERROR))
            }
            Fault::Hang => {
                add(&counts.hangs);
                tokio::time::sleep(self.hang).await;
                Ok(self.forward(signed).await)
            }
            Fault::Reset { after } => {
                add(&counts.resets);
                if after {
                    self.forward(signed).await;
                }
                Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "chaos: reset",
                ))
            }
            Fault::Duplicate => {
                add(&counts.duplicates);
                let (first, _) = tokio::join!(self.forward(signed), self.forward(signed));
                Ok(first)
            }
        }
    }

    /// Sends an old callback again, 20 to 200 ms from now.
    fn replay_later(self: &Arc<Self>, pick: u64) {
        let old = {
            let history = self.history.lock().unwrap();
            let len = u64::try_from(history.len()).unwrap();
            history[usize::try_from(pick % len).unwrap()].clone()
        };
        add(&self.counts.replays);
        self.counts.pending_replays.fetch_add(1, Ordering::SeqCst);
        let proxy = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20 + pick % 180)).await;
            proxy.forward(&old).await;
            proxy.counts.pending_replays.fetch_sub(1, Ordering::SeqCst);
        });
    }

    /// Sends `signed` to the next receiver; its answer, or 502 when it cannot be reached.
    async fn forward(&self, signed: &Signed) -> Response<Full<Bytes>> {
        add(&self.counts.forwarded);
        let url = {
            let receivers = self.receivers.read().unwrap();
            let at = self.next.fetch_add(1, Ordering::Relaxed) % receivers.len() as u64;
            receivers[usize::try_from(at).unwrap()].clone()
        };
        let request = Request::post(url)
            .header(CONTENT_TYPE, "application/json")
            .header("signature", signed.signature.clone())
            .body(Full::new(signed.body.clone()))
            .unwrap();
        let sent =
            tokio::time::timeout(Duration::from_secs(10), self.client.request(request)).await;
        let Ok(Ok(response)) = sent else {
            add(&self.counts.receiver_down);
            return error(StatusCode::BAD_GATEWAY);
        };
        let status = response.status();
        let Ok(body) = response.into_body().collect().await else {
            add(&self.counts.receiver_down);
            return error(StatusCode::BAD_GATEWAY);
        };
        if status.is_success() {
            self.acknowledged.lock().unwrap().push(signed.body.clone());
        }
        let mut answer = Response::new(Full::new(body.to_bytes()));
        *answer.status_mut() = status;
        answer
    }
}

fn error(status: StatusCode) -> Response<Full<Bytes>> {
    let mut answer = Response::new(Full::new(Bytes::from_static(
        br#"{"success":false,"err":"chaos"}"#,
    )));
    *answer.status_mut() = status;
    answer
}

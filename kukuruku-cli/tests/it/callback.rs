//! `kukuruku callback send` and `kukuruku callback check`, run as the built binary against
//! receivers that are right and receivers that are wrong, each for one reason: every check is
//! shown passing against a right receiver and failing, with its own message, against a wrong one.
//!
//! | receiver | what it gets wrong | fails |
//! |---|---|---|
//! | the SDK's (`VerifySignatureLayer` + `Verified<Callback>` + an in-memory store) | nothing | nothing |
//! | a careful hand-written one ([`Receiver::default`]) | nothing | nothing |
//! | Python (`tests/interop/receiver_python.py`), PHP (`receiver_php.php`) | nothing | nothing |
//! | Node, the providers' recipe (`receiver_node.js`: Express + js-sha512 over `JSON.stringify`) | re-serialises | the three serialisation checks |
//! | [`accept_everything`] | answers 200 to everything | every refusal, oversized, GET |
//! | [`Verify::Reserialised`] (Rust) | re-serialises | the three serialisation checks |
//! | [`Verify::FirstHeader`] | reads the first of two signature headers | two signatures |
//! | [`Verify::Prefix`] | compares a prefix | 127 digits |
//! | [`Verify::OtherKey`] | has another secret | accepts-valid |
//! | [`Mistake`]: `RefuseRepeat`, `RefuseStale`, `Slow`, `NoLimit`, `ServeGet` | one each | one each |
//!
//! The Python, PHP and Node receivers need python3, php and `npm ci` in tests/interop: without
//! them those tests print SKIP and pass, unless `KUKURUKU_REQUIRE_INTEROP=1` (CI).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use kukuruku_proto::{CALLBACK_ACK, Callback, Order, OrderStatus, StatusChange};
use kukuruku_sign::{SecretKey, Signer, Verifier};
use kukuruku_tower::VerifySignatureLayer;
use kukuruku_tower::extract::Verified;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_kukuruku");
const KEY: &str = "callback-bench-test-secret";
const REQUIRED: [&str; 13] = [
    "accepts-valid",
    "repeat",
    "stale-after-final",
    "refuses-changed-body",
    "refuses-other-key",
    "refuses-missing-signature",
    "refuses-short-signature",
    "refuses-two-signatures",
    "accepts-escaped-slashes",
    "accepts-unicode-escapes",
    "accepts-spaced-json",
    "refuses-oversized-body",
    "refuses-get",
];
const SERIALISATION: [&str; 3] = [
    "accepts-escaped-slashes",
    "accepts-unicode-escapes",
    "accepts-spaced-json",
];
const RAW_BYTES: &str = "it must verify the raw bytes received";

// ---------------------------------------------------------------------------------------------
// Running the binary.

fn kukuruku(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("KUKURUKU_SECRET_KEY", KEY)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    let text = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!text.contains("panicked"), "a panic: {text}");
    text
}

/// `kukuruku callback check URL --json …`: the exit code and the report.
fn check(url: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["callback", "check", url, "--json"];
    args.extend_from_slice(extra);
    let out = kukuruku(&args);
    let err = stderr(&out);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{err}", stdout(&out)));
    let code = out.status.code().expect("an exit code");
    assert_eq!(report["exit_code"], code, "{report:#}");
    (code, report)
}

fn entry<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

fn outcome(report: &Value, id: &str) -> String {
    entry(report, id)["outcome"].as_str().unwrap().to_owned()
}

fn message(report: &Value, id: &str) -> String {
    entry(report, id)["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The ids of the required checks that failed.
fn failed(report: &Value) -> Vec<String> {
    REQUIRED
        .iter()
        .filter(|id| outcome(report, id) == "fail")
        .map(|id| (*id).to_owned())
        .collect()
}

/// Exactly `expected` failed (exit 1), every other required check passed without a warning.
fn fails_exactly(code: i32, report: &Value, expected: &[&str]) {
    assert_eq!(failed(report), expected, "{report:#}");
    for id in REQUIRED.iter().filter(|id| !expected.contains(id)) {
        assert_eq!(outcome(report, id), "pass", "{id}: {report:#}");
    }
    assert_eq!(code, i32::from(!expected.is_empty()), "{report:#}");
    assert_eq!(report["passed"], expected.is_empty());
}

fn sign(key: &str, body: &[u8]) -> String {
    Signer::new(&SecretKey::new(key).unwrap())
        .sign(body)
        .to_hex()
        .as_str()
        .to_owned()
}

fn temp_file(name: &str, content: &[u8]) -> PathBuf {
    let path =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", std::process::id()));
    std::fs::write(&path, content).unwrap();
    path
}

// ---------------------------------------------------------------------------------------------
// Receivers in this process.

/// An axum app served on its own thread until dropped.
struct Server {
    url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn serve(app: Router) -> Server {
    serve_on(SocketAddr::from(([127, 0, 0, 1], 0)), app)
}

/// A receiver that makes one mistake, served on a loopback port.
fn serve_mistaken(mistake: Mistake) -> Server {
    serve(
        Receiver {
            mistake: Some(mistake),
            ..Receiver::default()
        }
        .app(),
    )
}

fn serve_on(addr: SocketAddr, app: Router) -> Server {
    let listener = TcpListener::bind(addr).unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
    });
    Server {
        url: format!("http://{addr}/callback"),
        _stop: stop,
    }
}

type Orders = Arc<Mutex<HashMap<String, OrderStatus>>>;

/// Records the update if it moves the order forward; what it meant.
fn record(orders: &Orders, update: &Callback) -> StatusChange {
    let mut orders = orders.lock().unwrap();
    let change = OrderStatus::apply(orders.get(update.id.as_str()), &update.status);
    if change.should_apply() {
        orders.insert(update.id.as_str().to_owned(), update.status.clone());
    }
    change
}

fn json(status: StatusCode, body: &'static [u8]) -> Response {
    (status, [(CONTENT_TYPE, "application/json")], body).into_response()
}

/// The SDK's own receiver: the verify layer, the `Verified<Callback>` extractor, and a small
/// in-memory store applying PROTOCOL 1.4's moves (an unknown status is refused, so that
/// Kukuruku delivers it again later).
fn sdk_receiver() -> Router {
    async fn callback(
        State(orders): State<Orders>,
        Verified(update): Verified<Callback>,
    ) -> Response {
        match record(&orders, &update) {
            StatusChange::Unrecognised => json(
                StatusCode::UNPROCESSABLE_ENTITY,
                br#"{"success":false,"err":"Unknown status"}"#,
            ),
            _ => json(StatusCode::OK, CALLBACK_ACK),
        }
    }
    let verifier = Verifier::new(&SecretKey::new(KEY).unwrap());
    Router::new()
        .route("/callback", post(callback))
        .with_state(Orders::default())
        .layer(VerifySignatureLayer::new(verifier).limit(64 * 1024))
}

/// Answers 200 `{"success":true}` to everything, body read or not.
fn accept_everything() -> Router {
    Router::new().route(
        "/callback",
        any(|_body: Bytes| async { json(StatusCode::OK, CALLBACK_ACK) }),
    )
}

/// How a hand-written receiver checks the signature.
#[derive(Debug, Clone, Copy)]
enum Verify {
    /// Exactly one header, HMAC of the raw bytes with the right key, constant time.
    Correct,
    /// With another secret key.
    OtherKey,
    /// Over `serde_json` re-serialising the parsed body (the Node recipe's mistake).
    Reserialised,
    /// The first of several `signature` headers.
    FirstHeader,
    /// The expected signature starts with the header (a length-bounded comparison).
    Prefix,
}

/// One way a hand-written receiver gets the rest wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mistake {
    /// Reads a body of any size.
    NoLimit,
    /// Answers 500 to a repeated callback.
    RefuseRepeat,
    /// Answers 409 to a status that would move the order backwards.
    RefuseStale,
    /// Sleeps this long before acknowledging.
    Slow(Duration),
    /// Answers GET with 200.
    ServeGet,
}

/// A hand-written receiver: right by default (exactly one signature header verified over the
/// raw bytes, a 64 KiB limit by Content-Length, repeats and stale statuses acknowledged, GET
/// refused), wrong in the way its fields say.
#[derive(Debug, Clone, Copy)]
struct Receiver {
    verify: Verify,
    mistake: Option<Mistake>,
    /// The status of a refused signature.
    refusal: StatusCode,
    /// The body of an acknowledgement.
    ack: &'static [u8],
}

impl Default for Receiver {
    fn default() -> Self {
        Self {
            verify: Verify::Correct,
            mistake: None,
            refusal: StatusCode::UNAUTHORIZED,
            ack: CALLBACK_ACK,
        }
    }
}

impl Receiver {
    fn verified(self, headers: &HeaderMap, body: &[u8]) -> bool {
        let all: Vec<&[u8]> = headers
            .get_all("signature")
            .iter()
            .map(axum::http::HeaderValue::as_bytes)
            .collect();
        let key = SecretKey::new(KEY).unwrap();
        let verifier = Verifier::new(&key);
        let one = if all.len() == 1 { Some(all[0]) } else { None };
        match self.verify {
            Verify::Correct => one.is_some_and(|h| verifier.verify(body, h).is_ok()),
            Verify::OtherKey => one.is_some_and(|h| {
                Verifier::new(&SecretKey::new("not-the-merchant-key").unwrap())
                    .verify(body, h)
                    .is_ok()
            }),
            Verify::Reserialised => one.is_some_and(|h| {
                serde_json::from_slice::<Value>(body)
                    .ok()
                    .and_then(|value| serde_json::to_vec(&value).ok())
                    .is_some_and(|bytes| verifier.verify(&bytes, h).is_ok())
            }),
            Verify::FirstHeader => all
                .first()
                .is_some_and(|h| verifier.verify(body, h).is_ok()),
            Verify::Prefix => {
                one.is_some_and(|h| !h.is_empty() && sign(KEY, body).as_bytes().starts_with(h))
            }
        }
    }

    fn app(self) -> Router {
        async fn handle(
            State((receiver, orders)): State<(Receiver, Orders)>,
            request: Request,
        ) -> Response {
            if request.method() == Method::GET {
                return if receiver.mistake == Some(Mistake::ServeGet) {
                    (StatusCode::OK, "callback endpoint").into_response()
                } else {
                    json(StatusCode::METHOD_NOT_ALLOWED, br#"{"success":false}"#)
                };
            }
            let length = request
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
                .unwrap_or(0);
            if receiver.mistake != Some(Mistake::NoLimit) && length > 64 * 1024 {
                return json(StatusCode::PAYLOAD_TOO_LARGE, br#"{"success":false}"#);
            }
            let headers = request.headers().clone();
            let Ok(body) = axum::body::to_bytes(request.into_body(), usize::MAX).await else {
                return json(StatusCode::BAD_REQUEST, br#"{"success":false}"#);
            };
            if !receiver.verified(&headers, &body) {
                return json(
                    receiver.refusal,
                    br#"{"success":false,"err":"Invalid signature"}"#,
                );
            }
            let Ok(update) = serde_json::from_slice::<Callback>(&body) else {
                return json(StatusCode::BAD_REQUEST, br#"{"success":false}"#);
            };
            match record(&orders, &update) {
                StatusChange::Repeat if receiver.mistake == Some(Mistake::RefuseRepeat) => json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    br#"{"success":false,"err":"duplicate key value violates unique constraint"}"#,
                ),
                StatusChange::Stale if receiver.mistake == Some(Mistake::RefuseStale) => json(
                    StatusCode::CONFLICT,
                    br#"{"success":false,"err":"Invalid transition"}"#,
                ),
                StatusChange::Unrecognised => {
                    json(StatusCode::UNPROCESSABLE_ENTITY, br#"{"success":false}"#)
                }
                _ => {
                    if let Some(Mistake::Slow(delay)) = receiver.mistake {
                        tokio::time::sleep(delay).await;
                    }
                    json(StatusCode::OK, receiver.ack)
                }
            }
        }
        Router::new()
            .route("/callback", any(handle))
            .with_state((self, Orders::default()))
    }
}

#[test]
fn help_has_examples_and_the_exit_codes() {
    for (command, needles) in [
        (
            &["callback", "--help"][..],
            &["send", "check", "Examples:"][..],
        ),
        (
            &["callback", "send", "--help"],
            &[
                "Examples:",
                "Exit 0: a 2xx answer",
                "--order-id",
                "--secret-file",
            ],
        ),
        (
            &["callback", "check", "--help"],
            &[
                "Examples:",
                "php -S",
                "node server.js",
                "--json",
                "Exit 0",
                "--timeout",
            ],
        ),
    ] {
        let out = kukuruku(command);
        assert_eq!(out.status.code(), Some(0), "{command:?}");
        for needle in needles {
            assert!(
                stdout(&out).contains(needle),
                "{command:?} lacks {needle:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `check` against right receivers.

/// The SDK's durable receiver: `kukuruku_ledger::callback_route` (the verify layer, the ledger,
/// PROTOCOL D2's answers) over a SQLite ledger in a temporary folder.
#[test]
fn check_passes_against_the_ledger_route() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn kukuruku_ledger::Store> =
        Arc::new(kukuruku_ledger::SqliteStore::open(dir.path().join("ledger.sqlite3")).unwrap());
    let verifier = Verifier::new(&SecretKey::new(KEY).unwrap());
    let app = Router::new().route(
        "/callback",
        kukuruku_ledger::callback_route(Arc::clone(&store), verifier),
    );
    let server = serve(app);
    let (code, report) = check(&server.url, &[]);
    fails_exactly(code, &report, &[]);
    assert_eq!(report["summary"]["pass"], 13, "{report:#}");
    let unknown = entry(&report, "unknown-status");
    assert!(
        unknown["message"].as_str().unwrap().contains("refused"),
        "the ledger refuses an unknown status so that Kukuruku retries: {unknown:#}"
    );
}

#[test]
fn check_passes_against_the_sdk_receiver_in_text_and_json() {
    let server = serve(sdk_receiver());
    let out = kukuruku(&["callback", "check", &server.url]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    for id in REQUIRED {
        assert!(
            text.lines()
                .any(|line| line.starts_with(&format!("PASS {id} "))),
            "{id}:\n{text}"
        );
    }
    for id in ["unknown-status", "timing", "plain-http"] {
        assert!(text.contains(&format!("INFO {id} ")), "{id}:\n{text}");
    }
    assert!(text.contains("all 13 required checks passed"), "{text}");
    assert!(
        text.contains("refused the unknown status `refunded`"),
        "{text}"
    );
    assert!(text.contains("loopback host"), "{text}");
    assert!(!text.contains(KEY), "the secret is never printed");

    let (code, report) = check(&server.url, &[]);
    fails_exactly(code, &report, &[]);
    assert_eq!(report["summary"]["pass"], 13);
    assert_eq!(report["timeout_ms"], 5000);
    assert_eq!(report["url"], server.url.as_str());
    assert_eq!(report["checks"].as_array().unwrap().len(), 16);
    let valid = entry(&report, "accepts-valid");
    assert_eq!(valid["required"], true);
    let step = &valid["steps"][0];
    assert_eq!(step["method"], "POST");
    assert_eq!(step["signature_headers"], 1);
    assert_eq!(step["status"], 200);
    assert_eq!(step["answer"], r#"{"success":true}"#);
    assert_eq!(step["error"], Value::Null);
    assert!(step["elapsed_ms"].as_f64().unwrap() < 5000.0);
    assert_eq!(
        entry(&report, "refuses-two-signatures")["steps"][0]["signature_headers"],
        2
    );
    assert_eq!(
        entry(&report, "refuses-missing-signature")["steps"][0]["signature_headers"],
        0
    );
    assert_eq!(
        entry(&report, "refuses-oversized-body")["steps"][0]["body_bytes"],
        1024 * 1024 + 1
    );
    assert_eq!(entry(&report, "refuses-get")["steps"][0]["method"], "GET");
    assert_eq!(outcome(&report, "timing"), "info");
    assert!(message(&report, "timing").contains("median"));
    assert!(message(&report, "unknown-status").contains("good"));
}

#[test]
fn check_passes_against_a_careful_hand_written_receiver_run_after_run() {
    // Order numbers and ids are fresh in every run, so a stateful receiver passes again.
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let app = Receiver::default().app();
    let log = Arc::clone(&seen);
    let app = app.layer(axum::middleware::from_fn(
        move |request: Request, next: axum::middleware::Next| {
            let log = Arc::clone(&log);
            async move {
                let (parts, body) = request.into_parts();
                let bytes = axum::body::to_bytes(body, usize::MAX)
                    .await
                    .unwrap_or_default();
                if let Ok(order) = serde_json::from_slice::<Order>(&bytes) {
                    let number = order
                        .order_number
                        .map(|n| n.as_str().to_owned())
                        .unwrap_or_default();
                    log.lock()
                        .unwrap()
                        .push((order.id.as_str().to_owned(), number));
                }
                next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                    .await
            }
        },
    ));
    let server = serve(app);
    let (code, first) = check(&server.url, &[]);
    fails_exactly(code, &first, &[]);
    let first_ids: HashSet<_> = seen.lock().unwrap().drain(..).collect();
    let (code, second) = check(&server.url, &[]);
    fails_exactly(code, &second, &[]);
    assert_ne!(first["run"], second["run"]);
    let second_ids: HashSet<_> = seen.lock().unwrap().drain(..).collect();
    assert!(first_ids.len() > 10, "{first_ids:?}");
    for (id, number) in &second_ids {
        assert!(
            !first_ids.iter().any(|(i, n)| i == id || n == number),
            "{id} / {number} reused across runs"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// `check` against wrong receivers: each fails for its reason, with its message.

#[test]
fn a_receiver_that_answers_200_to_everything_fails_every_refusal() {
    let server = serve(accept_everything());
    let (code, report) = check(&server.url, &[]);
    fails_exactly(
        code,
        &report,
        &[
            "refuses-changed-body",
            "refuses-other-key",
            "refuses-missing-signature",
            "refuses-short-signature",
            "refuses-two-signatures",
            "refuses-oversized-body",
            "refuses-get",
        ],
    );
    for (id, needle) in [
        ("refuses-changed-body", "a body changed after signing"),
        ("refuses-other-key", "a signature made with another key"),
        ("refuses-missing-signature", "without a signature header"),
        ("refuses-short-signature", "127 digits"),
        (
            "refuses-two-signatures",
            "two signature headers that disagree",
        ),
        ("refuses-oversized-body", "without a size limit"),
        ("refuses-get", "answered GET with 200 OK"),
    ] {
        assert!(
            message(&report, id).contains(needle),
            "{id}: {}",
            message(&report, id)
        );
    }
    assert!(message(&report, "unknown-status").contains("acknowledged the unknown status"));
}

#[test]
fn a_verifier_that_re_serialises_fails_the_serialisation_checks_and_says_raw_bytes() {
    let server = serve(
        Receiver {
            verify: Verify::Reserialised,
            ..Receiver::default()
        }
        .app(),
    );
    let (code, report) = check(&server.url, &[]);
    fails_exactly(code, &report, &SERIALISATION);
    for id in SERIALISATION {
        assert!(
            message(&report, id).contains(RAW_BYTES),
            "{id}: {}",
            message(&report, id)
        );
    }
    assert!(message(&report, "accepts-escaped-slashes").contains(r"'/' escaped as '\/'"));
    assert!(message(&report, "accepts-unicode-escapes").contains(r"'\u00e9'"));
    assert!(message(&report, "accepts-spaced-json").contains("spaces after"));
}

#[test]
fn each_signature_mistake_fails_only_its_own_check() {
    for (verify, id, needle) in [
        (
            Verify::FirstHeader,
            "refuses-two-signatures",
            "the valid one first",
        ),
        (
            Verify::Prefix,
            "refuses-short-signature",
            "last digit cut off",
        ),
        (
            Verify::OtherKey,
            "accepts-valid",
            "secret key is not this one",
        ),
    ] {
        let server = serve(
            Receiver {
                verify,
                ..Receiver::default()
            }
            .app(),
        );
        let (code, report) = check(&server.url, &[]);
        if matches!(verify, Verify::OtherKey) {
            // Nothing verifies: every acceptance fails, the refusals pass.
            fails_exactly(
                code,
                &report,
                &[
                    "accepts-valid",
                    "repeat",
                    "stale-after-final",
                    "accepts-escaped-slashes",
                    "accepts-unicode-escapes",
                    "accepts-spaced-json",
                ],
            );
            assert!(message(&report, "repeat").contains("see accepts-valid"));
            assert!(message(&report, "accepts-spaced-json").contains("see accepts-valid"));
        } else {
            fails_exactly(code, &report, &[id]);
        }
        assert!(
            message(&report, id).contains(needle),
            "{verify:?}: {}",
            message(&report, id)
        );
    }
}

#[test]
fn a_receiver_that_answers_500_to_a_repeat_fails_the_repeat() {
    let server = serve_mistaken(Mistake::RefuseRepeat);
    let (code, report) = check(&server.url, &[]);
    fails_exactly(code, &report, &["repeat"]);
    let text = message(&report, "repeat");
    assert!(text.contains("refused a repeat with 500"), "{text}");
    assert!(text.contains("treat a repeat as success"), "{text}");
    let steps = entry(&report, "repeat")["steps"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        (steps[0]["status"].clone(), steps[1]["status"].clone()),
        (200.into(), 500.into())
    );
}

#[test]
fn a_receiver_that_refuses_a_stale_status_fails_stale_after_final() {
    let server = serve_mistaken(Mistake::RefuseStale);
    let (code, report) = check(&server.url, &[]);
    fails_exactly(code, &report, &["stale-after-final"]);
    assert!(message(&report, "stale-after-final").contains("out of order"));
}

#[test]
fn a_receiver_slower_than_the_timeout_fails_without_making_the_suite_wait() {
    let server = serve_mistaken(Mistake::Slow(Duration::from_millis(1500)));
    let start = Instant::now();
    let (code, report) = check(&server.url, &["--timeout", "1s"]);
    let took = start.elapsed();
    // Each acknowledgement waits 1.5 s: every check that needs one fails at 1 s, once.
    fails_exactly(
        code,
        &report,
        &[
            "accepts-valid",
            "repeat",
            "stale-after-final",
            "accepts-escaped-slashes",
            "accepts-unicode-escapes",
            "accepts-spaced-json",
        ],
    );
    let text = message(&report, "accepts-valid");
    assert!(text.contains("no answer within 1 s"), "{text}");
    assert!(text.contains("answer at once"), "{text}");
    assert!(message(&report, "repeat").contains("first delivery was not accepted"));
    assert_eq!(report["timeout_ms"], 1000);
    assert!(took < Duration::from_secs(15), "{took:?}");
}

#[test]
fn a_receiver_without_a_size_limit_fails_the_oversized_body() {
    let server = serve_mistaken(Mistake::NoLimit);
    let (code, report) = check(&server.url, &[]);
    fails_exactly(code, &report, &["refuses-oversized-body"]);
    assert!(message(&report, "refuses-oversized-body").contains("413"));
}

#[test]
fn a_receiver_that_serves_get_fails_refuses_get() {
    let server = serve_mistaken(Mistake::ServeGet);
    let (code, report) = check(&server.url, &[]);
    fails_exactly(code, &report, &["refuses-get"]);
    assert!(message(&report, "refuses-get").contains("catch-all"));
}

#[test]
fn another_refusal_than_401_and_another_body_than_the_ack_are_warnings_not_failures() {
    let server = serve(
        Receiver {
            refusal: StatusCode::FORBIDDEN,
            ack: b"OK",
            ..Receiver::default()
        }
        .app(),
    );
    let out = kukuruku(&["callback", "check", &server.url]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("WARN refuses-other-key "), "{text}");
    assert!(
        text.contains("warning: refused with 403 Forbidden, not 401"),
        "{text}"
    );
    assert!(text.contains("WARN accepts-valid "), "{text}");
    assert!(text.contains("instead of {\"success\":true}"), "{text}");
    assert!(
        text.contains("all 13 required checks passed (11 with a warning)"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Interop: receivers written from the providers' recipes, in their languages.

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

/// `true` when the peer can run; otherwise SKIP (a failure under KUKURUKU_REQUIRE_INTEROP=1).
fn available(what: &str, missing: Option<String>) -> bool {
    let Some(reason) = missing else {
        return true;
    };
    assert!(
        std::env::var("KUKURUKU_REQUIRE_INTEROP").as_deref() != Ok("1"),
        "{what}: {reason}, and KUKURUKU_REQUIRE_INTEROP=1 requires the interop tests"
    );
    println!("SKIP {what}: {reason} (set KUKURUKU_REQUIRE_INTEROP=1 to make this a failure)");
    false
}

fn runs(program: &str) -> Option<String> {
    let ok = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    (!ok).then(|| format!("`{program}` is not installed"))
}

/// A receiver in another language, killed when dropped.
struct Peer {
    child: Child,
    url: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `program args` in tests/interop; waits for its `listening on URL` line.
fn start_peer(program: &str, args: &[&str]) -> Peer {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(interop_dir())
        .env("KUKURUKU_SECRET_KEY", KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|err| panic!("{program} does not start: {err}"));
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| {
            let _ = child.kill();
            panic!("{program} printed {line:?}")
        })
        .to_owned();
    Peer { child, url }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn check_passes_against_the_python_recipe_receiver() {
    if !available("Python receiver", runs("python3")) {
        return;
    }
    let peer = start_peer("python3", &["receiver_python.py"]);
    let (code, report) = check(&peer.url, &[]);
    fails_exactly(code, &report, &[]);
    assert!(message(&report, "unknown-status").contains("good"));
}

#[test]
fn check_passes_against_the_php_recipe_receiver() {
    if !available("PHP receiver", runs("php")) {
        return;
    }
    let port = free_port();
    let state = temp_file("php-receiver-state.json", b"{}");
    let peer = Peer {
        url: format!("http://127.0.0.1:{port}/callback"),
        child: Command::new("php")
            .args(["-S", &format!("127.0.0.1:{port}"), "receiver_php.php"])
            .current_dir(interop_dir())
            .env("KUKURUKU_SECRET_KEY", KEY)
            .env("KUKURUKU_RECEIVER_STATE", &state)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("php -S starts"),
    };
    wait_for(port);
    let (code, report) = check(&peer.url, &[]);
    fails_exactly(code, &report, &[]);
    // The store is the file: the six accepted orders are recorded `paid` (the stale `created`
    // did not move one back; the oversized and the unknown-status ones were refused).
    let recorded: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let statuses: Vec<&Value> = recorded.as_object().unwrap().values().collect();
    assert_eq!(statuses.len(), 6, "{recorded}");
    assert!(statuses.iter().all(|s| *s == "paid"), "{recorded}");
}

#[test]
fn check_fails_the_providers_node_recipe_for_re_serialising() {
    let missing = if interop_dir().join("node_modules/express").is_dir()
        && interop_dir().join("node_modules/js-sha512").is_dir()
    {
        runs("node")
    } else {
        Some(
            "tests/interop/node_modules has no express or js-sha512 (npm ci in tests/interop)"
                .to_owned(),
        )
    };
    if !available("Node recipe receiver", missing) {
        return;
    }
    let peer = start_peer("node", &["receiver_node.js"]);
    let (code, report) = check(&peer.url, &[]);
    fails_exactly(code, &report, &SERIALISATION);
    for id in SERIALISATION {
        assert!(
            message(&report, id).contains(RAW_BYTES),
            "{id}: {}",
            message(&report, id)
        );
    }
    // Express's own 100 kB limit refuses the big body; the recipe acknowledges anything known.
    assert_eq!(
        entry(&report, "refuses-oversized-body")["steps"][0]["status"],
        413
    );
    assert!(message(&report, "unknown-status").contains("acknowledged"));
}

// ---------------------------------------------------------------------------------------------
// `send`.

/// What the recording receiver got.
#[derive(Debug, Clone)]
struct Seen {
    signatures: Vec<String>,
    content_type: Option<String>,
    body: Bytes,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// Records each request's `signature` headers, content type and body; answers the ack.
fn recorder() -> (Router, Log) {
    let seen = Log::default();
    let log = Arc::clone(&seen);
    let app = Router::new().route(
        "/callback",
        post(move |headers: HeaderMap, body: Bytes| {
            let log = Arc::clone(&log);
            async move {
                let signatures = headers
                    .get_all("signature")
                    .iter()
                    .map(|v| v.to_str().unwrap().to_owned())
                    .collect();
                let content_type = headers
                    .get(CONTENT_TYPE)
                    .map(|v| v.to_str().unwrap().to_owned());
                log.lock().unwrap().push(Seen {
                    signatures,
                    content_type,
                    body,
                });
                json(StatusCode::OK, CALLBACK_ACK)
            }
        }),
    );
    (app, seen)
}

#[test]
fn send_posts_one_callback_whose_bytes_and_signature_verify_with_kukuruku_verify() {
    let (app, seen) = recorder();
    let server = serve(app);
    let out = kukuruku(&[
        "callback",
        "send",
        &server.url,
        "--status",
        "cancelled",
        "--order-id",
        "5d0f2a4e-0000-4000-8000-000000000001",
        "--order-number",
        "order/42",
        "--amount",
        "1050",
        "--currency",
        "USD",
        "--type",
        "payout",
        "--merchant-id",
        "m-7",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.starts_with(&format!("> POST {}\n", server.url)),
        "{text}"
    );
    assert!(text.contains("< 200 OK"), "{text}");
    assert!(text.contains("< {\"success\":true}"), "{text}");
    assert!(!text.contains(KEY) && !stderr(&out).contains(KEY));

    let Seen {
        signatures,
        content_type,
        body,
    } = seen.lock().unwrap().pop().expect("one request");
    assert_eq!(signatures.len(), 1);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert!(
        text.contains(&format!("> signature: {}", signatures[0])),
        "{text}"
    );
    assert_eq!(
        body,
        r#"{"uuid":"5d0f2a4e-0000-4000-8000-000000000001","order_number":"order/42","status":"cancelled","amount":1050,"currency":"USD","type":"payout","merchant_id":"m-7"}"#
    );

    // What arrived verifies with `kukuruku verify`, byte for byte.
    let file = temp_file("sent-callback.json", &body);
    let verified = kukuruku(&[
        "verify",
        "--signature",
        &signatures[0],
        file.to_str().unwrap(),
    ]);
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    let tampered = temp_file("sent-callback-tampered.json", &[&body[..], b"\n"].concat());
    let refused = kukuruku(&[
        "verify",
        "--signature",
        &signatures[0],
        tampered.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(1));
}

#[test]
fn send_defaults_to_a_paid_payin_with_fresh_ids_each_time() {
    let (app, seen) = recorder();
    let server = serve(app);
    for _ in 0..2 {
        let out = kukuruku(&["callback", "send", &server.url]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let seen = seen.lock().unwrap();
    let orders: Vec<Order> = seen
        .iter()
        .map(|seen| serde_json::from_slice(&seen.body).unwrap())
        .collect();
    assert_eq!(orders.len(), 2);
    assert_ne!(orders[0].id, orders[1].id);
    assert_ne!(orders[0].order_number, orders[1].order_number);
    for order in &orders {
        assert_eq!(order.status, OrderStatus::Paid);
        assert_eq!(order.amount.unwrap().minor_units(), 50_000);
        assert_eq!(order.currency.as_ref().unwrap().code(), "RUB");
        assert_eq!(order.order_type.as_ref().unwrap().as_str(), "payin");
        assert_eq!(order.merchant_id.as_ref().unwrap().as_str(), "1");
        assert!(
            order
                .order_number
                .as_ref()
                .unwrap()
                .as_str()
                .starts_with("kukuruku-send-")
        );
        assert_eq!(order.id.as_str().len(), 36);
    }
}

#[test]
fn send_exits_1_on_a_refusal_with_the_likely_cause() {
    let server = serve(
        Receiver {
            verify: Verify::OtherKey,
            ..Receiver::default()
        }
        .app(),
    );
    let out = kukuruku(&["callback", "send", &server.url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("< 401 Unauthorized"));
    let err = stderr(&out);
    assert!(err.contains("secret key is not this one"), "{err}");

    let sdk = serve(sdk_receiver());
    let out = kukuruku(&["callback", "send", &sdk.url, "--status", "refunded"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("refused the unknown status `refunded`"));
}

#[test]
fn the_secret_comes_from_the_environment_or_a_file_and_usage_errors_exit_2() {
    let server = serve(sdk_receiver());
    let url = server.url.as_str();

    let no_secret = Command::new(BIN)
        .args(["callback", "send", url])
        .env_remove("KUKURUKU_SECRET_KEY")
        .output()
        .unwrap();
    assert_eq!(no_secret.status.code(), Some(2));
    assert!(stderr(&no_secret).contains("KUKURUKU_SECRET_KEY"));
    let no_secret = Command::new(BIN)
        .args(["callback", "check", url])
        .env_remove("KUKURUKU_SECRET_KEY")
        .output()
        .unwrap();
    assert_eq!(no_secret.status.code(), Some(2));

    let file = temp_file("callback-secret.txt", format!("{KEY}\n").as_bytes());
    let from_file = Command::new(BIN)
        .args([
            "callback",
            "send",
            url,
            "--secret-file",
            file.to_str().unwrap(),
        ])
        .env_remove("KUKURUKU_SECRET_KEY")
        .output()
        .unwrap();
    assert_eq!(from_file.status.code(), Some(0), "{}", stderr(&from_file));

    for args in [
        &["callback", "send", "ftp://127.0.0.1/callback"][..],
        &["callback", "send", "not a url"],
        &["callback", "check", "127.0.0.1:8000/callback"],
        &["callback", "send", url, "--amount", "0"],
        &["callback", "send", url, "--amount", "1.50"],
        &["callback", "send", url, "--type", "refund"],
        &["callback", "send", url, "--order-id", ""],
        &["callback", "send", url, "--status", " "],
        &["callback", "check", url, "--timeout", "0s"],
        &["callback", "check", url, "--timeout", "soon"],
        &["callback", "send", url, "--secret", KEY],
        &["callback", "check"],
    ] {
        let out = kukuruku(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains(KEY), "{args:?} printed the secret");
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Clear errors, never a panic.

/// A raw TCP server: `answer` gets each connection (the request unread).
fn raw_server(answer: fn(TcpStream)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream));
        }
    });
    format!("http://{addr}/callback")
}

#[test]
fn an_unreachable_url_exits_2() {
    let port = free_port(); // bound, then released: nothing listens there
    let url = format!("http://127.0.0.1:{port}/callback");
    let out = kukuruku(&["callback", "send", &url]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("could not connect"),
        "{}",
        stderr(&out)
    );
    let out = kukuruku(&["callback", "check", &url, "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot reach"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}

#[test]
fn a_non_http_answer_is_named() {
    // A service that speaks first (SSH, SMTP), and one that answers the request in another
    // protocol (Redis).
    let banner = raw_server(|mut stream| {
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n");
        let _ = stream.read(&mut [0; 1024]);
    });
    let other = raw_server(|mut stream| {
        let _ = stream.read(&mut [0; 1024]);
        let _ = stream.write_all(b"-ERR unknown command 'POST'\r\n");
    });
    for url in [banner, other] {
        let out = kukuruku(&["callback", "send", &url]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).contains("the answer is not HTTP"),
            "{}",
            stderr(&out)
        );
        let (code, report) = check(&url, &["--timeout", "2s"]);
        assert_eq!(code, 1);
        assert!(message(&report, "accepts-valid").contains("the answer is not HTTP"));
    }
}

#[test]
fn a_redirect_is_not_followed_and_names_where_it_points() {
    let app = Router::new().route(
        "/callback",
        any(|| async {
            (
                StatusCode::PERMANENT_REDIRECT,
                [(LOCATION, "https://shop.example/callback/")],
            )
        }),
    );
    let server = serve(app);
    let out = kukuruku(&["callback", "send", &server.url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("< location: https://shop.example/callback/"));
    let err = stderr(&out);
    assert!(
        err.contains("redirected (308 Permanent Redirect) to https://shop.example/callback/"),
        "{err}"
    );
    let (code, report) = check(&server.url, &[]);
    assert_eq!(code, 1);
    assert!(message(&report, "accepts-valid").contains("use the final URL"));
    assert_eq!(outcome(&report, "refuses-other-key"), "warn");
}

#[test]
fn a_connection_reset_mid_answer_is_named() {
    let url = raw_server(|mut stream| {
        // Read a little, answer half, close with the rest of the request unread: a reset.
        let _ = stream.read(&mut [0; 16]);
        std::thread::sleep(Duration::from_millis(20));
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"succ");
    });
    let out = kukuruku(&["callback", "send", &url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the connection was closed before a complete answer"),
        "{}",
        stderr(&out)
    );
    let (code, report) = check(&url, &["--timeout", "2s"]);
    assert_eq!(code, 1);
    assert!(message(&report, "accepts-valid").contains("closed before a complete answer"));
}

#[test]
fn plain_http_on_a_non_loopback_host_is_reported() {
    // This machine's address on its default route, if it has one (no packet is sent).
    let ip = UdpSocket::bind("0.0.0.0:0")
        .and_then(|socket| {
            socket.connect("192.0.2.1:9")?;
            socket.local_addr()
        })
        .map(|addr| addr.ip())
        .ok()
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified());
    let Some(ip): Option<IpAddr> = ip else {
        println!("SKIP: this machine has no non-loopback address");
        return;
    };
    let server = serve_on(SocketAddr::new(ip, 0), sdk_receiver());
    let (code, report) = check(&server.url, &[]);
    fails_exactly(code, &report, &[]);
    assert!(
        message(&report, "plain-http").contains("plain HTTP on a non-loopback host"),
        "{}",
        message(&report, "plain-http")
    );
}

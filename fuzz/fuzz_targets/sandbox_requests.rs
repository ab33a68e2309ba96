//! The sandbox's request parsing: the payments API (signed and unsigned), the pay page form,
//! the test-control API, the Play button, the KukurukuID forms and the Kuna API, with arbitrary
//! bodies. The sandbox's parsers and router are private: one sandbox is started on loopback with
//! its crate-root API (`Sandbox::builder().start()`), and each input is one HTTP/1.1 request on
//! a kept-alive connection.
//!
//! Input: one byte choosing the route (see `ROUTES`), then the body (for the `GET` routes: the
//! query string or path segment). Properties:
//! - never a 5xx, and never a dropped connection (a panic in a handler aborts the process);
//! - a payments request without a valid signature is refused with 401, whatever its body;
//! - a signed payin or payout the sandbox accepts (2xx) is an answer the SDK reads
//!   (`Endpoint::parse_response`), and the order it names has a status answer that is signed
//!   with the merchant's key and verifies.
//!
//! Callbacks go only to loopback: inputs naming another host in a JSON string are skipped.
#![no_main]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use kukuruku_proto::kukuruku_sign::{Signer, Verifier};
use kukuruku_proto::{
    ApiConfig, MerchantId, OrderStatusRequest, PayinCreated, PayoutCreated, parse_json_response,
    parse_verified_response,
};
use kukuruku_sandbox::{CallbackPolicy, KukuPayUser, Merchant, SecretKey, Sandbox};
use libfuzzer_sys::fuzz_target;

const KEY: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";
/// Nothing listens there: a delivery fails at once.
const CALLBACK: &str = "http://127.0.0.1:9/kukuruku/callback";

struct World {
    _runtime: tokio::runtime::Runtime,
    sandbox: Sandbox,
    uuid: String,
    kuna_key: String,
    connection: Mutex<Option<BufReader<TcpStream>>>,
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let sandbox = runtime
            .block_on(
                Sandbox::builder()
                    .merchant(Merchant::new("1", SecretKey::new(KEY).expect("key")).callback_url(CALLBACK))
                    .user(KukuPayUser::new("payee@example.com", "Pat Payee", "RUB"))
                    .callback_policy(
                        CallbackPolicy::default()
                            .max_attempts(1)
                            .timeout(Duration::from_millis(200)),
                    )
                    .start(),
            )
            .expect("the sandbox starts");
        let kuna_key = sandbox.kuna_api_key().to_owned();
        let mut world = World {
            _runtime: runtime,
            sandbox,
            uuid: String::new(),
            kuna_key,
            connection: Mutex::new(None),
        };
        let created = world.request(
            0,
            br#"{"merchant_id":"1","amount":50000,"currency":"RUB","order_number":"seed-1","callback_url":"http://127.0.0.1:9/cb","customer":{"client_id":"payee@example.com"}}"#,
        );
        let value: serde_json::Value = serde_json::from_slice(&created.body).expect("json");
        world.uuid = value["token"].as_str().expect("a payin token").to_owned();
        world
    })
}

const ROUTES: usize = 14;

impl World {
    fn request(&self, route: u8, input: &[u8]) -> Answer {
        let signature = Signer::new(&SecretKey::new(KEY).expect("key")).sign(input).to_hex();
        let d1 = Signer::new(&SecretKey::new(KEY).expect("key")).sign(b"{}").to_hex();
        let issuer = url::Url::parse(self.sandbox.issuer()).expect("issuer");
        let oidc = format!("{}/protocol/openid-connect", issuer.path());
        let segment = percent(input);
        let query = String::from_utf8_lossy(input).replace(['\r', '\n', ' ', '#'], "+");
        let uuid = &self.uuid;
        let json = "application/json";
        let form = "application/x-www-form-urlencoded";
        let (method, path, content_type, extra, body): (&str, String, &str, String, &[u8]) =
            match usize::from(route) % ROUTES {
                0 => ("POST", "/api/v1/orders/payins".into(), json, format!("signature: {}\r\n", signature.as_str()), input),
                1 => ("POST", "/api/v1/orders/payouts".into(), json, format!("signature: {}\r\n", signature.as_str()), input),
                2 => ("POST", "/api/v1/orders/payins".into(), json, format!("signature: {}\r\n", d1.as_str()), input),
                3 => ("GET", format!("/api/v1/orders/{segment}?merchant_id=1"), json, format!("signature: {}\r\n", d1.as_str()), b""),
                4 => ("POST", "/sandbox/play".into(), json, String::new(), input),
                5 => ("POST", format!("/sandbox/orders/{uuid}/status"), json, String::new(), input),
                6 => ("POST", format!("/pay/{uuid}"), form, String::new(), input),
                7 => ("GET", format!("/pay/{segment}"), json, String::new(), b""),
                8 => ("POST", "/sandbox/users".into(), json, String::new(), input),
                9 => ("POST", format!("{oidc}/token"), form, String::new(), input),
                10 => ("GET", format!("{oidc}/auth?{query}"), form, String::new(), b""),
                11 => ("POST", format!("{oidc}/auth"), form, String::new(), input),
                12 => ("POST", "/kuna/v2/customer/create".into(), json, format!("api-key: {}\r\n", self.kuna_key), input),
                _ => ("POST", "/kuna/v2/auth/login".into(), json, String::new(), input),
            };
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{extra}\r\n",
            body.len()
        );
        self.round_trip(head.as_bytes(), body)
    }

    fn round_trip(&self, head: &[u8], body: &[u8]) -> Answer {
        let mut connection = self.connection.lock().unwrap();
        for attempt in 0..2 {
            let reader = connection.get_or_insert_with(|| {
                let stream = TcpStream::connect(self.sandbox.local_addr()).expect("connect");
                stream.set_nodelay(true).ok();
                stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
                BufReader::new(stream)
            });
            let sent = reader.get_mut().write_all(head).and_then(|()| reader.get_mut().write_all(body));
            match sent.ok().and_then(|()| read_answer(reader)) {
                Some((answer, keep)) => {
                    if !keep {
                        *connection = None;
                    }
                    return answer;
                }
                // A kept-alive connection the server closed meanwhile: one more try on a new one.
                None if attempt == 0 => *connection = None,
                None => panic!("the sandbox closed the connection without an answer"),
            }
        }
        unreachable!()
    }
}

fn percent(input: &[u8]) -> String {
    input.iter().map(|b| format!("%{b:02X}")).collect()
}

/// Reads one HTTP/1.1 answer; `None` if the connection closed before its status line.
fn read_answer(reader: &mut BufReader<TcpStream>) -> Option<(Answer, bool)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let status: u16 = line.split(' ').nth(1)?.parse().ok()?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).expect("a header line");
        let text = line.trim_end();
        if text.is_empty() {
            break;
        }
        let (name, value) = text.split_once(':').expect("a header");
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let mut body = Vec::new();
    let mut keep = header("connection").is_none_or(|v| !v.eq_ignore_ascii_case("close"));
    if let Some(length) = header("content-length") {
        body.resize(length.parse().expect("a length"), 0);
        reader.read_exact(&mut body).expect("the body");
    } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            line.clear();
            reader.read_line(&mut line).expect("a chunk size");
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16).expect("hex");
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).expect("a chunk");
            body.extend_from_slice(&chunk[..size]);
            if size == 0 {
                break;
            }
        }
    } else if status != 204 && status != 304 {
        reader.read_to_end(&mut body).expect("the body");
        keep = false;
    }
    Some((Answer { status, headers, body }, keep))
}

/// Any JSON string naming a host other than loopback (a callback URL the sandbox would call).
fn names_a_remote_host(input: &[u8]) -> bool {
    fn walk(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(text) => {
                text.contains("//") && !url::Url::parse(text).is_ok_and(|u| kukuruku_proto::is_loopback(&u))
            }
            serde_json::Value::Array(items) => items.iter().any(walk),
            serde_json::Value::Object(map) => map.values().any(walk),
            _ => false,
        }
    }
    serde_json::from_slice::<serde_json::Value>(input).is_ok_and(|v| walk(&v))
}

fuzz_target!(
    // Starting the sandbox (a 2048-bit RSA key for its KukurukuID) takes a while under the
    // sanitizer: before the first input, so that it does not count against -timeout.
    init: {
        world();
    },
    |data: &[u8]| {
    let Some((&route, input)) = data.split_first() else {
        return;
    };
    let route = route % ROUTES as u8;
    if names_a_remote_host(input) {
        return;
    }
    let world = world();
    let answer = world.request(route, input);
    assert!(
        answer.status < 500,
        "route {route} answered {}: {}",
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
    let as_response = |answer: &Answer| {
        let mut builder = http::Response::builder().status(answer.status);
        for (name, value) in &answer.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder.body(Bytes::from(answer.body.clone())).expect("response")
    };
    let created = match route {
        2 => {
            // Signed over `{}`, not over this body (unless the body is `{}`).
            if input != b"{}" {
                assert_eq!(answer.status, 401, "an unsigned payin was not refused");
            }
            None
        }
        0 if (200..300).contains(&answer.status) => Some(
            parse_json_response::<PayinCreated>(as_response(&answer))
                .expect("the SDK reads the sandbox's payin answer")
                .token,
        ),
        1 if (200..300).contains(&answer.status) => Some(
            parse_json_response::<PayoutCreated>(as_response(&answer))
                .expect("the SDK reads the sandbox's payout answer")
                .uuid,
        ),
        _ => None,
    };
    if let Some(id) = created {
        let status = world.request(3, id.as_str().as_bytes());
        assert_eq!(status.status, 200, "a created order has no status");
        let verifier = Verifier::new(&SecretKey::new(KEY).expect("key"));
        let config = ApiConfig::new(MerchantId::new("1").expect("merchant id"));
        let call = OrderStatusRequest::new(id.clone());
        let order = parse_verified_response(&call, &config, &verifier, as_response(&status))
            .expect("the status answer is signed with the merchant's key, for the order asked");
        assert_eq!(order.id, id);
    }
});

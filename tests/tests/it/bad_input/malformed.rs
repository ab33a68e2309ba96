//! Malformed bytes (issue 15's catalogue): truncated JSON, deep nesting, duplicate keys, non-UTF-8
//! bodies, amounts above u64, folded and huge headers, a repeated query parameter. Each gets a
//! typed error or a 4xx with a message; none is accepted, none panics.

use std::fmt::Write as _;
use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, StatusCode};
use kukuruku_e2e::{Http, key, payin_body, sign, start_sandbox};
use kukuruku_proto::{CallbackError, verify_callback};
use kukuruku_sign::Verifier;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::payins;

/// `depth` arrays, one inside the other.
fn nested(depth: usize) -> Vec<u8> {
    let mut body = "[".repeat(depth).into_bytes();
    body.extend(std::iter::repeat_n(b']', depth));
    body
}

/// A valid payin body with `bytes` spliced in place of `"amount":50000`.
fn payin_with_amount(order_number: &str, amount: &[u8]) -> Vec<u8> {
    let body = payin_body(order_number, "http://127.0.0.1:9/cb", &[]);
    let (head, tail) = body.split_once(r#""amount":50000"#).unwrap();
    [head.as_bytes(), amount, tail.as_bytes()].concat()
}

/// Bodies the payments API must refuse with 400, and what the message must contain.
fn malformed_payins() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let valid = payin_body("m-truncated", "http://127.0.0.1:9/cb", &[]);
    let mut not_utf8 = payin_with_amount("m-utf8", br#""amount":50000"#);
    let at = not_utf8.windows(6).position(|w| w == b"m-utf8").unwrap();
    not_utf8[at + 1] = 0xff;
    vec![
        (
            "truncated JSON",
            valid.as_bytes()[..valid.len() / 2].to_vec(),
            "not valid JSON",
        ),
        (
            "truncated at the end",
            valid.as_bytes()[..valid.len() - 1].to_vec(),
            "not valid JSON",
        ),
        ("1 000 levels of nesting", nested(1000), "not valid JSON"),
        (
            "1 000 levels inside a field",
            payin_with_amount(
                "m-deep",
                &[br#""amount":"#.as_slice(), &nested(1000)].concat(),
            ),
            "not valid JSON",
        ),
        (
            "duplicate amount",
            payin_with_amount("m-dup", br#""amount":1,"amount":500000"#),
            "the key \"amount\" more than once",
        ),
        ("non-UTF-8 byte", not_utf8, "not valid JSON"),
        ("lone 0xff body", vec![0xff, 0xfe, 0xfd], "not valid JSON"),
        (
            "amount above u64",
            payin_with_amount("m-u64", br#""amount":18446744073709551616"#),
            "amount must be",
        ),
        (
            "amount far above u64",
            payin_with_amount(
                "m-big",
                format!(r#""amount":{}"#, "9".repeat(400)).as_bytes(),
            ),
            "number out of range",
        ),
    ]
}

#[tokio::test]
async fn malformed_payin_bodies_get_400_with_a_message() {
    let sandbox = start_sandbox().await;
    let http = Http::default();
    for (name, body, expected) in malformed_payins() {
        let signature = sign(&body);
        let headers = [
            ("content-type", "application/json"),
            ("signature", signature.as_str()),
        ];
        let answer = http
            .send(Method::POST, &payins(&sandbox), &headers, body)
            .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{name}: {}",
            answer.text()
        );
        assert_eq!(answer.json()["success"], false, "{name}");
        assert!(
            answer.err().contains(expected),
            "{name}: {:?} lacks {expected:?}",
            answer.err()
        );
    }
    assert!(
        sandbox.orders().is_empty(),
        "no malformed body created an order"
    );
}

/// A callback body signed with the merchant's key, through `verify_callback`.
fn callback(body: &[u8]) -> Result<kukuruku_proto::Callback, CallbackError> {
    let mut headers = HeaderMap::new();
    let signature = HeaderValue::from_str(&sign(body)).unwrap();
    headers.insert(kukuruku_sign::HEADER_NAME, signature);
    verify_callback(&Verifier::new(&key()), &headers, body)
}

#[test]
fn malformed_callbacks_get_a_typed_error_even_when_signed() {
    let order = br#"{"uuid":"u-1","status":"paid","amount":50000,"currency":"RUB","type":"payin","merchant_id":"1"}"#;
    assert!(callback(order).is_ok(), "the valid callback is read");
    let duplicate = br#"{"uuid":"u-1","status":"paid","amount":1,"amount":500000}"#;
    assert!(
        matches!(callback(duplicate), Err(CallbackError::DuplicateKey { ref key }) if key == "amount"),
        "{:?}",
        callback(duplicate)
    );
    let mut deep = br#"{"uuid":"u-1","status":"paid","amount":1,"extra":"#.to_vec();
    deep.extend(nested(1000));
    deep.push(b'}');
    let mut not_utf8 = order.to_vec();
    not_utf8[10] = 0xff;
    let above_u64 = br#"{"uuid":"u-1","status":"paid","amount":18446744073709551616}"#;
    for (name, body) in [
        ("truncated", &order[..order.len() / 2]),
        ("1 000 levels", deep.as_slice()),
        ("non-UTF-8", not_utf8.as_slice()),
        ("amount above u64", above_u64.as_slice()),
    ] {
        match callback(body) {
            Err(CallbackError::Malformed { message }) => assert!(!message.is_empty(), "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

/// Writes `request` to the sandbox over a raw connection: the status line's code, or `None`
/// when the sandbox closed the connection without an answer.
async fn raw(addr: std::net::SocketAddr, request: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The sandbox may stop reading and close mid-write: that is a refusal too.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer));
    let _ = read
        .await
        .expect("the sandbox answers or closes, it does not hang");
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

#[tokio::test]
async fn folded_and_huge_headers_get_a_4xx_or_a_closed_connection() {
    let sandbox = start_sandbox().await;
    let body = payin_body("m-headers", "http://127.0.0.1:9/cb", &[]);
    let signature = sign(body.as_bytes());
    let (half, rest) = signature.split_at(64);
    let request = |headers: &str| {
        format!(
            "POST /api/v1/orders/payins HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let huge = "a".repeat(100 * 1024);
    let many = (0..2000).fold(String::new(), |mut many, i| {
        let _ = write!(many, "x-filler-{i}: {i}\r\n");
        many
    });
    for (name, headers) in [
        (
            "folded signature",
            format!("signature:\r\n {signature}\r\n"),
        ),
        (
            "signature folded midway",
            format!("signature: {half}\r\n {rest}\r\n"),
        ),
        ("100 KiB signature", format!("signature: {huge}\r\n")),
        (
            "100 KiB other header",
            format!("signature: {signature}\r\nx-big: {huge}\r\n"),
        ),
        ("2 000 headers", format!("signature: {signature}\r\n{many}")),
    ] {
        let code = raw(sandbox.local_addr(), request(&headers).as_bytes()).await;
        assert!(
            code.is_none_or(|code| (400..500).contains(&code)),
            "{name}: answered {code:?}"
        );
    }
    assert!(
        sandbox.orders().is_empty(),
        "no such request created an order"
    );
    // The sandbox still serves.
    let answer = Http::default().post_signed(&payins(&sandbox), &body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

#[tokio::test]
async fn a_repeated_merchant_id_query_parameter_gets_400_naming_it() {
    let sandbox = start_sandbox().await;
    let http = Http::default();
    let created = http
        .post_signed(
            &payins(&sandbox),
            &payin_body("m-query", "http://127.0.0.1:9/cb", &[]),
        )
        .await;
    let token = created.json()["token"].as_str().unwrap().to_owned();
    let d1 = sign(b"{}");
    for query in [
        "merchant_id=1&merchant_id=2",
        "merchant_id=1&merchant_id=1",
        "merchant_id=2&merchant_id=1",
    ] {
        let url = format!("{}/api/v1/orders/{token}?{query}", sandbox.api_url());
        let answer = http
            .send(Method::GET, &url, &[("signature", &d1)], "")
            .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            answer.text()
        );
        assert!(
            answer.err().contains("merchant_id is given more than once"),
            "{query}: {}",
            answer.err()
        );
    }
}

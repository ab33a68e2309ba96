//! A client that stalls gets a bounded answer: its connection is closed when its headers do not
//! arrive in time, and 408 when its body does not, on every area (payments API, pay page,
//! control API, Play, KukurukuID, Kuna); a body over 64 KiB gets 413 everywhere too.

use std::time::{Duration, Instant};

use kukuruku_e2e::{MERCHANT_ID, key, sign};
use kukuruku_sandbox::{Merchant, Sandbox};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const READ_TIMEOUT: Duration = Duration::from_millis(300);
/// Far longer than [`READ_TIMEOUT`]: the sandbox must answer well before.
const PATIENCE: Duration = Duration::from_secs(10);

async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .merchant(Merchant::new(MERCHANT_ID, key()))
        .read_timeout(READ_TIMEOUT)
        .start()
        .await
        .unwrap()
}

/// Sends `bytes` and reads until the sandbox closes the connection (or [`PATIENCE`] runs out).
async fn send_and_read(sandbox: &Sandbox, bytes: &[u8]) -> (String, Duration) {
    let mut stream = TcpStream::connect(sandbox.local_addr()).await.unwrap();
    let started = Instant::now();
    stream.write_all(bytes).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the sandbox kept a stalled connection open");
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn headers_that_do_not_arrive_in_time_close_the_connection() {
    let sandbox = sandbox().await;
    let (answer, elapsed) =
        send_and_read(&sandbox, b"GET /sandbox/orders HTTP/1.1\r\nhost: x\r\n").await;
    assert!(answer.is_empty(), "{answer}");
    assert!(elapsed >= READ_TIMEOUT / 2, "closed after {elapsed:?}");
}

#[tokio::test]
async fn bodies_that_do_not_arrive_in_time_get_408_everywhere() {
    let sandbox = sandbox().await;
    let signature = sign(b"{}");
    let requests = [
        (
            "payments API",
            format!(
                "POST /api/v1/orders/payins HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nsignature: {signature}\r\ncontent-length: 100\r\n\r\n{{\"merchant_id\""
            ),
        ),
        (
            "pay page",
            "POST /pay/00000000-0000-4000-8000-000000000000 HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\naction=".to_owned(),
        ),
        (
            "control API",
            "POST /sandbox/users HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"email\"".to_owned(),
        ),
        (
            "Play",
            "POST /sandbox/play HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"email\"".to_owned(),
        ),
        (
            "KukurukuID",
            "POST /realms/public/protocol/openid-connect/token HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\ngrant_type=".to_owned(),
        ),
        (
            "Kuna",
            "POST /kuna/v2/customer/create HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\napi-key: k\r\ncontent-length: 100\r\n\r\n{\"email\"".to_owned(),
        ),
    ];
    for (area, request) in requests {
        let (answer, elapsed) = send_and_read(&sandbox, request.as_bytes()).await;
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "{area}: {answer:?} after {elapsed:?}"
        );
        assert!(
            answer.ends_with(r#"{"success":false,"err":"the body did not arrive within 300 ms"}"#),
            "{area}: {answer}"
        );
        assert!(
            elapsed >= READ_TIMEOUT / 2,
            "{area}: answered after {elapsed:?}"
        );
    }
    assert!(sandbox.users().is_empty());
}

#[tokio::test]
async fn prompt_clients_are_served_as_before() {
    let sandbox = sandbox().await;
    let body = r#"{"email":"pat@example.com","name":"Pat","currency":"RUB"}"#;
    let request = format!(
        "POST /sandbox/users HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let (answer, _) = send_and_read(&sandbox, request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert_eq!(sandbox.users().len(), 1);
}

#[tokio::test]
async fn the_mounted_providers_refuse_bodies_over_64_kib() {
    let sandbox = sandbox().await;
    for path in [
        "/realms/public/protocol/openid-connect/token",
        "/kuna/v2/customer/create",
    ] {
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 65537\r\n\r\n"
        );
        let (answer, _) = send_and_read(&sandbox, request.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(
            answer.contains("larger than 65536 bytes"),
            "{path}: {answer}"
        );
    }
}

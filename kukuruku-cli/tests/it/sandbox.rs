//! `kukuruku sandbox`: its ready line, what it serves, how it stops, what it refuses.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{BIN, KEY, kukuruku, sign_with, stderr};

/// Reads the sandbox's first stdout line, within 60 s (a guard against a hang: starting the
/// sandbox generates RSA keys, which takes seconds on a loaded machine).
fn ready_line(child: &mut std::process::Child) -> serde_json::Value {
    let stdout = child.stdout.take().unwrap();
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = send.send(line);
    });
    let line = receive
        .recv_timeout(Duration::from_secs(60))
        .expect("the sandbox printed its ready line");
    serde_json::from_str(&line).unwrap_or_else(|err| panic!("{err}: {line:?}"))
}

fn http(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// Checks the ready line's KukurukuID and Kuna keys against the running sandbox; returns the
/// Kuna API key it printed.
fn identity_and_kuna_answer(addr: &str, api: &str, ready: &serde_json::Value) -> String {
    // The same server is the KukurukuID provider: discovery answers at {issuer}/.well-known/...
    let issuer = ready["issuer"].as_str().unwrap();
    assert_eq!(issuer, format!("{api}/realms/public"), "{ready}");
    let path = issuer.trim_start_matches(api);
    let answer = http(
        addr,
        &format!(
            "GET {path}/.well-known/openid-configuration HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let (_, body) = answer.split_once("\r\n\r\n").unwrap();
    let discovery: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(discovery["issuer"], issuer);
    assert_eq!(
        discovery["token_endpoint"],
        format!("{issuer}/protocol/openid-connect/token")
    );
    assert!(
        ready["idp_client_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );

    // ... and Kuna: a call with the printed key succeeds, one with another key is refused.
    let kuna = ready["kuna"].as_str().unwrap();
    assert_eq!(kuna, format!("{api}/kuna"), "{ready}");
    assert_eq!(ready["kuna_widget"], format!("{api}/kuna/widget"));
    assert!(
        ready["kuna_institution_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    let api_key = ready["kuna_api_key"].as_str().unwrap().to_owned();
    let kuna_find = |key: &str| {
        http(
            addr,
            &format!(
                "POST /kuna/v2/customer/find HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\napi-key: {key}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
            ),
        )
    };
    let answer = kuna_find(&api_key);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""data":{"items":[]"#), "{answer}");
    let answer = kuna_find("not-the-key");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");

    api_key
}

/// Checks the ready line's dashboard; makes a payin whose callback goes to a closed port, pays
/// it and waits for the first try. Returns the order's uuid and the port.
fn dashboard_and_a_callback_try(addr: &str, api: &str, ready: &serde_json::Value) -> (String, u16) {
    assert_eq!(ready["dashboard"], format!("{api}/sandbox"), "{ready}");
    let page = http(
        addr,
        &format!("GET /sandbox HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.contains("text/html") && page.contains("cli-1"),
        "{page}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let body = format!(
        r#"{{"merchant_id":"m-42","amount":100,"currency":"USD","order_number":"cli-2","callback_url":"http://127.0.0.1:{port}/cb?t=CBTOKEN","customer":{{"client_id":"user@example.com"}}}}"#
    );
    let answer = http(
        addr,
        &format!(
            "POST /api/v1/orders/payins HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nsignature: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            sign_with(KEY, body.as_bytes()),
            body.len()
        ),
    );
    let (_, json) = answer.split_once("\r\n\r\n").unwrap();
    let order: serde_json::Value = serde_json::from_str(json).unwrap();
    let uuid = order["token"].as_str().unwrap().to_owned();
    let paid = r#"{"status":"paid"}"#;
    let answer = http(
        addr,
        &format!(
            "POST /sandbox/orders/{uuid}/status HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{paid}",
            paid.len()
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let log = http(
            addr,
            &format!(
                "GET /sandbox/callbacks HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
            ),
        );
        if log.contains("\"number\":1") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no callback try: {log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (uuid, port)
}

#[test]
fn sandbox_prints_its_urls_serves_and_stops_on_sigterm() {
    let mut child = Command::new(BIN)
        .args([
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--merchant-id",
            "m-42",
        ])
        .env("KUKURUKU_SECRET_KEY", KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ready = ready_line(&mut child);
    let api = ready["api"].as_str().unwrap().to_owned();
    assert!(api.starts_with("http://127.0.0.1:"), "{ready}");
    assert_eq!(ready["merchant_id"], "m-42");
    let addr = api.trim_start_matches("http://");

    // A signed payin from merchant m-42.
    let body = r#"{"merchant_id":"m-42","amount":100,"currency":"USD","order_number":"cli-1","customer":{"client_id":"user@example.com"}}"#;
    let answer = http(
        addr,
        &format!(
            "POST /api/v1/orders/payins HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nsignature: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            sign_with(KEY, body.as_bytes()),
            body.len()
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(r#""success":true"#) && answer.contains(&format!("{api}/pay/")),
        "{answer}"
    );

    // Unsigned: 401.
    let answer = http(
        addr,
        &format!(
            "POST /api/v1/orders/payins HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");

    let api_key = identity_and_kuna_answer(addr, &api, &ready);
    let (order_id, port) = dashboard_and_a_callback_try(addr, &api, &ready);

    // SIGTERM stops it cleanly (the process we started, by its id).
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(child.wait_with_output());
    });
    let output = receive
        .recv_timeout(Duration::from_secs(60))
        .expect("the sandbox stopped after SIGTERM")
        .unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    assert!(
        stderr(&output).contains("sandbox ready"),
        "logs go to stderr: {}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains(KEY), "the secret is never logged");
    let line = format!(
        "kukuruku sandbox: callback #1 try 1: order {order_id} (paid) to http://127.0.0.1:{port}/cb: no answer: "
    );
    assert!(
        stderr(&output).contains(&line),
        "one line per try: {}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("CBTOKEN"), "{}", stderr(&output));
    assert!(
        !stderr(&output).contains(&api_key),
        "the Kuna key is printed in the ready line only"
    );
}

#[test]
fn sandbox_refuses_a_missing_secret_and_a_non_loopback_address() {
    let out = kukuruku(&["sandbox"], b"", None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("KUKURUKU_SECRET_KEY"),
        "{}",
        stderr(&out)
    );
    let out = kukuruku(&["sandbox", "--listen", "0.0.0.0:0"], b"", Some(KEY));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("only listens on loopback"),
        "{}",
        stderr(&out)
    );
    let out = kukuruku(&["sandbox", "--user", "nope"], b"", Some(KEY));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("EMAIL,NAME,CURRENCY"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn sandbox_stopped_says_which_callbacks_were_still_pending() {
    // A merchant that takes the connection and never answers.
    let merchant = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = merchant.local_addr().unwrap().port();
    let mut child = Command::new(BIN)
        .args([
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--callback-url",
            &format!("http://127.0.0.1:{port}/cb?token=CALLBACKTOKEN"),
        ])
        .env("KUKURUKU_SECRET_KEY", KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ready = ready_line(&mut child);
    let addr = ready["api"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://")
        .to_owned();
    let body = r#"{"email":"user@example.com","amount":100,"currency":"RUB","merchant_url":"http://127.0.0.1:9/shop"}"#;
    let answer = http(
        &addr,
        &format!(
            "POST /sandbox/play HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let (_, json) = answer.split_once("\r\n\r\n").unwrap();
    let order: serde_json::Value = serde_json::from_str(json).unwrap();
    let order_id = order["order_id"].as_str().unwrap().to_owned();
    // The callback is on its way: the merchant has the connection, and never answers.
    let (_connection, _) = merchant.accept().unwrap();

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(child.wait_with_output());
    });
    let output = receive
        .recv_timeout(Duration::from_secs(60))
        .expect("the sandbox stopped after SIGTERM")
        .unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    let stderr = stderr(&output);
    assert!(
        stderr.contains("stopped with 1 callback delivery still pending"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "pending callback #1: order {order_id} (paid) to http://127.0.0.1:{port}/cb,"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("CALLBACKTOKEN"), "{stderr}");
}

//! The built `kukuruku` binary: sign, verify (exit codes and each diagnosis), sandbox, demo.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_kukuruku");
/// PROTOCOL 1.1's first test vector.
const KEY: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";
const BODY: &str = r#"{"merchant_id":"1","amount":50000,"currency":"RUB","callback_url":"https://your-site.com/callback","order_number":"order-123","redirect_success_url":"https://your-site.com/success","redirect_fail_url":"https://your-site.com/fail","customer":{"client_id":"user@example.com"}}"#;
const SIGNATURE: &str = "b7611a011a447edd6dee56f302722045d5e947411987d3884eb185157831d815a91293d64b07af6a571403e1665348237ef4d3dac8c83010ab823cc838b4308b";

fn kukuruku(args: &[&str], stdin: &[u8], secret: Option<&str>) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("KUKURUKU_SECRET_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(secret) = secret {
        command.env("KUKURUKU_SECRET_KEY", secret);
    }
    let mut child = command.spawn().expect("the binary runs");
    // A command that fails before reading stdin (a usage error) closes the pipe: that is its
    // answer, checked by the caller, not a failure of the test.
    if let Err(err) = child.stdin.take().unwrap().write_all(stdin) {
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe, "{err}");
    }
    child.wait_with_output().unwrap()
}

fn temp_file(name: &str, content: &[u8]) -> PathBuf {
    let path =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", std::process::id()));
    std::fs::write(&path, content).unwrap();
    path
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn sign_with(key: &str, body: &[u8]) -> String {
    let key = kukuruku_sign::SecretKey::new(key).unwrap();
    kukuruku_sign::Signer::new(&key)
        .sign(body)
        .to_hex()
        .as_str()
        .to_owned()
}

#[test]
fn sign_prints_the_protocol_vector_from_stdin_and_from_a_file() {
    let out = kukuruku(&["sign"], BODY.as_bytes(), Some(KEY));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{SIGNATURE}\n"));

    let file = temp_file("body.json", BODY.as_bytes());
    let out = kukuruku(&["sign", file.to_str().unwrap()], b"", Some(KEY));
    assert_eq!(stdout(&out), format!("{SIGNATURE}\n"));

    // The second vector: merchant_id as a number.
    let body = r#"{"merchant_id":1,"amount":500,"currency":"RUB","callback_url":"https://your-site.com/callback","order_number":"orderNumber","redirect_success_url":"https://your-site.com/success","redirect_fail_url":"https://your-site.com/fail","customer":{"client_id":"someuser@gmail.com"}}"#;
    let out = kukuruku(&["sign"], body.as_bytes(), Some(KEY));
    assert_eq!(
        stdout(&out),
        "066a34a641683e41935a58ece5addc06176eea29e1670bf7dc2ffb1357925d12a5117d7b914152283c66da6565ddc6a7e6fc203e2dd149cc2eef18ea7a66a9a5\n"
    );
}

#[test]
fn the_secret_comes_from_env_a_named_env_or_a_file_never_an_argument() {
    let out = kukuruku(&["sign"], BODY.as_bytes(), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("KUKURUKU_SECRET_KEY"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());

    let file = temp_file("secret.txt", format!("{KEY}\n").as_bytes());
    let out = kukuruku(
        &["sign", "--secret-file", file.to_str().unwrap()],
        BODY.as_bytes(),
        None,
    );
    assert_eq!(stdout(&out), format!("{SIGNATURE}\n"), "{}", stderr(&out));

    let out = Command::new(BIN)
        .args(["sign", "--secret-env", "MY_KUKU_SECRET", "-"])
        .env_remove("KUKURUKU_SECRET_KEY")
        .env("MY_KUKU_SECRET", KEY)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(stdout(&out), format!("{}\n", sign_with(KEY, b"")));

    let out = kukuruku(
        &["sign", "--secret-env", "NOT_SET_ANYWHERE"],
        b"",
        Some(KEY),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("NOT_SET_ANYWHERE"));

    let out = kukuruku(&["sign"], b"", Some(""));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("empty"), "{}", stderr(&out));

    // There is no option that takes the secret itself.
    let out = kukuruku(&["sign", "--secret", KEY], b"", None);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains(KEY), "the secret is not echoed back");

    let out = kukuruku(&["sign", "/no/such/file"], b"", Some(KEY));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/no/such/file"));
}

#[test]
fn verify_exits_0_on_a_match_and_2_on_a_malformed_signature() {
    let out = kukuruku(
        &["verify", "--signature", SIGNATURE],
        BODY.as_bytes(),
        Some(KEY),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let upper = SIGNATURE.to_ascii_uppercase();
    let out = kukuruku(
        &["verify", "--signature", &upper],
        BODY.as_bytes(),
        Some(KEY),
    );
    assert_eq!(out.status.code(), Some(0));

    for bad in ["abc", &"g".repeat(128), ""] {
        let out = kukuruku(&["verify", "--signature", bad], BODY.as_bytes(), Some(KEY));
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(
            stderr(&out).contains("malformed signature"),
            "{}",
            stderr(&out)
        );
    }
    let out = kukuruku(&["verify"], BODY.as_bytes(), Some(KEY));
    assert_eq!(
        out.status.code(),
        Some(2),
        "missing --signature is a usage error"
    );
    let out = kukuruku(&["verify", "--signature", SIGNATURE], BODY.as_bytes(), None);
    assert_eq!(out.status.code(), Some(2), "no secret");
}

/// Signs `signed` and verifies `received`: exit 1 and a diagnosis containing `expected`.
fn diagnosis(signed: &str, received: &str, expected: &str) {
    let signature = sign_with(KEY, signed.as_bytes());
    let out = kukuruku(
        &["verify", "--signature", &signature],
        received.as_bytes(),
        Some(KEY),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("signature mismatch"), "{err}");
    assert!(
        err.contains(expected),
        "diagnosis lacks {expected:?}:\n{err}"
    );
}

#[test]
fn verify_diagnoses_each_usual_cause() {
    let python_default = r#"{"merchant_id": "1", "amount": 50000, "currency": "RUB", "callback_url": "https://your-site.com/callback", "order_number": "order-123", "redirect_success_url": "https://your-site.com/success", "redirect_fail_url": "https://your-site.com/fail", "customer": {"client_id": "user@example.com"}}"#;
    let php_default = BODY.replace('/', "\\/");
    let sorted = r#"{"amount":50000,"callback_url":"https://your-site.com/callback","currency":"RUB","customer":{"client_id":"user@example.com"},"merchant_id":"1","order_number":"order-123","redirect_fail_url":"https://your-site.com/fail","redirect_success_url":"https://your-site.com/success"}"#;
    let numeric_id = BODY.replace(r#""merchant_id":"1""#, r#""merchant_id":1"#);

    // Signed by Python's default json.dumps, verified over compact bytes.
    diagnosis(
        python_default,
        BODY,
        "spaces after ',' and ':' (Python's default json.dumps",
    );
    // The other way round.
    diagnosis(BODY, python_default, "compactly, without spaces");
    diagnosis(sorted, BODY, "keys sorted");
    diagnosis(
        &php_default,
        BODY,
        "'/' escaped as '\\/' (PHP's default json_encode",
    );
    diagnosis(BODY, &php_default, "without '\\/' escaping");
    diagnosis(&format!("{BODY}\n"), BODY, "trailing newline added");
    diagnosis(BODY, &format!("{BODY}\n"), "without the trailing newline");
    diagnosis(&numeric_id, BODY, "merchant_id as a number");
    diagnosis(BODY, &numeric_id, "merchant_id as a string");
    // Two causes at once are named together.
    let out_sorted_spaced = r#"{"amount": 50000, "callback_url": "https://your-site.com/callback", "currency": "RUB", "customer": {"client_id": "user@example.com"}, "merchant_id": "1", "order_number": "order-123", "redirect_fail_url": "https://your-site.com/fail", "redirect_success_url": "https://your-site.com/success"}"#;
    diagnosis(out_sorted_spaced, BODY, "keys sorted");
    // Nothing explains a wrong secret.
    let other = sign_with("another-secret", BODY.as_bytes());
    let out = kukuruku(
        &["verify", "--signature", &other],
        BODY.as_bytes(),
        Some(KEY),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("none of the usual causes"), "{err}");
    assert!(err.contains("secret"), "{err}");
    assert!(!err.contains(KEY), "the secret never appears");
}

#[test]
fn every_command_has_help_with_an_example() {
    for command in [
        &["--help"][..],
        &["demo", "--help"],
        &["sandbox", "--help"],
        &["sign", "--help"],
        &["verify", "--help"],
    ] {
        let out = kukuruku(command, b"", None);
        assert_eq!(out.status.code(), Some(0), "{command:?}");
        assert!(
            stdout(&out).contains("Example"),
            "{command:?}: {}",
            stdout(&out)
        );
    }
}

/// Reads the sandbox's first stdout line, within 10 s.
fn ready_line(child: &mut std::process::Child) -> serde_json::Value {
    let stdout = child.stdout.take().unwrap();
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = send.send(line);
    });
    let line = receive
        .recv_timeout(Duration::from_secs(10))
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
        .recv_timeout(Duration::from_secs(10))
        .expect("the sandbox stopped after SIGTERM")
        .unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    assert!(
        stderr(&output).contains("sandbox ready"),
        "logs go to stderr: {}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains(KEY), "the secret is never logged");
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
fn demo_walks_every_step_and_exits_0() {
    let out = Command::new(BIN)
        .arg("demo")
        .env_remove("KUKURUKU_SECRET_KEY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let transcript = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{transcript}\n{}", stderr(&out));
    for step in [
        "start the sandbox and the merchant",
        "create a payin",
        "open the pay page",
        "press Pay",
        "follow the redirect to the merchant",
        "receive the payin callback",
        "query the order status",
        "create a payout",
        "receive the payout callback",
        "KukurukuID: open the login page",
        "KukurukuID: choose the user",
        "KukurukuID: finish the login",
        "Play: Kukuruku creates and pays an order",
        "Play: land on the merchant",
        "Play: log in",
        "Play: finish the login",
        "Play: the callback credits the order",
        "Play: a forged landing is refused",
        "Kuna: open the widget",
        "Kuna: the widget accepts the token",
        "Kuna: invalidate, the widget refuses",
    ] {
        let line = transcript
            .lines()
            .find(|line| line.contains(step))
            .unwrap_or_else(|| panic!("no step {step:?} in\n{transcript}"));
        assert!(line.ends_with("ok"), "{line}");
        assert!(
            line.contains(" ms"),
            "each step says how long it took: {line}"
        );
    }
    for evidence in [
        "→ POST /api/v1/orders/payins",
        "← 200 token",
        "303 See Other",
        "status paid",
        "signature verified",
        "← 200 uuid",
        "credited: 500.00 RUB",
        // KukurukuID: the login page, the code exchange, the profile from /api/v1/me.
        "KukurukuID login page: Bea Buyer (buyer@example.com)",
        "/protocol/openid-connect/token (code + PKCE verifier + client secret)",
        "ID token verified",
        "/api/v1/me (Bearer) ← name \"Bea Buyer\", email buyer@example.com, currency RUB",
        "\"Welcome, Bea Buyer (buyer@example.com)\"",
        // Play: the redirect's parameters, the login bound to the order, one credit.
        "auto_login=true&joker_login=true&custom4=",
        "session.order_id() = ",
        "credited 250.00 RUB once, from the verified callback only",
        "← 400 Bad Request \"auto-login refused",
        // Kuna: valid, then refused after invalidate; the token never printed.
        "refreshToken=***",
        r#"← 200 OK {"valid":true"#,
        r#"← 401 Unauthorized {"valid":false"#,
    ] {
        assert!(
            transcript.contains(evidence),
            "transcript lacks {evidence:?}:\n{transcript}"
        );
    }
    assert!(transcript.contains("all 21 steps passed"), "{transcript}");
    assert!(!transcript.contains("FAILED"));
    // Secrets stay out of the transcript: authorization codes, state, widget tokens.
    for secret_param in ["code=", "state=", "refreshToken="] {
        for (at, _) in transcript.match_indices(secret_param) {
            let value = &transcript[at + secret_param.len()..];
            assert!(
                value.starts_with("***"),
                "{secret_param} is shown: {}",
                &transcript[at..(at + 40).min(transcript.len())]
            );
        }
    }
}

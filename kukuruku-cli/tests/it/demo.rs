//! `kukuruku demo`: every step passes, with its evidence, and no secret is printed.

use std::process::{Command, Stdio};

use crate::support::{BIN, stderr, stdout};

/// Every step, in order of appearance.
const STEPS: [&str; 22] = [
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
    "Ledger: reconcile a lost callback",
];

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
    for step in STEPS {
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
        // The ledger: a callback lost for good, recovered by the reconciler, credited once.
        "the sandbox gave up (callback lost)",
        "1 moved forward",
        "credited 300.00 RUB once",
    ] {
        assert!(
            transcript.contains(evidence),
            "transcript lacks {evidence:?}:\n{transcript}"
        );
    }
    assert!(transcript.contains("all 22 steps passed"), "{transcript}");
    // It ends with how to open the same flow in a browser.
    let hint = transcript
        .rsplit("the same flow in a browser")
        .next()
        .unwrap();
    assert!(
        hint.contains("kukuruku sandbox") && hint.contains("/sandbox (the \"dashboard\" URL"),
        "{transcript}"
    );
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

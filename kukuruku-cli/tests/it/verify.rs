//! `kukuruku verify`: its exit codes, and the diagnosis of each usual cause of a mismatch.

use crate::support::{BODY, KEY, SIGNATURE, kukuruku, sign_with, stderr};

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

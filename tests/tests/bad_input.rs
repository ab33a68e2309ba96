//! Every bad input gets its 4xx and a message that names the problem.

use http::{Method, StatusCode};
use kukuruku_e2e::{Http, payin_body, payout_body, sign, start_sandbox};
use kukuruku_sandbox::{BodylessSigning, Merchant, Sandbox};
use kukuruku_sign::{SecretKey, Signer};
use serde_json::json;

/// A case: its name, the fields to replace, the message expected.
type Case = (
    &'static str,
    Vec<(&'static str, serde_json::Value)>,
    &'static str,
);
/// A signature case: its name, the headers, the body.
type SignatureCase = (&'static str, Vec<(&'static str, String)>, String);

const INVALID_SIGNATURE: &str = r#"{"success":false,"err":"Invalid signature"}"#;

fn payins(sandbox: &Sandbox) -> String {
    format!("{}/api/v1/orders/payins", sandbox.api_url())
}

fn payouts(sandbox: &Sandbox) -> String {
    format!("{}/api/v1/orders/payouts", sandbox.api_url())
}

#[tokio::test]
async fn bad_or_missing_signatures_get_401_with_the_d2_body() {
    let sandbox = start_sandbox().await;
    let http = Http::default();
    let body = payin_body("order-sig", "http://127.0.0.1:9/cb", &[]);
    let good = sign(body.as_bytes());
    let other_key = Signer::new(&SecretKey::new("wrong-secret").unwrap())
        .sign(body.as_bytes())
        .to_hex();
    let tampered = body.replace("50000", "5");
    let cases: Vec<SignatureCase> = vec![
        ("missing header", vec![], body.clone()),
        (
            "empty header",
            vec![("signature", String::new())],
            body.clone(),
        ),
        (
            "not hex",
            vec![("signature", "z".repeat(128))],
            body.clone(),
        ),
        (
            "too short",
            vec![("signature", good[..64].to_owned())],
            body.clone(),
        ),
        (
            "another secret",
            vec![("signature", other_key.as_str().to_owned())],
            body.clone(),
        ),
        ("tampered body", vec![("signature", good.clone())], tampered),
        (
            "body with a trailing newline",
            vec![("signature", good.clone())],
            format!("{body}\n"),
        ),
        (
            "header sent twice",
            vec![("signature", good.clone()), ("signature", good.clone())],
            body.clone(),
        ),
    ];
    for (name, headers, sent) in cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let answer = http
            .send(Method::POST, &payins(&sandbox), &headers, sent)
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(answer.text(), INVALID_SIGNATURE, "{name}");
    }
    assert!(sandbox.orders().is_empty());

    // Upper-case hex and surrounding whitespace are accepted (PROTOCOL 1.1).
    let upper = format!("  {}  ", good.to_ascii_uppercase());
    let answer = http
        .send(
            Method::POST,
            &payins(&sandbox),
            &[("signature", &upper)],
            body,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

#[tokio::test]
async fn php_style_bytes_verify_because_verification_is_over_raw_bytes() {
    let sandbox = start_sandbox().await;
    let http = Http::default();
    // PHP's json_encode escapes '/' as '\/': different bytes, same data. Signed as sent, accepted.
    let body = r#"{"merchant_id":"1","amount":50000,"currency":"RUB","callback_url":"http:\/\/127.0.0.1:9\/cb","order_number":"php-1","customer":{"client_id":"user@example.com"}}"#;
    let answer = http.post_signed(&payins(&sandbox), body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    // The merchant_id as a number (the older docs' example) is accepted too (D7).
    let body = r#"{"merchant_id":1,"amount":500,"currency":"RUB","order_number":"numeric-id","customer":{"client_id":"someuser@gmail.com"}}"#;
    let answer = http.post_signed(&payins(&sandbox), body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one table of cases
async fn invalid_payins_get_400_naming_the_field() {
    let sandbox = start_sandbox().await;
    let http = Http::default();
    let cb = "http://127.0.0.1:9/cb";
    let cases: Vec<Case> = vec![
        (
            "amount 0",
            vec![("amount", json!(0))],
            "amount must be greater than 0",
        ),
        (
            "negative amount",
            vec![("amount", json!(-5))],
            "amount must be greater than 0",
        ),
        (
            "fractional amount",
            vec![("amount", json!(10.5))],
            "amount must be an integer",
        ),
        (
            "amount as text",
            vec![("amount", json!("50000"))],
            "amount must be an integer",
        ),
        (
            "amount too large",
            vec![("amount", json!(9_007_199_254_740_992_u64))],
            "amount must be at most",
        ),
        (
            "no amount",
            vec![("amount", json!(null))],
            "amount is missing",
        ),
        (
            "unknown currency",
            vec![("currency", json!("EUR"))],
            "currency \"EUR\" is not supported",
        ),
        (
            "lower-case currency",
            vec![("currency", json!("rub"))],
            "currency \"rub\" is not supported",
        ),
        (
            "no currency",
            vec![("currency", json!(null))],
            "currency is missing",
        ),
        (
            "no order_number",
            vec![("order_number", json!(null))],
            "order_number is missing",
        ),
        (
            "empty order_number",
            vec![("order_number", json!(""))],
            "order_number must not be empty",
        ),
        (
            "no merchant_id",
            vec![("merchant_id", json!(null))],
            "merchant_id is missing",
        ),
        (
            "merchant_id of another merchant",
            vec![("merchant_id", json!("2"))],
            "merchant_id \"2\" does not match",
        ),
        (
            "unknown merchant_id",
            vec![("merchant_id", json!("999"))],
            "merchant_id \"999\" does not match",
        ),
        (
            "no customer",
            vec![("customer", json!(null))],
            "customer is missing",
        ),
        (
            "customer not an object",
            vec![("customer", json!("user@example.com"))],
            "customer must be an object",
        ),
        (
            "no client_id",
            vec![("customer", json!({}))],
            "customer.client_id is missing",
        ),
        (
            "bad e-mail",
            vec![("customer", json!({"client_id": "not-an-email"}))],
            "customer.client_id must be the user's e-mail",
        ),
        (
            "bad callback_url",
            vec![("callback_url", json!("not a url"))],
            "callback_url must be an absolute http(s) URL",
        ),
        (
            "ftp callback_url",
            vec![("callback_url", json!("ftp://x.example/cb"))],
            "callback_url must be an absolute http(s) URL",
        ),
        (
            "bad redirect_success_url",
            vec![("redirect_success_url", json!("/relative"))],
            "redirect_success_url must be an absolute",
        ),
        (
            "bad redirect_fail_url",
            vec![("redirect_fail_url", json!(42))],
            "redirect_fail_url must be a URL",
        ),
    ];
    for (name, fields, expected) in cases {
        let body = payin_body(&format!("bad-{name}"), cb, &fields);
        let answer = http.post_signed(&payins(&sandbox), &body).await;
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
    for (name, body, expected) in [
        ("not JSON", "merchant_id=1", "not valid JSON"),
        ("not an object", "[1,2]", "must be a JSON object"),
    ] {
        let answer = http.post_signed(&payins(&sandbox), body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(answer.err().contains(expected), "{name}: {}", answer.err());
    }
    assert!(
        sandbox.orders().is_empty(),
        "no bad request created an order"
    );
}

#[tokio::test]
async fn invalid_payouts_get_400_naming_the_field() {
    let sandbox = start_sandbox().await;
    let http = Http::default();
    let cases: Vec<Case> = vec![
        (
            "amount 0",
            vec![("amount", json!(0))],
            "amount must be greater than 0",
        ),
        (
            "unknown currency",
            vec![("currency", json!("BTC"))],
            "currency \"BTC\" is not supported",
        ),
        (
            "no user_email",
            vec![("user_email", json!(null))],
            "user_email is missing",
        ),
        (
            "bad user_email",
            vec![("user_email", json!("payee"))],
            "user_email must be the user's e-mail",
        ),
        (
            "unknown user",
            vec![("user_email", json!("nobody@example.com"))],
            "user_email \"nobody@example.com\" is not a KukuPay user",
        ),
        (
            "bad callback_url",
            vec![("callback_url", json!("javascript:alert(1)"))],
            "callback_url must be an absolute http(s) URL",
        ),
        (
            "merchant_id mismatch",
            vec![("merchant_id", json!("2"))],
            "does not match the secret key",
        ),
    ];
    for (name, fields, expected) in cases {
        let body = payout_body(&format!("bad-{name}"), &fields);
        let answer = http.post_signed(&payouts(&sandbox), &body).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{name}: {}",
            answer.text()
        );
        assert!(
            answer.err().contains(expected),
            "{name}: {:?} lacks {expected:?}",
            answer.err()
        );
    }
    assert!(sandbox.orders().is_empty());
}

#[tokio::test]
async fn a_reused_order_number_with_other_content_gets_409() {
    let sandbox = start_sandbox().await;
    let http = Http::default();
    let body = payin_body("dup", "http://127.0.0.1:9/cb", &[]);
    let first = http.post_signed(&payins(&sandbox), &body).await;
    assert_eq!(first.status, StatusCode::OK);
    let same = http.post_signed(&payins(&sandbox), &body).await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(same.json()["token"], first.json()["token"]);
    for (name, fields) in [
        ("amount", vec![("amount", json!(1))]),
        ("currency", vec![("currency", json!("USD"))]),
        (
            "customer",
            vec![("customer", json!({"client_id": "other@example.com"}))],
        ),
        (
            "callback_url",
            vec![("callback_url", json!("http://127.0.0.1:9/other"))],
        ),
    ] {
        let changed = payin_body("dup", "http://127.0.0.1:9/cb", &fields);
        let answer = http.post_signed(&payins(&sandbox), &changed).await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{name}");
        assert!(
            answer
                .err()
                .contains("order_number \"dup\" is already used"),
            "{name}: {}",
            answer.err()
        );
    }
    // The same number as a payout conflicts with the payin.
    let payout = payout_body("dup", &[]);
    let answer = http.post_signed(&payouts(&sandbox), &payout).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(sandbox.orders().len(), 1);
}

#[tokio::test]
async fn order_status_checks_the_d1_signature_and_merchant_id() {
    let sandbox = start_sandbox().await;
    let http = Http::default();
    let created = http
        .post_signed(
            &payins(&sandbox),
            &payin_body("status-1", "http://127.0.0.1:9/cb", &[]),
        )
        .await;
    let token = created.json()["token"].as_str().unwrap().to_owned();
    let url = format!("{}/api/v1/orders/{token}?merchant_id=1", sandbox.api_url());
    let d1 = sign(b"{}");

    // Signed over `{}`: 200, the order, and the answer signed over its exact bytes.
    let answer = http
        .send(Method::GET, &url, &[("signature", &d1)], "")
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let order = answer.json();
    assert_eq!(order["uuid"], token.as_str());
    assert_eq!(order["status"], "created");
    assert_eq!(order["type"], "payin");
    assert_eq!(order["merchant_id"], "1");
    let header = answer.headers["signature"].to_str().unwrap();
    assert_eq!(header, sign(&answer.body));
    let prefix = format!(
        r#"{{"uuid":"{token}","order_number":"status-1","status":"created","amount":50000,"currency":"RUB","type":"payin","merchant_id":"1","created_at":""#
    );
    assert!(
        answer.text().starts_with(&prefix),
        "D4 field order: {}",
        answer.text()
    );
    assert!(answer.text().contains(r#"","updated_at":""#));

    // Missing, wrong or otherwise-signed: 401.
    for (name, headers) in [
        ("no signature", vec![]),
        (
            "signed over the empty string",
            vec![("signature", sign(b""))],
        ),
        (
            "another secret",
            vec![(
                "signature",
                Signer::new(&SecretKey::new("nope").unwrap())
                    .sign(b"{}")
                    .to_hex()
                    .as_str()
                    .to_owned(),
            )],
        ),
    ] {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let answer = http.send(Method::GET, &url, &headers, "").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(answer.text(), INVALID_SIGNATURE, "{name}");
    }

    // merchant_id missing or not the key's: 400.
    let bare = format!("{}/api/v1/orders/{token}", sandbox.api_url());
    let answer = http
        .send(Method::GET, &bare, &[("signature", &d1)], "")
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.err().contains("merchant_id is missing"),
        "{}",
        answer.err()
    );
    let wrong = format!("{}/api/v1/orders/{token}?merchant_id=2", sandbox.api_url());
    let answer = http
        .send(Method::GET, &wrong, &[("signature", &d1)], "")
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.err().contains("merchant_id \"2\" does not match"),
        "{}",
        answer.err()
    );

    // An unknown order: 404 with a message.
    let unknown = format!(
        "{}/api/v1/orders/00000000-0000-4000-8000-000000000000?merchant_id=1",
        sandbox.api_url()
    );
    let answer = http
        .send(Method::GET, &unknown, &[("signature", &d1)], "")
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.err().contains("no order"), "{}", answer.err());
}

#[tokio::test]
async fn bodyless_signing_is_configurable() {
    let sandbox = Sandbox::builder()
        .merchant(Merchant::new("1", kukuruku_e2e::key()))
        .bodyless_signing(BodylessSigning::MerchantIdObject)
        .start()
        .await
        .unwrap();
    let http = Http::default();
    let created = http
        .post_signed(
            &payins(&sandbox),
            &payin_body("d1", "http://127.0.0.1:9/cb", &[]),
        )
        .await;
    let token = created.json()["token"].as_str().unwrap().to_owned();
    let url = format!("{}/api/v1/orders/{token}?merchant_id=1", sandbox.api_url());
    let answer = http
        .send(
            Method::GET,
            &url,
            &[("signature", &sign(br#"{"merchant_id":"1"}"#))],
            "",
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let answer = http
        .send(Method::GET, &url, &[("signature", &sign(b"{}"))], "")
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_d1_choice_of_the_sdk_is_understood() {
    for (signing, signed, other) in [
        (BodylessSigning::EmptyObject, &b"{}"[..], &b""[..]),
        (BodylessSigning::EmptyString, b"", b"{}"),
        (
            BodylessSigning::MerchantIdObject,
            br#"{"merchant_id":"1"}"#,
            b"{}",
        ),
    ] {
        let sandbox = Sandbox::builder()
            .merchant(Merchant::new("1", kukuruku_e2e::key()))
            .bodyless_signing(signing)
            .start()
            .await
            .unwrap();
        let http = Http::default();
        let created = http
            .post_signed(
                &payins(&sandbox),
                &payin_body("d1-all", "http://127.0.0.1:9/cb", &[]),
            )
            .await;
        let token = created.json()["token"].as_str().unwrap().to_owned();
        let url = format!("{}/api/v1/orders/{token}?merchant_id=1", sandbox.api_url());
        let answer = http
            .send(Method::GET, &url, &[("signature", &sign(signed))], "")
            .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{signing:?}: {}",
            answer.text()
        );
        // The input is the SDK's own (`BodylessSigning::input`), byte for byte.
        let id = kukuruku_proto::MerchantId::new("1").unwrap();
        let sdk = signing
            .input(&id, kukuruku_proto::MerchantIdFormat::String)
            .unwrap();
        assert_eq!(sdk.as_ref(), signed, "{signing:?}");
        let answer = http
            .send(Method::GET, &url, &[("signature", &sign(other))], "")
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{signing:?}");
        // Without merchant_id: 400 when the input does not depend on it, else unsigned (401).
        let bare = format!("{}/api/v1/orders/{token}", sandbox.api_url());
        let answer = http
            .send(Method::GET, &bare, &[("signature", &sign(signed))], "")
            .await;
        let expected = if signing == BodylessSigning::MerchantIdObject {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(answer.status, expected, "{signing:?}: {}", answer.text());
    }
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let sandbox = start_sandbox().await;
    let http = Http::default();
    let padding = "x".repeat(70 * 1024);
    let body = payin_body(
        "big",
        "http://127.0.0.1:9/cb",
        &[("padding", json!(padding))],
    );
    let answer = http.post_signed(&payins(&sandbox), &body).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(answer.err().contains("larger than"), "{}", answer.err());
}

#[tokio::test]
async fn control_api_refuses_bad_users() {
    let sandbox = start_sandbox().await;
    let http = Http::default();
    let url = format!("{}/users", sandbox.control_url());
    for (body, status, expected) in [
        (
            r#"{"email":"x","name":"X","currency":"RUB"}"#,
            StatusCode::BAD_REQUEST,
            "email \"x\" is not an e-mail address",
        ),
        (
            r#"{"email":"x@example.com","name":"","currency":"RUB"}"#,
            StatusCode::BAD_REQUEST,
            "name must not be empty",
        ),
        (
            r#"{"email":"x@example.com","name":"X","currency":"EUR"}"#,
            StatusCode::BAD_REQUEST,
            "currency \"EUR\" is not supported",
        ),
        (
            r#"{"email":"x@example.com","name":"X"}"#,
            StatusCode::BAD_REQUEST,
            "currency is missing",
        ),
        (
            r#"{"email":7,"name":"X","currency":"RUB"}"#,
            StatusCode::BAD_REQUEST,
            "email must be a string",
        ),
        ("nope", StatusCode::BAD_REQUEST, "not valid JSON"),
        (
            r#"{"email":"payee@example.com","name":"P","currency":"RUB"}"#,
            StatusCode::CONFLICT,
            "exists already",
        ),
    ] {
        let answer = http.post_json(&url, body).await;
        assert_eq!(answer.status, status, "{body}");
        assert!(answer.err().contains(expected), "{body}: {}", answer.err());
    }
    let unknown = http.get(&format!("{}/nowhere", sandbox.base_url())).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(!unknown.err().is_empty());
}

#[tokio::test]
async fn the_pay_page_escapes_what_it_shows() {
    let sandbox = start_sandbox().await;
    let http = Http::default();
    let evil = "<script>alert('x')</script>&\"";
    let body = json!({
        "merchant_id": "1",
        "amount": 100,
        "currency": "RUB",
        "order_number": evil,
        "customer": {"client_id": "o'neil&co@example.com"},
    })
    .to_string();
    let created = http.post_signed(&payins(&sandbox), &body).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let page = http
        .get(created.json()["url"].as_str().unwrap())
        .await
        .text();
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("o&#39;neil&amp;co@example.com"), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"),
        "{page}"
    );
}

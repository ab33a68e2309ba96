//! Signatures: a bad or missing one gets 401 with the D2 body; what is signed is the raw bytes,
//! and for a GET the D1 input the merchant chose.

use http::{Method, StatusCode};
use kukuruku_e2e::{Http, payin_body, sign, start_sandbox};
use kukuruku_sandbox::{BodylessSigning, Merchant, Sandbox};
use kukuruku_sign::{SecretKey, Signer};

use super::payins;

/// A signature case: its name, the headers, the body.
type SignatureCase = (&'static str, Vec<(&'static str, String)>, String);

const INVALID_SIGNATURE: &str = r#"{"success":false,"err":"Invalid signature"}"#;

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

/// A sandbox with one order (`status-1`), an HTTP client, and the order's token.
async fn sandbox_with_an_order() -> (Sandbox, Http, String) {
    let sandbox = start_sandbox().await;
    let http = Http::default();
    let created = http
        .post_signed(
            &payins(&sandbox),
            &payin_body("status-1", "http://127.0.0.1:9/cb", &[]),
        )
        .await;
    let token = created.json()["token"].as_str().unwrap().to_owned();
    (sandbox, http, token)
}

#[tokio::test]
async fn order_status_signed_over_empty_object_answers_the_signed_order() {
    let (sandbox, http, token) = sandbox_with_an_order().await;
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
}

#[tokio::test]
async fn order_status_refuses_a_missing_or_wrong_d1_signature() {
    let (sandbox, http, token) = sandbox_with_an_order().await;
    let url = format!("{}/api/v1/orders/{token}?merchant_id=1", sandbox.api_url());
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
}

#[tokio::test]
async fn order_status_checks_the_merchant_id_and_the_order() {
    let (sandbox, http, token) = sandbox_with_an_order().await;
    let d1 = sign(b"{}");
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

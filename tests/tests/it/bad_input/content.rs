//! Content: each invalid field gets 400 naming it, a reused order number 409, an oversized body
//! 413; the control API refuses bad users, and the pay page escapes what it shows.

use http::StatusCode;
use kukuruku_e2e::{Http, payin_body, payout_body, start_sandbox};
use serde_json::json;

use super::{payins, payouts};

/// A request with one field replaced, and what the message of its 400 must contain.
struct FieldCase {
    /// What the case is (also in the order number).
    name: &'static str,
    /// The field replaced.
    field: &'static str,
    /// Its new value as JSON text; `null` removes the field.
    json: &'static str,
    /// What the error message (`err`) must contain.
    expected: &'static str,
}

const fn case(
    name: &'static str,
    field: &'static str,
    json: &'static str,
    expected: &'static str,
) -> FieldCase {
    FieldCase {
        name,
        field,
        json,
        expected,
    }
}

impl FieldCase {
    /// The field and its value, for `payin_body` / `payout_body`.
    fn fields(&self) -> [(&'static str, serde_json::Value); 1] {
        let value = serde_json::from_str(self.json)
            .unwrap_or_else(|err| panic!("{}: {err}: {}", self.name, self.json));
        [(self.field, value)]
    }
}

/// Invalid payins, the amount: a positive integer of minor units, below 2^53.
#[rustfmt::skip]
const PAYIN_AMOUNTS: &[FieldCase] = &[
    case("amount 0", "amount", "0", "amount must be greater than 0"),
    case("negative amount", "amount", "-5", "amount must be greater than 0"),
    case("fractional amount", "amount", "10.5", "amount must be an integer"),
    case("amount as text", "amount", r#""50000""#, "amount must be an integer"),
    case("amount too large", "amount", "9007199254740992", "amount must be at most"),
    case("no amount", "amount", "null", "amount is missing"),
];

/// Invalid payins, the currency: a supported code, in capitals.
#[rustfmt::skip]
const PAYIN_CURRENCIES: &[FieldCase] = &[
    case("unknown currency", "currency", r#""EUR""#, "currency \"EUR\" is not supported"),
    case("lower-case currency", "currency", r#""rub""#, "currency \"rub\" is not supported"),
    case("no currency", "currency", "null", "currency is missing"),
];

/// Invalid payins, the ids: the order number, and the merchant id of the key that signed.
#[rustfmt::skip]
const PAYIN_IDS: &[FieldCase] = &[
    case("no order_number", "order_number", "null", "order_number is missing"),
    case("empty order_number", "order_number", r#""""#, "order_number must not be empty"),
    case("no merchant_id", "merchant_id", "null", "merchant_id is missing"),
    case("merchant_id of another merchant", "merchant_id", r#""2""#, "merchant_id \"2\" does not match"),
    case("unknown merchant_id", "merchant_id", r#""999""#, "merchant_id \"999\" does not match"),
];

/// Invalid payins, the customer: an object whose `client_id` is the user's e-mail.
#[rustfmt::skip]
const PAYIN_CUSTOMERS: &[FieldCase] = &[
    case("no customer", "customer", "null", "customer is missing"),
    case("customer not an object", "customer", r#""user@example.com""#, "customer must be an object"),
    case("no client_id", "customer", "{}", "customer.client_id is missing"),
    case("bad e-mail", "customer", r#"{"client_id": "not-an-email"}"#, "customer.client_id must be the user's e-mail"),
];

/// Invalid payins, the URLs: absolute http(s).
#[rustfmt::skip]
const PAYIN_URLS: &[FieldCase] = &[
    case("bad callback_url", "callback_url", r#""not a url""#, "callback_url must be an absolute http(s) URL"),
    case("ftp callback_url", "callback_url", r#""ftp://x.example/cb""#, "callback_url must be an absolute http(s) URL"),
    case("bad redirect_success_url", "redirect_success_url", r#""/relative""#, "redirect_success_url must be an absolute"),
    case("bad redirect_fail_url", "redirect_fail_url", "42", "redirect_fail_url must be a URL"),
];

/// Every invalid payin, by topic.
const INVALID_PAYINS: [&[FieldCase]; 5] = [
    PAYIN_AMOUNTS,
    PAYIN_CURRENCIES,
    PAYIN_IDS,
    PAYIN_CUSTOMERS,
    PAYIN_URLS,
];

/// Invalid payouts.
#[rustfmt::skip]
const INVALID_PAYOUTS: &[FieldCase] = &[
    case("amount 0", "amount", "0", "amount must be greater than 0"),
    case("unknown currency", "currency", r#""BTC""#, "currency \"BTC\" is not supported"),
    case("no user_email", "user_email", "null", "user_email is missing"),
    case("bad user_email", "user_email", r#""payee""#, "user_email must be the user's e-mail"),
    case("unknown user", "user_email", r#""nobody@example.com""#, "user_email \"nobody@example.com\" is not a KukuPay user"),
    case("bad callback_url", "callback_url", r#""javascript:alert(1)""#, "callback_url must be an absolute http(s) URL"),
    case("merchant_id mismatch", "merchant_id", r#""2""#, "does not match the secret key"),
];

#[tokio::test]
async fn invalid_payins_get_400_naming_the_field() {
    let sandbox = start_sandbox().await;
    let http = Http::default();
    let cb = "http://127.0.0.1:9/cb";
    for case in INVALID_PAYINS.into_iter().flatten() {
        let FieldCase { name, expected, .. } = case;
        let body = payin_body(&format!("bad-{name}"), cb, &case.fields());
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
    for case in INVALID_PAYOUTS {
        let FieldCase { name, expected, .. } = case;
        let body = payout_body(&format!("bad-{name}"), &case.fields());
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

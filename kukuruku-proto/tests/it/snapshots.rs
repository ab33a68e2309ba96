//! The exact wire form (method, URI, headers, body bytes) of every request, as insta snapshots.

use bytes::Bytes;
use http::Request;
use kukuruku_proto::{
    Amount, ApiConfig, BodylessSigning, Currency, Endpoint, MerchantId, MerchantIdFormat, OrderId,
    OrderStatusRequest, PayinRequest, PayoutRequest, ProfileRequest, build_signed_request,
};

use crate::support::signer;

fn config() -> ApiConfig {
    ApiConfig::new(MerchantId::new("1").unwrap())
}

/// `METHOD URI`, the headers sorted by name, a blank line, and the body as text.
fn render(request: &Request<Bytes>) -> String {
    let mut headers: Vec<String> = request
        .headers()
        .iter()
        .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
        .collect();
    headers.sort();
    format!(
        "{} {}\n{}\n\n{}",
        request.method(),
        request.uri(),
        headers.join("\n"),
        std::str::from_utf8(request.body()).unwrap()
    )
}

fn signed<E: Endpoint>(endpoint: &E, config: &ApiConfig) -> String {
    render(&build_signed_request(endpoint, config, &signer()).unwrap())
}

fn payin_full() -> PayinRequest {
    PayinRequest::builder()
        .amount(Amount::new(50_000).unwrap())
        .currency(Currency::Rub)
        .callback_url("https://your-site.com/callback")
        .order_number("order-123")
        .redirect_success_url("https://your-site.com/success")
        .redirect_fail_url("https://your-site.com/fail")
        .client_id("user@example.com")
        .build()
        .unwrap()
}

#[test]
fn payin_with_all_urls() {
    insta::assert_snapshot!("payin_full", signed(&payin_full(), &config()));
}

#[test]
fn payin_without_optional_urls() {
    let payin = PayinRequest::builder()
        .amount(Amount::from_decimal("10.50", &Currency::Usd).unwrap())
        .currency(Currency::Usd)
        .order_number("order-124")
        .client_id("user@example.com")
        .build()
        .unwrap();
    insta::assert_snapshot!("payin_minimal", signed(&payin, &config()));
}

#[test]
fn payin_with_unicode_and_escapes() {
    let payin = PayinRequest::builder()
        .amount(Amount::new(1).unwrap())
        .currency(Currency::custom("EUR", 2).unwrap())
        .order_number("заказ \"42\" / 7")
        .redirect_success_url("http://localhost:3000/ok?x=1&y=2")
        .client_id("пользователь@пример.рф")
        .build()
        .unwrap();
    insta::assert_snapshot!("payin_unicode", signed(&payin, &config()));
}

#[test]
fn payin_with_numeric_merchant_id() {
    let config = config()
        .with_merchant_id_format(MerchantIdFormat::Number)
        .unwrap();
    insta::assert_snapshot!("payin_number_merchant_id", signed(&payin_full(), &config));
}

#[test]
fn payout_with_callback() {
    let payout = PayoutRequest::builder()
        .amount(Amount::from_decimal("100", &Currency::Usdt).unwrap())
        .currency(Currency::Usdt)
        .order_number("payout-1")
        .callback_url("https://your-site.com/callback")
        .user_email("someuser@gmail.com")
        .build()
        .unwrap();
    insta::assert_snapshot!("payout_full", signed(&payout, &config()));
}

#[test]
fn payout_without_callback() {
    let payout = PayoutRequest::builder()
        .amount(Amount::new(500).unwrap())
        .currency(Currency::Rub)
        .order_number("payout-2")
        .user_email("someuser@gmail.com")
        .build()
        .unwrap();
    insta::assert_snapshot!("payout_minimal", signed(&payout, &config()));
}

fn status() -> OrderStatusRequest {
    OrderStatusRequest::new(OrderId::new("8f14e45f-ceea-467a-9575-4e1f0c2d7a11").unwrap())
}

#[test]
fn order_status_signing_empty_object() {
    let config = config().with_bodyless_signing(BodylessSigning::EmptyObject);
    insta::assert_snapshot!("order_status_empty_object", signed(&status(), &config));
}

#[test]
fn order_status_signing_empty_string() {
    let config = config().with_bodyless_signing(BodylessSigning::EmptyString);
    insta::assert_snapshot!("order_status_empty_string", signed(&status(), &config));
}

#[test]
fn order_status_signing_merchant_id_object() {
    let config = config().with_bodyless_signing(BodylessSigning::MerchantIdObject);
    insta::assert_snapshot!(
        "order_status_merchant_id_object",
        signed(&status(), &config)
    );
}

#[test]
fn order_status_signing_merchant_id_object_as_number() {
    let config = config()
        .with_bodyless_signing(BodylessSigning::MerchantIdObject)
        .with_merchant_id_format(MerchantIdFormat::Number)
        .unwrap();
    insta::assert_snapshot!(
        "order_status_merchant_id_object_number",
        signed(&status(), &config)
    );
}

#[test]
fn the_d1_policies_give_three_different_signatures() {
    let signatures: Vec<_> = [
        BodylessSigning::EmptyObject,
        BodylessSigning::EmptyString,
        BodylessSigning::MerchantIdObject,
    ]
    .into_iter()
    .map(|policy| {
        let request = build_signed_request(
            &status(),
            &config().with_bodyless_signing(policy),
            &signer(),
        )
        .unwrap();
        assert!(request.body().is_empty());
        request.headers()["signature"].clone()
    })
    .collect();
    assert_ne!(signatures[0], signatures[1]);
    assert_ne!(signatures[1], signatures[2]);
    assert_ne!(signatures[0], signatures[2]);
}

#[test]
fn order_status_against_local_base_url() {
    let config = config()
        .with_base_url(kukuruku_proto::LOCAL_BASE_URL)
        .unwrap();
    insta::assert_snapshot!(
        "order_status_local",
        render(&status().to_request(&config).unwrap())
    );
}

#[test]
fn profile() {
    let profile = ProfileRequest::new("eyJhbGciOiJSUzI1NiJ9.test.token").unwrap();
    insta::assert_snapshot!("profile", signed(&profile, &config()));
}

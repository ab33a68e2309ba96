//! The PROTOCOL.md 1.1 test vectors, produced from typed requests.

use kukuruku_proto::kukuruku_sign::{SecretKey, Verifier};
use kukuruku_proto::{
    Amount, ApiConfig, Currency, Endpoint, MerchantId, MerchantIdFormat, PayinRequest,
    RequestError, build_signed_request,
};

use crate::support::{KEY, signer};

const BODY_1: &str = r#"{"merchant_id":"1","amount":50000,"currency":"RUB","callback_url":"https://your-site.com/callback","order_number":"order-123","redirect_success_url":"https://your-site.com/success","redirect_fail_url":"https://your-site.com/fail","customer":{"client_id":"user@example.com"}}"#;
const SIGNATURE_1: &str = "b7611a011a447edd6dee56f302722045d5e947411987d3884eb185157831d815a91293d64b07af6a571403e1665348237ef4d3dac8c83010ab823cc838b4308b";

const BODY_2: &str = r#"{"merchant_id":1,"amount":500,"currency":"RUB","callback_url":"https://your-site.com/callback","order_number":"orderNumber","redirect_success_url":"https://your-site.com/success","redirect_fail_url":"https://your-site.com/fail","customer":{"client_id":"someuser@gmail.com"}}"#;
const SIGNATURE_2: &str = "066a34a641683e41935a58ece5addc06176eea29e1670bf7dc2ffb1357925d12a5117d7b914152283c66da6565ddc6a7e6fc203e2dd149cc2eef18ea7a66a9a5";

fn payin(amount: u64, order_number: &str, client_id: &str) -> PayinRequest {
    PayinRequest::builder()
        .amount(Amount::new(amount).unwrap())
        .currency(Currency::Rub)
        .callback_url("https://your-site.com/callback")
        .order_number(order_number)
        .redirect_success_url("https://your-site.com/success")
        .redirect_fail_url("https://your-site.com/fail")
        .client_id(client_id)
        .build()
        .unwrap()
}

#[test]
fn vector_1_body_and_signature() {
    let config = ApiConfig::new(MerchantId::new("1").unwrap());
    let payin = payin(50_000, "order-123", "user@example.com");
    let request = build_signed_request(&payin, &config, &signer()).unwrap();
    assert_eq!(std::str::from_utf8(request.body()).unwrap(), BODY_1);
    assert_eq!(request.headers()["signature"], SIGNATURE_1);
    assert!(request.headers()["signature"].is_sensitive());
    // The signing input is the body itself, and the unsigned request has the same bytes.
    assert_eq!(config.signing_input(&request).as_ref(), BODY_1.as_bytes());
    assert_eq!(
        payin.to_request(&config).unwrap().body().as_ref(),
        BODY_1.as_bytes()
    );
    let verifier = Verifier::new(&SecretKey::new(KEY).unwrap());
    assert!(verifier.verify(request.body(), SIGNATURE_1).is_ok());
}

#[test]
fn vector_1_from_decimal_text() {
    let config = ApiConfig::new(MerchantId::new("1").unwrap());
    let amount = Amount::from_decimal("500", &Currency::Rub).unwrap();
    let payin = payin(amount.minor_units(), "order-123", "user@example.com");
    let request = build_signed_request(&payin, &config, &signer()).unwrap();
    assert_eq!(request.headers()["signature"], SIGNATURE_1);
}

#[test]
fn vector_2_merchant_id_as_number() {
    let config = ApiConfig::new(MerchantId::new("1").unwrap())
        .with_merchant_id_format(MerchantIdFormat::Number)
        .unwrap();
    let payin = payin(500, "orderNumber", "someuser@gmail.com");
    let request = build_signed_request(&payin, &config, &signer()).unwrap();
    assert_eq!(std::str::from_utf8(request.body()).unwrap(), BODY_2);
    assert_eq!(request.headers()["signature"], SIGNATURE_2);
}

#[test]
fn the_format_changes_the_signed_bytes() {
    let string = ApiConfig::new(MerchantId::new("1").unwrap());
    let number = string
        .clone()
        .with_merchant_id_format(MerchantIdFormat::Number)
        .unwrap();
    let payin = payin(500, "orderNumber", "someuser@gmail.com");
    let a = build_signed_request(&payin, &string, &signer()).unwrap();
    let b = build_signed_request(&payin, &number, &signer()).unwrap();
    assert_ne!(a.headers()["signature"], b.headers()["signature"]);
    assert!(a.body().starts_with(br#"{"merchant_id":"1","#));
    assert!(b.body().starts_with(br#"{"merchant_id":1,"#));
}

#[test]
fn number_format_refuses_a_non_numeric_id() {
    let error = ApiConfig::new(MerchantId::new("shop-1").unwrap())
        .with_merchant_id_format(MerchantIdFormat::Number)
        .unwrap_err();
    assert_eq!(
        error,
        RequestError::MerchantIdNotNumeric {
            merchant_id: "shop-1".into()
        }
    );
    assert!(error.to_string().contains("digits only"));
}

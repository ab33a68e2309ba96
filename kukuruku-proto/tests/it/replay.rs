//! A signed body is tied to the request it answers: a callback or status answer about order B,
//! correctly signed, is refused as the answer to a status request about order A, and one for
//! another merchant is refused too (issue 15, item 1).

use bytes::Bytes;
use kukuruku_proto::kukuruku_sign::{SecretKey, Verifier};
use kukuruku_proto::{
    AnswerMismatch, ApiConfig, MerchantId, OrderId, OrderStatus, OrderStatusRequest, ResponseError,
    build_signed_request, parse_verified_response,
};

use crate::support::{KEY, signer};

/// A 200 answer with `body`, signed with the merchant's key, as Kukuruku (or a replay of
/// something Kukuruku once signed) would send it.
fn signed(body: &'static str) -> http::Response<Bytes> {
    let signature = signer().sign(body.as_bytes()).to_hex();
    http::Response::builder()
        .status(200)
        .header("signature", signature.as_str())
        .body(Bytes::from_static(body.as_bytes()))
        .unwrap()
}

fn status_of(id: &str) -> OrderStatusRequest {
    OrderStatusRequest::new(OrderId::new(id).unwrap())
}

fn setup() -> (ApiConfig, Verifier) {
    let config = ApiConfig::new(MerchantId::new("1").unwrap());
    (config, Verifier::new(&SecretKey::new(KEY).unwrap()))
}

/// B's callback, captured by someone on the path, then replayed as the answer about A.
const CALLBACK_B: &str = r#"{"uuid":"B","order_number":"order-b","status":"paid","amount":500000,"currency":"RUB","type":"payin","merchant_id":"1"}"#;

#[test]
fn a_signed_answer_about_another_order_is_refused() {
    let (config, verifier) = setup();
    let a = status_of("A");
    build_signed_request(&a, &config, &signer()).unwrap();
    let error = parse_verified_response(&a, &config, &verifier, signed(CALLBACK_B)).unwrap_err();
    match &error {
        ResponseError::Mismatch {
            source: AnswerMismatch::Order { asked, answered },
            body,
            ..
        } => {
            assert_eq!((asked.as_str(), answered.as_str()), ("A", "B"));
            assert_eq!(body.as_ref(), CALLBACK_B.as_bytes());
        }
        other => panic!("{other:?}"),
    }
    // The same body answers B's own status request.
    let order = parse_verified_response(&status_of("B"), &config, &verifier, signed(CALLBACK_B));
    assert_eq!(order.unwrap().status, OrderStatus::Paid);
}

#[test]
fn each_id_name_is_tied_to_the_request() {
    let (config, verifier) = setup();
    let a = status_of("A");
    for (body, accepted) in [
        (r#"{"token":"A","status":"paid"}"#, true),
        (r#"{"order_id":"A","status":"paid"}"#, true),
        (r#"{"id":"A","status":"paid"}"#, true),
        (r#"{"token":"B","status":"paid"}"#, false),
        (r#"{"order_id":"B","status":"paid"}"#, false),
        (r#"{"id":"B","status":"paid"}"#, false),
        // The id is `uuid` when present (D4): a matching `token` beside it does not help.
        (r#"{"uuid":"B","token":"A","status":"paid"}"#, false),
    ] {
        let read = parse_verified_response(&a, &config, &verifier, signed(body));
        assert_eq!(read.is_ok(), accepted, "{body}: {read:?}");
    }
}

#[test]
fn a_signed_answer_for_another_merchant_is_refused() {
    let (config, verifier) = setup();
    let a = status_of("A");
    let other = r#"{"uuid":"A","status":"paid","merchant_id":"2"}"#;
    let error = parse_verified_response(&a, &config, &verifier, signed(other)).unwrap_err();
    assert!(
        matches!(
            &error,
            ResponseError::Mismatch {
                source: AnswerMismatch::Merchant { .. },
                ..
            }
        ),
        "{error:?}"
    );
    for fine in [
        r#"{"uuid":"A","status":"paid","merchant_id":"1"}"#,
        r#"{"uuid":"A","status":"paid","merchant_id":1}"#,
        r#"{"uuid":"A","status":"paid"}"#,
    ] {
        let read = parse_verified_response(&a, &config, &verifier, signed(fine));
        assert!(read.is_ok(), "{fine}: {read:?}");
    }
}

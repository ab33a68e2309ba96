//! A correctly signed answer is taken only as the answer to the request it is about: another
//! order's status or callback, replayed, is refused, as is one for another merchant or one with
//! a key twice (issue 15, items 1 and 5).

use kukuruku_proto::{AnswerMismatch, OrderStatusRequest};

use super::*;

/// Order B's signed body (a callback or a status answer someone captured).
const ORDER_B: &str = r#"{"uuid":"0b7e3c4e-0000-4000-8000-00000000000b","status":"paid","amount":5000000,"currency":"RUB","type":"payin","merchant_id":"1"}"#;

#[tokio::test]
async fn another_orders_signed_answer_is_refused() {
    let (sent, service) = mock(|_, _| async { signed(200, ORDER_B) });
    let client = client(service);
    let err = client.order(&order_id()).await.unwrap_err();
    match &err {
        Error::Mismatch {
            status,
            body,
            source: AnswerMismatch::Order { asked, answered },
        } => {
            assert_eq!(*status, 200);
            assert_eq!(body, ORDER_B.as_bytes());
            assert_eq!(asked.as_str(), ORDER_ID);
            assert_eq!(answered.as_str(), "0b7e3c4e-0000-4000-8000-00000000000b");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.status(), Some(http::StatusCode::OK));
    assert_eq!(err.body().unwrap(), ORDER_B.as_bytes());
    let cause = std::error::Error::source(&err).unwrap().to_string();
    assert!(cause.contains("replayed or misrouted"), "{cause}");
    assert!(!err.to_string().contains(&cause), "{err}");
    // Through the generic call too.
    let call = OrderStatusRequest::new(order_id());
    assert!(matches!(
        client.call(&call).await,
        Err(Error::Mismatch { .. })
    ));
    assert_eq!(sent.lock().unwrap().len(), 2, "refused, not retried");
}

#[tokio::test]
async fn another_merchants_signed_answer_is_refused() {
    const OTHER_MERCHANT: &str =
        r#"{"uuid":"8f14e45f-ceea-467a-9575-4e1f0c2d7a11","status":"paid","merchant_id":"2"}"#;
    let (_, service) = mock(|_, _| async { signed(200, OTHER_MERCHANT) });
    let err = client(service).order(&order_id()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Mismatch {
                source: AnswerMismatch::Merchant { .. },
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_orders_own_answer_is_accepted_with_or_without_merchant_id() {
    const WITHOUT_MERCHANT: &str =
        r#"{"token":"8f14e45f-ceea-467a-9575-4e1f0c2d7a11","status":"created"}"#;
    for body in [ORDER, WITHOUT_MERCHANT] {
        let (_, service) = mock(move |_, _| async move { signed(200, body) });
        let order = client(service).order(&order_id()).await.unwrap();
        assert_eq!(order.id.as_str(), ORDER_ID);
    }
}

#[tokio::test]
async fn a_signed_answer_with_a_key_twice_is_refused() {
    const PAYIN_TWICE: &str = r#"{"success":true,"token":"t","url":"https://pay.kukuruku.win/a","url":"https://evil.example/b"}"#;
    const TWICE: &str = r#"{"uuid":"8f14e45f-ceea-467a-9575-4e1f0c2d7a11","status":"paid","amount":1,"amount":500000}"#;
    let (_, service) = mock(|_, _| async { signed(200, TWICE) });
    let err = client(service).order(&order_id()).await.unwrap_err();
    match &err {
        Error::DuplicateKey { key, body, .. } => {
            assert_eq!(key, "amount");
            assert_eq!(body, TWICE.as_bytes());
        }
        other => panic!("{other:?}"),
    }
    let (_, service) = mock(|_, _| async { reply(200, PAYIN_TWICE) });
    let err = client(service).create_payin(&payin()).await.unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateKey { key, .. } if key == "url"),
        "{err:?}"
    );
}

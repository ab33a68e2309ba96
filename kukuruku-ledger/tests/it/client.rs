//! `LedgerClient`: orders recorded before they are sent, completed from the answer.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use kukuruku_ledger::{Error, LedgerClient, OrderKey, Outcome, Store, Update};
use kukuruku_proto::{Amount, Currency, OrderNumber, OrderType, PayinRequest, PayoutRequest};
use kukuruku_tower::{Client, SecretKey};

use crate::support::{ManualClock, callback, sqlite};

fn payin(number: &str) -> PayinRequest {
    PayinRequest::builder()
        .amount(Amount::new(50_000).unwrap())
        .currency(Currency::Rub)
        .order_number(number)
        .client_id("user@example.com")
        .build()
        .unwrap()
}

#[tokio::test]
async fn payins_and_payouts_are_recorded_then_completed() {
    let (store, _dir) = sqlite(&ManualClock::new());
    let store: Arc<dyn Store> = Arc::new(store);
    let kukuruku = tower::service_fn(|req: http::Request<Full<Bytes>>| async move {
        let body: &'static [u8] = if req.uri().path().ends_with("payins") {
            br#"{"success":true,"token":"k-in","url":"https://pay.example/k-in"}"#
        } else {
            br#"{"success":true,"uuid":"k-out"}"#
        };
        Ok::<_, std::io::Error>(http::Response::new(Full::new(Bytes::from_static(body))))
    });
    let client = Client::builder("1", SecretKey::new("secret").unwrap())
        .build_with(kukuruku)
        .unwrap();
    let payments = LedgerClient::new(client, Arc::clone(&store));
    payments.create_payin(&payin("o-in")).await.unwrap();
    let payout = PayoutRequest::builder()
        .amount(Amount::new(700).unwrap())
        .currency(Currency::Usdt)
        .order_number("o-out")
        .user_email("user@example.com")
        .build()
        .unwrap();
    payments.create_payout(&payout).await.unwrap();
    let order = store
        .order(OrderKey::Number(OrderNumber::new("o-out").unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.kukupay_id.unwrap().as_str(), "k-out");
    assert_eq!(order.order_type, Some(OrderType::Payout));
    assert_eq!(order.currency, Some(Currency::Usdt));
}

#[tokio::test]
async fn an_order_whose_answer_was_lost_is_completed_by_its_callback() {
    let (store, _dir) = sqlite(&ManualClock::new());
    let store: Arc<dyn Store> = Arc::new(store);
    // Kukuruku created the order, but its answer never arrived.
    let kukuruku = tower::service_fn(|_req: http::Request<Full<Bytes>>| async move {
        Err::<http::Response<Full<Bytes>>, _>(std::io::Error::other("connection reset"))
    });
    let client = Client::builder("1", SecretKey::new("secret").unwrap())
        .build_with(kukuruku)
        .unwrap();
    let payments = LedgerClient::new(client, Arc::clone(&store));
    let failed = payments.create_payin(&payin("o-1")).await;
    assert!(matches!(failed, Err(Error::Kukuruku(_))), "{failed:?}");
    let number = OrderNumber::new("o-1").unwrap();
    let order = store
        .order(OrderKey::Number(number.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.kukupay_id, None);
    let update = Update::callback(callback("k-1", Some("o-1"), "paid"), 0).unwrap();
    assert_eq!(
        store.record_update(update).await.unwrap().outcome,
        Outcome::Advanced
    );
    let order = store
        .order(OrderKey::Number(number))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.kukupay_id.unwrap().as_str(), "k-1");
}

//! Payouts: to a known KukuPay user, and to one not known yet.

use http::StatusCode;
use kukuruku_e2e::{Http, PAYEE, client, recorded, shop, start_sandbox};
use kukuruku_proto::{Amount, Currency, OrderStatus, OrderType, PayoutRequest};
use kukuruku_sandbox::merchant::Failure;
use kukuruku_tower::Error;

#[tokio::test]
async fn payout_to_a_known_user_is_paid_with_a_callback() {
    let sandbox = start_sandbox().await;
    let shop = shop(Failure::None).await;
    let payout = PayoutRequest::builder()
        .amount(Amount::new(10_000).unwrap())
        .currency(Currency::Rub)
        .order_number("payout-1")
        .callback_url(shop.callback_url())
        .user_email(PAYEE)
        .build()
        .unwrap();
    let created = client(&sandbox).create_payout(&payout).await.unwrap();
    assert!(created.success);
    let id = created.uuid.as_str().to_owned();
    assert!(recorded(&shop, &id, OrderStatus::Paid).await);
    let callback = shop.books(|b| b.received[0].callback.clone());
    assert_eq!(callback.order_type, Some(OrderType::Payout));
    assert_eq!(shop.books(|b| b.balance), 0, "a payout credits nothing");
    let order = client(&sandbox).order(&created.uuid).await.unwrap();
    assert_eq!(order.status, OrderStatus::Paid);

    // A payout has no pay page.
    let page = Http::default().get(&sandbox.pay_page_url(&id)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn payout_to_an_unknown_user_is_refused_until_the_user_is_added() {
    let sandbox = start_sandbox().await;
    let payout = PayoutRequest::builder()
        .amount(Amount::new(10_000).unwrap())
        .currency(Currency::Rub)
        .order_number("payout-unknown")
        .user_email("stranger@example.com")
        .build()
        .unwrap();
    let err = client(&sandbox).create_payout(&payout).await.unwrap_err();
    let Error::Api(api) = &err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!(api.status(), StatusCode::BAD_REQUEST);
    let message = api.message().unwrap();
    assert!(
        message.contains("user_email") && message.contains("stranger@example.com"),
        "{message}"
    );
    assert!(sandbox.orders().is_empty(), "nothing was created");

    // Add the user through the control API; the same request now succeeds.
    let http = Http::default();
    let added = http
        .post_json(
            &format!("{}/users", sandbox.control_url()),
            r#"{"email":"stranger@example.com","name":"Sam Stranger","currency":"RUB"}"#,
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    let created = client(&sandbox).create_payout(&payout).await.unwrap();
    assert_eq!(
        sandbox.order(created.uuid.as_str()).unwrap().status,
        kukuruku_sandbox::OrderStatus::Paid
    );
    let users = http
        .get(&format!("{}/users", sandbox.control_url()))
        .await
        .json();
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["email"] == "stranger@example.com")
    );
}

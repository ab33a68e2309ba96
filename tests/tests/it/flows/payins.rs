//! Payins: paid, declined, without redirect URLs, moved by the control API, repeated.

use http::StatusCode;
use http::header::LOCATION;
use kukuruku_e2e::{Answer, Http, WAIT, client, recorded, shop, start_sandbox};
use kukuruku_proto::{Amount, Currency, OrderId, OrderStatus, OrderType, PayinRequest};
use kukuruku_sandbox::DeliveryOutcome;
use kukuruku_sandbox::merchant::Failure;
use kukuruku_tower::Error;

use super::{create, payin};

#[tokio::test]
async fn payin_pay_callback_status() {
    let sandbox = start_sandbox().await;
    let shop = shop(Failure::None).await;
    let http = Http::default();
    let client = client(&sandbox);

    let created = client
        .create_payin(&payin("order-1", &shop, 50_000))
        .await
        .unwrap();
    assert!(created.success);
    assert_eq!(created.url, sandbox.pay_page_url(created.token.as_str()));
    assert_eq!(created.token.as_str().len(), 36, "a UUID");

    // Before paying: created, no callback.
    let order = client.order(&created.token).await.unwrap();
    assert_eq!(order.status, OrderStatus::Created);
    assert!(sandbox.callbacks().is_empty());

    // The pay page shows the order and both forms.
    let page = http.get(&created.url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text();
    for needle in [
        "order-1",
        "500.00 RUB",
        "buyer@example.com",
        "value=\"pay\"",
        "value=\"decline\"",
        "Pay</button>",
        "Decline</button>",
    ] {
        assert!(html.contains(needle), "pay page lacks {needle}: {html}");
    }

    // Pay: 303 to the merchant's success URL.
    let paid = http.post_form(&created.url, "action=pay").await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER);
    let location = paid.headers[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/success?order=order-1", shop.url()));

    // The callback arrives, verified by the merchant's layer, and credits once.
    let id = created.token.as_str().to_owned();
    assert!(recorded(&shop, &id, OrderStatus::Paid).await);
    let callback = shop.books(|b| b.received[0].callback.clone());
    assert_eq!(callback.id, created.token);
    assert_eq!(callback.order_number.as_ref().unwrap().as_str(), "order-1");
    assert_eq!(callback.amount, Some(Amount::new(50_000).unwrap()));
    assert_eq!(callback.currency, Some(Currency::Rub));
    assert_eq!(callback.order_type, Some(OrderType::Payin));
    assert_eq!(callback.merchant_id.as_ref().unwrap().as_str(), "1");
    assert!(callback.created_at.is_some() && callback.updated_at.is_some());
    assert_eq!(shop.books(|b| b.balance), 50_000);

    // The status answer is signed (the client verifies it) and says paid.
    let order = client.order(&created.token).await.unwrap();
    assert_eq!(order.status, OrderStatus::Paid);

    // The delivery log says delivered at the first try.
    let log = sandbox.settled_callbacks(WAIT).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, DeliveryOutcome::Delivered);
    assert_eq!(log[0].attempts.len(), 1);
    assert_eq!(log[0].attempts[0].http_status, Some(200));
    assert_eq!(log[0].status, kukuruku_sandbox::OrderStatus::Paid);

    // Paying twice is refused and changes nothing.
    let again = http.post_form(&created.url, "action=pay").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.text().contains("paid already"), "{}", again.text());
    assert_eq!(sandbox.callbacks().len(), 1);
}

#[tokio::test]
async fn decline_cancels_and_redirects_to_the_fail_url() {
    let sandbox = start_sandbox().await;
    let shop = shop(Failure::None).await;
    let http = Http::default();
    let created = create(&sandbox, &shop, "order-decline").await;

    let declined = http.post_form(&created.url, "action=decline").await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER);
    assert_eq!(
        declined.headers[LOCATION],
        format!("{}/fail", shop.url()).as_str()
    );

    let id = created.token.as_str().to_owned();
    assert!(recorded(&shop, &id, OrderStatus::Cancelled).await);
    assert_eq!(
        shop.books(|b| b.balance),
        0,
        "a declined payin credits nothing"
    );
    let order = client(&sandbox).order(&created.token).await.unwrap();
    assert_eq!(order.status, OrderStatus::Cancelled);

    // The page no longer offers the buttons.
    let page = http.get(&created.url).await.text();
    assert!(!page.contains("value=\"pay\""), "{page}");
    assert!(page.contains("cancelled"), "{page}");
}

#[tokio::test]
async fn without_redirect_urls_the_pay_page_lands_on_its_result_page() {
    let sandbox = start_sandbox().await;
    let http = Http::default();
    let request = PayinRequest::builder()
        .amount(Amount::new(1_000).unwrap())
        .currency(Currency::Usd)
        .order_number("no-redirects")
        .client_id("buyer@example.com")
        .build()
        .unwrap();
    let created = client(&sandbox).create_payin(&request).await.unwrap();
    let paid = http.post_form(&created.url, "action=pay").await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER);
    let location = paid.headers[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/pay/{}/result", created.token.as_str()));
    let result = http.get(&format!("{}{location}", sandbox.base_url())).await;
    assert_eq!(result.status, StatusCode::OK);
    assert!(
        result.text().contains("Payment complete"),
        "{}",
        result.text()
    );
    assert!(result.text().contains("10.00 USD"));
    // No callback_url: nothing to deliver.
    assert!(sandbox.callbacks().is_empty());

    let bad = http.post_form(&created.url, "action=steal").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let missing = http
        .get(&format!(
            "{}/pay/00000000-0000-4000-8000-000000000000",
            sandbox.base_url()
        ))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn control_api_cancels_expires_and_refuses_disallowed_moves() {
    let sandbox = start_sandbox().await;
    let shop = shop(Failure::None).await;
    let http = Http::default();
    let control = sandbox.control_url();

    // created → cancelled.
    let a = create(&sandbox, &shop, "order-cancel").await;
    let answer = set_status(&http, &control, a.token.as_str(), "cancelled").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["status"], "cancelled");
    let id = a.token.as_str().to_owned();
    assert!(recorded(&shop, &id, OrderStatus::Cancelled).await);

    // cancelled → paid: 409, no callback.
    let refused = set_status(&http, &control, a.token.as_str(), "paid").await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.err().contains("from cancelled to paid"),
        "{}",
        refused.err()
    );

    // created → processing → paid, each with its callback, in order.
    let b = create(&sandbox, &shop, "order-processing").await;
    let url = format!("{control}/orders/{}/status", b.token.as_str());
    assert_eq!(
        http.post_json(&url, r#"{"status":"processing"}"#)
            .await
            .status,
        StatusCode::OK
    );
    // processing → expired is not allowed (PROTOCOL 1.4).
    let expired = http.post_json(&url, r#"{"status":"expired"}"#).await;
    assert_eq!(expired.status, StatusCode::CONFLICT);
    assert!(expired.err().contains("processing"), "{}", expired.err());
    assert_eq!(
        http.post_json(&url, r#"{"status":"paid"}"#).await.status,
        StatusCode::OK
    );
    let id = b.token.as_str().to_owned();
    assert!(recorded(&shop, &id, OrderStatus::Paid).await);
    assert_eq!(shop.books(|books| books.credits.get(&id).copied()), Some(1));

    // created → expired.
    let c = create(&sandbox, &shop, "order-expire").await;
    let answer = set_status(&http, &control, c.token.as_str(), "expired").await;
    assert_eq!(answer.status, StatusCode::OK);
    let id = c.token.as_str().to_owned();
    assert!(recorded(&shop, &id, OrderStatus::Expired).await);
    let order = client(&sandbox).order(&c.token).await.unwrap();
    assert_eq!(order.status, OrderStatus::Expired);

    // Bad control input.
    let unknown = http.post_json(&url, r#"{"status":"refunded"}"#).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.err().contains("refunded"));
    let missing = http.post_json(&url, "{}").await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(missing.err().contains("status"));
    let nowhere = http
        .post_json(
            &format!("{control}/orders/nope/status"),
            r#"{"status":"paid"}"#,
        )
        .await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);

    sandbox.settled_callbacks(WAIT).await;
    assert_callback_log(&http, &control, &shop.callback_url()).await;
}

/// Moves an order by the control API: `POST {control}/orders/{token}/status`.
async fn set_status(http: &Http, control: &str, token: &str, status: &str) -> Answer {
    http.post_json(
        &format!("{control}/orders/{token}/status"),
        &format!(r#"{{"status":"{status}"}}"#),
    )
    .await
}

/// The callback log over HTTP: every delivery with its attempts and outcome.
async fn assert_callback_log(http: &Http, control: &str, callback_url: &str) {
    let log = http.get(&format!("{control}/callbacks")).await;
    assert_eq!(log.status, StatusCode::OK);
    let log = log.json();
    let entries = log.as_array().unwrap();
    assert_eq!(
        entries.len(),
        4,
        "cancelled, processing, paid, expired: {log}"
    );
    let statuses: Vec<&str> = entries
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["cancelled", "processing", "paid", "expired"]);
    for entry in entries {
        assert_eq!(entry["outcome"], "delivered");
        assert_eq!(entry["attempts"][0]["http_status"], 200);
        assert_eq!(entry["url"], callback_url);
        assert_eq!(entry["signature"].as_str().unwrap().len(), 128);
    }
}

#[tokio::test]
async fn a_repeated_payin_is_idempotent_and_a_changed_one_conflicts() {
    let sandbox = start_sandbox().await;
    let shop = shop(Failure::None).await;
    let client = client(&sandbox);
    let first = client
        .create_payin(&payin("order-same", &shop, 50_000))
        .await
        .unwrap();
    let again = client
        .create_payin(&payin("order-same", &shop, 50_000))
        .await
        .unwrap();
    assert_eq!(first.token, again.token);
    assert_eq!(first.url, again.url);
    assert_eq!(sandbox.orders().len(), 1);

    let err = client
        .create_payin(&payin("order-same", &shop, 60_000))
        .await
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!(api.status(), StatusCode::CONFLICT);
    assert!(api.message().unwrap().contains("order-same"), "{api}");
    assert_eq!(sandbox.orders().len(), 1);

    // Another merchant may use the same order number.
    let http = Http::default();
    let body = r#"{"merchant_id":"2","amount":50000,"currency":"RUB","order_number":"order-same","customer":{"client_id":"a@example.com"}}"#;
    let signature = kukuruku_sign::Signer::new(
        &kukuruku_sign::SecretKey::new(kukuruku_e2e::OTHER_SECRET).unwrap(),
    )
    .sign(body.as_bytes())
    .to_hex();
    let other = http
        .send(
            http::Method::POST,
            &format!("{}/api/v1/orders/payins", sandbox.api_url()),
            &[("signature", signature.as_str())],
            body,
        )
        .await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.text());
    // ... and cannot read merchant 1's order.
    let other_client = kukuruku_tower::Client::builder(
        "2",
        kukuruku_sign::SecretKey::new(kukuruku_e2e::OTHER_SECRET).unwrap(),
    )
    .base_url(sandbox.api_url())
    .build()
    .unwrap();
    let err = other_client.order(&first.token).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api(api) if api.status() == StatusCode::NOT_FOUND),
        "{err:?}"
    );
}

#[tokio::test]
async fn order_ids_from_the_sdk_round_trip() {
    let sandbox = start_sandbox().await;
    let shop = shop(Failure::None).await;
    let created = create(&sandbox, &shop, "order-ids").await;
    let id = OrderId::new(created.token.as_str()).unwrap();
    assert_eq!(client(&sandbox).order(&id).await.unwrap().id, created.token);
}

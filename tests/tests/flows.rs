//! End to end through the sandbox with the SDK client: payin → pay → callback → status,
//! decline, cancel/expire via the control API, payouts, retried callbacks.

use http::StatusCode;
use http::header::LOCATION;
use kukuruku_e2e::{Failure, Http, PAYEE, Shop, WAIT, client, fast_callbacks, start_sandbox};
use kukuruku_proto::{
    Amount, Currency, OrderId, OrderStatus, OrderType, PayinCreated, PayinRequest, PayoutRequest,
};
use kukuruku_sandbox::{DeliveryOutcome, KukuPayUser, Merchant, Sandbox};
use kukuruku_tower::Error;

fn payin(order_number: &str, shop: &Shop, amount: u64) -> PayinRequest {
    PayinRequest::builder()
        .amount(Amount::new(amount).unwrap())
        .currency(Currency::Rub)
        .callback_url(shop.callback_url())
        .order_number(order_number)
        .redirect_success_url(format!("{}/success?order={order_number}", shop.url()))
        .redirect_fail_url(format!("{}/fail", shop.url()))
        .client_id("buyer@example.com")
        .build()
        .unwrap()
}

async fn create(sandbox: &Sandbox, shop: &Shop, order_number: &str) -> PayinCreated {
    client(sandbox)
        .create_payin(&payin(order_number, shop, 50_000))
        .await
        .unwrap()
}

#[tokio::test]
async fn payin_pay_callback_status() {
    let sandbox = start_sandbox().await;
    let shop = Shop::start(Failure::None).await;
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
    assert!(
        shop.wait_until(|b| b.statuses.get(&id) == Some(&OrderStatus::Paid))
            .await
    );
    let callback = shop.books(|b| b.received[0].clone());
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
    let shop = Shop::start(Failure::None).await;
    let http = Http::default();
    let created = create(&sandbox, &shop, "order-decline").await;

    let declined = http.post_form(&created.url, "action=decline").await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER);
    assert_eq!(
        declined.headers[LOCATION],
        format!("{}/fail", shop.url()).as_str()
    );

    let id = created.token.as_str().to_owned();
    assert!(
        shop.wait_until(|b| b.statuses.get(&id) == Some(&OrderStatus::Cancelled))
            .await
    );
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
    let shop = Shop::start(Failure::None).await;
    let http = Http::default();
    let control = sandbox.control_url();

    // created → cancelled.
    let a = create(&sandbox, &shop, "order-cancel").await;
    let answer = http
        .post_json(
            &format!("{control}/orders/{}/status", a.token.as_str()),
            r#"{"status":"cancelled"}"#,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["status"], "cancelled");
    let id = a.token.as_str().to_owned();
    assert!(
        shop.wait_until(|b| b.statuses.get(&id) == Some(&OrderStatus::Cancelled))
            .await
    );

    // cancelled → paid: 409, no callback.
    let refused = http
        .post_json(
            &format!("{control}/orders/{}/status", a.token.as_str()),
            r#"{"status":"paid"}"#,
        )
        .await;
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
    assert!(
        shop.wait_until(|books| books.statuses.get(&id) == Some(&OrderStatus::Paid))
            .await
    );
    assert_eq!(shop.books(|books| books.credits.get(&id).copied()), Some(1));

    // created → expired.
    let c = create(&sandbox, &shop, "order-expire").await;
    let answer = http
        .post_json(
            &format!("{control}/orders/{}/status", c.token.as_str()),
            r#"{"status":"expired"}"#,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let id = c.token.as_str().to_owned();
    assert!(
        shop.wait_until(|books| books.statuses.get(&id) == Some(&OrderStatus::Expired))
            .await
    );
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

    // The callback log over HTTP: every delivery with its attempts and outcome.
    sandbox.settled_callbacks(WAIT).await;
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
        assert_eq!(entry["url"], shop.callback_url());
        assert_eq!(entry["signature"].as_str().unwrap().len(), 128);
    }
}

#[tokio::test]
async fn payout_to_a_known_user_is_paid_with_a_callback() {
    let sandbox = start_sandbox().await;
    let shop = Shop::start(Failure::None).await;
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
    assert!(
        shop.wait_until(|b| b.statuses.get(&id) == Some(&OrderStatus::Paid))
            .await
    );
    let callback = shop.books(|b| b.received[0].clone());
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

#[tokio::test]
async fn a_merchant_that_fails_first_gets_the_callback_later_and_credits_once() {
    let sandbox = start_sandbox().await;
    let shop = Shop::start(Failure::BeforeRecording(2)).await;
    let created = create(&sandbox, &shop, "order-retry").await;
    sandbox
        .set_status(created.token.as_str(), kukuruku_sandbox::OrderStatus::Paid)
        .unwrap();

    let log = sandbox.settled_callbacks(WAIT).await;
    assert_eq!(log.len(), 1);
    let delivery = &log[0];
    assert_eq!(delivery.outcome, DeliveryOutcome::Delivered);
    let statuses: Vec<Option<u16>> = delivery.attempts.iter().map(|a| a.http_status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(200)]);
    assert!(
        delivery.attempts[0]
            .response
            .as_deref()
            .unwrap()
            .contains("try again")
    );

    let id = created.token.as_str().to_owned();
    assert_eq!(shop.status(&id), Some(OrderStatus::Paid));
    assert_eq!(
        shop.books(|b| (b.deliveries, b.credits.get(&id).copied(), b.balance)),
        (3, Some(1), 50_000)
    );
}

#[tokio::test]
async fn a_lost_acknowledgement_redelivers_and_the_merchant_still_credits_once() {
    let sandbox = start_sandbox().await;
    let shop = Shop::start(Failure::AfterRecording(2)).await;
    let created = create(&sandbox, &shop, "order-lost-ack").await;
    let paid = Http::default().post_form(&created.url, "action=pay").await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER);

    let log = sandbox.settled_callbacks(WAIT).await;
    assert_eq!(log[0].attempts.len(), 3);
    assert_eq!(log[0].outcome, DeliveryOutcome::Delivered);
    let id = created.token.as_str().to_owned();
    // Three deliveries of the same callback, one credit.
    assert_eq!(
        shop.books(|b| (b.received.len(), b.credits.get(&id).copied(), b.balance)),
        (3, Some(1), 50_000)
    );
}

#[tokio::test]
async fn an_unreachable_merchant_is_retried_then_given_up() {
    // A port with nothing listening: bind, note the port, close.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sandbox = Sandbox::builder()
        .merchant(Merchant::new("1", kukuruku_e2e::key()))
        .callback_policy(fast_callbacks().max_attempts(3))
        .start()
        .await
        .unwrap();
    let http = Http::default();
    let body = kukuruku_e2e::payin_body(
        "order-unreachable",
        &format!("http://127.0.0.1:{port}/cb"),
        &[],
    );
    let created = http
        .post_signed(
            &format!("{}/api/v1/orders/payins", sandbox.api_url()),
            &body,
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let token = created.json()["token"].as_str().unwrap().to_owned();
    sandbox
        .set_status(&token, kukuruku_sandbox::OrderStatus::Paid)
        .unwrap();

    let log = sandbox.settled_callbacks(WAIT).await;
    assert_eq!(log[0].outcome, DeliveryOutcome::Failed);
    assert_eq!(log[0].attempts.len(), 3);
    for attempt in &log[0].attempts {
        assert_eq!(attempt.http_status, None);
        assert!(attempt.error.is_some());
    }
}

#[tokio::test]
async fn a_repeated_payin_is_idempotent_and_a_changed_one_conflicts() {
    let sandbox = start_sandbox().await;
    let shop = Shop::start(Failure::None).await;
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
async fn the_sandbox_refuses_non_loopback_and_stops_on_drop() {
    let err = Sandbox::builder()
        .listen("0.0.0.0:0".parse().unwrap())
        .merchant(Merchant::new("1", kukuruku_e2e::key()))
        .start()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("only listens on loopback"),
        "{err}"
    );
    let err = Sandbox::builder().start().await.unwrap_err();
    assert!(err.to_string().contains("at least one merchant"), "{err}");
    let err = Sandbox::builder()
        .merchant(Merchant::new("1", kukuruku_e2e::key()))
        .user(KukuPayUser::new("not-an-email", "X", "RUB"))
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not-an-email"), "{err}");

    let sandbox = start_sandbox().await;
    let addr = sandbox.local_addr();
    assert!(addr.ip().is_loopback());
    assert_eq!(sandbox.api_url(), format!("http://{addr}"));
    drop(sandbox);
    // The port is released promptly.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still accepting after drop"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn order_ids_from_the_sdk_round_trip() {
    let sandbox = start_sandbox().await;
    let shop = Shop::start(Failure::None).await;
    let created = create(&sandbox, &shop, "order-ids").await;
    let id = OrderId::new(created.token.as_str()).unwrap();
    assert_eq!(client(&sandbox).order(&id).await.unwrap().id, created.token);
}

#[tokio::test]
async fn a_merchant_that_never_answers_is_timed_out_per_try() {
    // Accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let sandbox = Sandbox::builder()
        .merchant(Merchant::new("1", kukuruku_e2e::key()))
        .callback_policy(
            fast_callbacks()
                .timeout(std::time::Duration::from_millis(100))
                .max_attempts(2),
        )
        .start()
        .await
        .unwrap();
    let body = kukuruku_e2e::payin_body("order-silent", &format!("http://{silent_addr}/cb"), &[]);
    let created = Http::default()
        .post_signed(
            &format!("{}/api/v1/orders/payins", sandbox.api_url()),
            &body,
        )
        .await;
    let token = created.json()["token"].as_str().unwrap().to_owned();
    sandbox
        .set_status(&token, kukuruku_sandbox::OrderStatus::Failed)
        .unwrap();

    let log = sandbox.settled_callbacks(WAIT).await;
    assert_eq!(log[0].outcome, DeliveryOutcome::Failed);
    assert_eq!(log[0].attempts.len(), 2);
    for attempt in &log[0].attempts {
        assert_eq!(attempt.error.as_deref(), Some("no answer within 100 ms"));
        assert!(
            attempt.duration_ms >= 100 && attempt.duration_ms < 2_000,
            "{attempt:?}"
        );
    }
    holder.abort();
}

#[tokio::test]
async fn the_port_is_configurable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sandbox = Sandbox::builder()
        .port(port)
        .merchant(Merchant::new("1", kukuruku_e2e::key()))
        .start()
        .await
        .unwrap();
    assert_eq!(sandbox.local_addr().port(), port);
    assert_eq!(sandbox.api_url(), format!("http://127.0.0.1:{port}"));
    let index = Http::default().get(sandbox.base_url()).await.json();
    assert_eq!(index["api"], sandbox.api_url());
    assert_eq!(index["control"], sandbox.control_url());
    // A second sandbox on the same port is refused with a clear error.
    let err = Sandbox::builder()
        .port(port)
        .merchant(Merchant::new("1", kukuruku_e2e::key()))
        .start()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("could not listen on 127.0.0.1:{port}")),
        "{err}"
    );
}

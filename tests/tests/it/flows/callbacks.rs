//! Callback delivery: retried while the merchant fails, times out or cannot be reached, and
//! credited once whatever is delivered twice.

use http::StatusCode;
use kukuruku_e2e::{Http, WAIT, fast_callbacks, shop, start_sandbox};
use kukuruku_proto::OrderStatus;
use kukuruku_sandbox::merchant::Failure;
use kukuruku_sandbox::{DeliveryOutcome, Merchant, Sandbox};

use super::create;

#[tokio::test]
async fn a_merchant_that_fails_first_gets_the_callback_later_and_credits_once() {
    let sandbox = start_sandbox().await;
    let shop = shop(Failure::BeforeRecording(2)).await;
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
    let shop = shop(Failure::AfterRecording(2)).await;
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

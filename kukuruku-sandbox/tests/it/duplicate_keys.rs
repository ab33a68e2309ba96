//! A key given twice in a JSON body (or a form field given twice) is refused with a 400 naming
//! it, never read as "last wins".

use http::Method;
use serde_json::Value;

use crate::support::{Clock, USER, builder, post_json, post_signed, send};

fn err(body: &str) -> String {
    let value: Value = serde_json::from_str(body).unwrap();
    assert_eq!(value["success"], false, "{body}");
    value["err"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_duplicate_amount_is_refused_and_no_order_is_made() {
    let sandbox = builder(&Clock::new()).start().await.unwrap();
    let payins = format!("{}/api/v1/orders/payins", sandbox.api_url());
    let body = format!(
        r#"{{"merchant_id":"1","amount":1,"amount":500000,"currency":"RUB","order_number":"dup-1","customer":{{"client_id":"{USER}"}}}}"#
    );
    let answer = post_signed(&payins, &body).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(err(&answer.body).contains(r#""amount""#), "{}", answer.body);
    assert!(sandbox.orders().is_empty(), "{:?}", sandbox.orders());

    // A repeated key inside `customer`, and in a payout.
    let body = r#"{"merchant_id":"1","amount":1,"currency":"RUB","order_number":"dup-2","customer":{"client_id":"a@example.com","client_id":"b@example.com"}}"#;
    let answer = post_signed(&payins, body).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        err(&answer.body).contains(r#""client_id""#),
        "{}",
        answer.body
    );
    let body = format!(
        r#"{{"merchant_id":"1","amount":5,"currency":"RUB","order_number":"dup-3","user_email":"{USER}","order_number":"dup-4"}}"#
    );
    let payouts = format!("{}/api/v1/orders/payouts", sandbox.api_url());
    let answer = post_signed(&payouts, &body).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(err(&answer.body).contains(r#""order_number""#));
    assert!(sandbox.orders().is_empty());

    // The same body without the repeat is accepted: the refusal is the repeat's.
    let body = format!(
        r#"{{"merchant_id":"1","amount":1,"currency":"RUB","order_number":"dup-1","customer":{{"client_id":"{USER}"}}}}"#
    );
    assert_eq!(post_signed(&payins, &body).await.status, 200);
    assert_eq!(sandbox.orders().len(), 1);
}

#[tokio::test]
async fn control_play_kuna_and_the_pay_page_refuse_repeats() {
    let sandbox = builder(&Clock::new()).start().await.unwrap();
    let control = sandbox.control_url();

    let answer = post_json(
        &format!("{control}/users"),
        r#"{"email":"x@example.com","name":"X","currency":"RUB","email":"y@example.com"}"#,
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(err(&answer.body).contains(r#""email""#));
    assert_eq!(sandbox.users().len(), 1);

    let play = format!(
        r#"{{"email":"{USER}","amount":1,"amount":900,"currency":"RUB","merchant_url":"http://127.0.0.1:9/","callback_url":"http://127.0.0.1:9/cb"}}"#
    );
    let answer = post_json(&format!("{control}/play"), &play).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(err(&answer.body).contains(r#""amount""#));
    assert!(sandbox.orders().is_empty());

    let body = format!(
        r#"{{"merchant_id":"1","amount":1,"currency":"RUB","order_number":"n","customer":{{"client_id":"{USER}"}}}}"#
    );
    let created = post_signed(
        &format!("{}/api/v1/orders/payins", sandbox.api_url()),
        &body,
    )
    .await;
    let uuid = serde_json::from_str::<Value>(&created.body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = post_json(
        &format!("{control}/orders/{uuid}/status"),
        r#"{"status":"cancelled","status":"paid"}"#,
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(err(&answer.body).contains(r#""status""#));
    let answer = send(
        Method::POST,
        &sandbox.pay_page_url(&uuid),
        &[("content-type", "application/x-www-form-urlencoded")],
        b"action=decline&action=pay",
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("more than once"), "{}", answer.body);
    assert_eq!(
        sandbox.order(&uuid).unwrap().status,
        kukuruku_sandbox::OrderStatus::Created
    );

    let answer = send(
        Method::POST,
        &format!("{}/v2/customer/find", sandbox.kuna_url()),
        &[
            ("content-type", "application/json"),
            ("api-key", sandbox.kuna_api_key()),
        ],
        br#"{"email":"a@example.com","email":"b@example.com"}"#,
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains(r#"\"email\""#), "{}", answer.body);
}

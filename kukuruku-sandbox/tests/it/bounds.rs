//! What the sandbox keeps is bounded: KukurukuID codes and tokens are purged once expired, the
//! callback log and the orders are capped, connections are capped, and a stop reports the
//! callbacks left undelivered.

use std::time::Duration;

use http::Method;
use kukuruku_sandbox::{CallbackPolicy, DeliveryOutcome, OrderStatus, Sandbox};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{Clock, USER, builder, post_signed, send};

const REDIRECT: &str = "http://127.0.0.1:9/cb";

/// A code for [`USER`] from the confidential demo client (`prompt=none`).
async fn code(sandbox: &Sandbox) -> String {
    let url = format!(
        "{}/protocol/openid-connect/auth?client_id={}&redirect_uri={}&response_type=code&scope=openid&prompt=none&login_hint={}",
        sandbox.issuer(),
        sandbox.idp_client_id(),
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        url::form_urlencoded::byte_serialize(USER.as_bytes()).collect::<String>(),
    );
    let answer = send(Method::GET, &url, &[], b"").await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    let location = url::Url::parse(&answer.location.unwrap()).unwrap();
    let code = location.query_pairs().find(|(name, _)| name == "code");
    code.unwrap().1.into_owned()
}

/// Exchanges `code` for tokens.
async fn tokens(sandbox: &Sandbox, code: &str) {
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("client_id", sandbox.idp_client_id())
        .append_pair("client_secret", sandbox.idp_client_secret())
        .finish();
    let answer = send(
        Method::POST,
        &format!("{}/protocol/openid-connect/token", sandbox.issuer()),
        &[("content-type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn a_flood_of_expired_codes_and_tokens_is_purged() {
    let clock = Clock::new();
    let sandbox = builder(&clock).start().await.unwrap();
    let mut codes = Vec::new();
    for _ in 0..120 {
        codes.push(code(&sandbox).await);
    }
    for code in codes.drain(..20) {
        tokens(&sandbox, &code).await;
    }
    assert_eq!(sandbox.idp().code_count(), 100);
    assert_eq!(sandbox.idp().token_count(), 40);

    // Past every lifetime (codes 60 s, access tokens 5 min, refresh tokens 30 min): the next
    // code and the next tokens issued purge the expired ones.
    clock.advance(Duration::from_secs(31 * 60));
    let fresh = code(&sandbox).await;
    assert_eq!(sandbox.idp().code_count(), 1);
    tokens(&sandbox, &fresh).await;
    assert_eq!(sandbox.idp().code_count(), 0);
    assert_eq!(sandbox.idp().token_count(), 2);
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// A payin of merchant "1" with this number and callback URL; its uuid.
async fn payin(sandbox: &Sandbox, number: &str, callback_url: &str) -> String {
    let body = format!(
        r#"{{"merchant_id":"1","amount":100,"currency":"RUB","order_number":"{number}","callback_url":"{callback_url}","customer":{{"client_id":"{USER}"}}}}"#
    );
    let answer = post_signed(
        &format!("{}/api/v1/orders/payins", sandbox.api_url()),
        &body,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let value: Value = serde_json::from_str(&answer.body).unwrap();
    value["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_callback_log_and_the_orders_are_capped_oldest_first() {
    let policy = CallbackPolicy::default()
        .max_attempts(1)
        .timeout(Duration::from_secs(2))
        .log_capacity(3);
    let sandbox = builder(&Clock::new())
        .callback_policy(policy)
        .max_orders(4)
        .start()
        .await
        .unwrap();
    let callback = format!("http://127.0.0.1:{}/cb", closed_port().await);
    let mut uuids = Vec::new();
    for n in 0..10 {
        let uuid = payin(&sandbox, &format!("cap-{n}"), &callback).await;
        sandbox.set_status(&uuid, OrderStatus::Paid).unwrap();
        uuids.push(uuid);
        assert!(sandbox.callbacks().len() <= 3);
        assert!(sandbox.orders().len() <= 4);
    }
    let log = sandbox.settled_callbacks(Duration::from_secs(30)).await;
    let ids: Vec<u64> = log.iter().map(|delivery| delivery.id).collect();
    assert_eq!(ids, [8, 9, 10]);
    assert!(log.iter().all(|d| d.outcome == DeliveryOutcome::Failed));
    assert_eq!(log[2].order_uuid, uuids[9]);
    let kept: Vec<String> = sandbox
        .orders()
        .iter()
        .map(|order| order.uuid.to_string())
        .collect();
    assert_eq!(kept.len(), 4);
    assert!(
        kept.iter().all(|uuid| uuids[6..].contains(uuid)),
        "{kept:?}"
    );
    assert!(sandbox.order(&uuids[0]).is_none());
    // The oldest order's number is free again.
    payin(&sandbox, "cap-0", &callback).await;
}

#[tokio::test]
async fn shutdown_reports_a_delivery_to_a_merchant_that_never_answers() {
    // A merchant that takes the connection and never answers.
    let merchant = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback = format!(
        "http://127.0.0.1:{}/cb?token=t",
        merchant.local_addr().unwrap().port()
    );
    let sandbox = builder(&Clock::new()).start().await.unwrap();
    let uuid = payin(&sandbox, "never", &callback).await;
    sandbox.set_status(&uuid, OrderStatus::Paid).unwrap();
    let (_connection, _) = merchant.accept().await.unwrap();

    let report = sandbox.shutdown().await;
    assert!(!report.is_clean());
    assert_eq!(report.pending.len(), 1, "{report:?}");
    let pending = &report.pending[0];
    assert_eq!(pending.order_uuid, uuid);
    assert_eq!(pending.outcome, DeliveryOutcome::Pending);
    assert_eq!(pending.status, OrderStatus::Paid);
    assert_eq!(pending.url, callback);
    assert_eq!(
        pending.url_for_logs(),
        callback.trim_end_matches("?token=t")
    );
}

/// Sends a keep-alive `GET /` on `stream` and reads the start of the answer.
async fn get_index(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: sandbox\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = vec![0; 4096];
    let read = stream.read(&mut buffer).await.unwrap();
    String::from_utf8_lossy(&buffer[..read]).into_owned()
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let sandbox = builder(&Clock::new())
        .max_connections(1)
        .read_timeout(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let addr = sandbox.local_addr();
    let mut first = TcpStream::connect(addr).await.unwrap();
    assert!(get_index(&mut first).await.starts_with("HTTP/1.1 200"));

    // The first connection holds the only slot: the second is not served...
    let mut second = TcpStream::connect(addr).await.unwrap();
    second
        .write_all(b"GET / HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = vec![0; 4096];
    let early = tokio::time::timeout(Duration::from_millis(300), second.read(&mut buffer)).await;
    assert!(early.is_err(), "served beyond the cap: {early:?}");

    // ... until the first closes.
    drop(first);
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), second.read_to_string(&mut answer))
        .await
        .expect("served once the slot is free")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

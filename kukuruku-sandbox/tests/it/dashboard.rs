//! The dashboard (`GET /sandbox` and its pages): what it shows, that everything a merchant or a
//! request sent is escaped, its buttons, the JSON answers it leaves alone, the live feed.

use std::time::Duration;

use axum::Router;
use axum::routing::post;
use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use kukuruku_sandbox::{CallbackPolicy, OrderStatus, Sandbox, SandboxEvent};
use serde_json::Value;
use tokio::net::TcpListener;

use crate::support::{Answer, Clock, builder, post_json, post_signed, send};

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const MARKUP: &str = "<script>alert('x')</script>";

/// A merchant answering every callback `status` with `body`; its callback URL.
async fn merchant(status: StatusCode, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/cb", post(move || async move { (status, body) }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/cb")
}

async fn start(clock: &Clock) -> Sandbox {
    let policy = CallbackPolicy::default()
        .max_attempts(2)
        .initial_backoff(Duration::from_millis(5))
        .timeout(Duration::from_secs(2));
    builder(clock)
        .callback_policy(policy)
        .start()
        .await
        .unwrap()
}

async fn payin(sandbox: &Sandbox, number: &str, callback_url: &str) -> String {
    let body = serde_json::json!({
        "merchant_id": "1", "amount": 12345, "currency": "RUB", "order_number": number,
        "callback_url": callback_url, "customer": {"client_id": crate::support::USER},
    })
    .to_string();
    let answer = post_signed(
        &format!("{}/api/v1/orders/payins", sandbox.api_url()),
        &body,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let value: Value = serde_json::from_str(&answer.body).unwrap();
    value["token"].as_str().unwrap().to_owned()
}

async fn page(url: &str) -> Answer {
    send(Method::GET, url, &[("accept", BROWSER)], b"").await
}

async fn form(url: &str, body: &str) -> Answer {
    let headers = [("content-type", "application/x-www-form-urlencoded")];
    send(Method::POST, url, &headers, body.as_bytes()).await
}

/// The page's only script is its own (with the policy's nonce); the markup sent is text.
fn assert_inert(html: &str) {
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(html.contains("<script nonce=\""), "{html}");
    assert!(!html.contains("alert('x')</script>"), "{html}");
}

#[tokio::test]
async fn markup_from_merchants_and_requests_is_shown_as_text() {
    let clock = Clock::new();
    let sandbox = start(&clock).await;
    let url = merchant(StatusCode::INTERNAL_SERVER_ERROR, MARKUP).await;
    let uuid = payin(&sandbox, MARKUP, &url).await;
    sandbox.set_status(&uuid, OrderStatus::Paid).unwrap();
    let log = sandbox.settled_callbacks(Duration::from_secs(10)).await;
    assert_eq!(log[0].attempts.len(), 2);
    let customer = serde_json::json!({
        "email": "kuna@example.com", "firstName": MARKUP, "lastName": "Doe", "country": "UA",
        "verificationDocumentId": "d", "residenceAddress": "a",
    });
    let created = send(
        Method::POST,
        &format!("{}/v2/customer/create", sandbox.kuna_url()),
        &[
            ("content-type", "application/json"),
            ("api-key", sandbox.kuna_api_key()),
        ],
        customer.to_string().as_bytes(),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);

    let list = page(&sandbox.dashboard_url()).await;
    assert_eq!(list.status, 200);
    assert_inert(&list.body);
    assert!(
        list.body
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
    );
    assert!(list.body.contains("123.45 RUB"), "amount in major units");

    let order = page(&format!(
        "{}/dashboard/orders/{uuid}",
        sandbox.control_url()
    ))
    .await;
    assert_eq!(order.status, 200);
    assert_inert(&order.body);
    // The merchant's answer, the exact body sent and its signature are on the page.
    assert!(order.body.contains("HTTP 500"), "{}", order.body);
    assert!(
        order
            .body
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</code>")
    );
    assert!(order.body.contains(&log[0].signature));
    let body_shown = kukuruku_sandbox_escape(&log[0].body);
    assert!(order.body.contains(&body_shown), "{}", order.body);

    let people = page(&format!("{}/dashboard/people", sandbox.control_url())).await;
    assert_inert(&people.body);
    assert!(
        people
            .body
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Doe")
    );
    assert!(people.body.contains(crate::support::USER));
    assert!(people.body.contains("none valid"), "{}", people.body);

    // A widget token makes the session valid; invalidating it ends it.
    let people_url = format!("{}/dashboard/people", sandbox.control_url());
    let id = serde_json::from_str::<Value>(&created.body).unwrap()["data"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {}", created.body))
        .to_owned();
    let token = kuna(
        &sandbox,
        "token",
        serde_json::json!({"customerId": id, "userAgent": "t"}),
    )
    .await;
    assert_eq!(token.status, 200, "{}", token.body);
    assert!(page(&people_url).await.body.contains("valid until"));
    let gone = kuna(
        &sandbox,
        "invalidate",
        serde_json::json!({"customerId": id}),
    )
    .await;
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert!(page(&people_url).await.body.contains("none valid"));
}

/// `POST {kuna}/v2/ramp/{path}` with the API key.
async fn kuna(sandbox: &Sandbox, path: &str, body: Value) -> Answer {
    let url = format!("{}/v2/ramp/{path}", sandbox.kuna_url());
    let headers = [
        ("content-type", "application/json"),
        ("api-key", sandbox.kuna_api_key()),
    ];
    send(Method::POST, &url, &headers, body.to_string().as_bytes()).await
}

/// The escaping the pages use, for comparing a body shown.
fn kukuruku_sandbox_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn json_clients_keep_their_answers_and_browsers_get_links() {
    let clock = Clock::new();
    let sandbox = start(&clock).await;
    let index = send(Method::GET, &format!("{}/", sandbox.base_url()), &[], b"").await;
    let value: Value = serde_json::from_str(&index.body).unwrap();
    assert_eq!(value["control"], sandbox.control_url());
    let json = send(
        Method::GET,
        sandbox.base_url(),
        &[("accept", "application/json")],
        b"",
    )
    .await;
    assert_eq!(json.body, index.body);
    let html = page(&format!("{}/", sandbox.base_url())).await;
    assert!(
        html.body.contains("href=\"") && html.body.contains("/sandbox\""),
        "{}",
        html.body
    );

    let uuid = payin(&sandbox, "n-1", "http://127.0.0.1:9/cb").await;
    let order = send(
        Method::GET,
        &format!("{}/orders/{uuid}", sandbox.control_url()),
        &[("accept", BROWSER)],
        b"",
    )
    .await;
    assert_eq!(
        order.body.as_bytes(),
        sandbox.order(&uuid).unwrap().to_json()
    );
}

#[tokio::test]
async fn buttons_move_refuse_with_the_reason_and_resend() {
    let clock = Clock::new();
    let sandbox = start(&clock).await;
    let url = merchant(StatusCode::OK, "ok").await;
    let uuid = payin(&sandbox, "n-2", &url).await;
    let base = format!("{}/dashboard/orders/{uuid}", sandbox.control_url());
    let before = page(&base).await;
    assert!(
        before.body.contains("id=\"resend\" disabled"),
        "no callback yet"
    );
    assert!(
        before.body.contains("id=\"move-paid\">"),
        "paying is allowed"
    );

    let moved = form(&format!("{base}/status"), "status=paid").await;
    assert_eq!(moved.status, 303);
    assert_eq!(
        moved.location.as_deref(),
        Some(&base[sandbox.base_url().len()..])
    );
    sandbox.settled_callbacks(Duration::from_secs(10)).await;
    let after = page(&base).await;
    assert!(
        after.body.contains("data-outcome=\"delivered\""),
        "{}",
        after.body
    );
    assert!(after.body.contains("id=\"move-cancelled\" disabled"));
    assert!(
        after
            .body
            .contains("paid → cancelled: that status is final"),
        "{}",
        after.body
    );

    let refused = form(&format!("{base}/status"), "status=cancelled").await;
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("id=\"refused\""), "{}", refused.body);
    assert!(
        refused.body.contains("from paid to cancelled"),
        "{}",
        refused.body
    );
    assert_eq!(sandbox.order(&uuid).unwrap().status, OrderStatus::Paid);

    let resent = form(&format!("{base}/resend"), "").await;
    assert_eq!(resent.status, 303);
    let json = post_json(
        &format!("{}/orders/{uuid}/resend", sandbox.control_url()),
        "",
    )
    .await;
    assert_eq!(json.status, 202, "{}", json.body);
    let log = sandbox.settled_callbacks(Duration::from_secs(10)).await;
    assert_eq!(log.len(), 3);
    assert!(
        log.iter()
            .all(|d| d.body == log[0].body && d.signature == log[0].signature)
    );
    let unknown = post_json(&format!("{}/orders/nope/resend", sandbox.control_url()), "").await;
    assert_eq!(unknown.status, 404);

    let paid = page(&format!(
        "{}?status=paid&merchant=1",
        sandbox.dashboard_url()
    ))
    .await;
    assert!(paid.body.contains("n-2"));
    let none = page(&format!("{}?status=failed", sandbox.dashboard_url())).await;
    assert!(!none.body.contains("n-2") && none.body.contains("id=\"no-orders\""));
}

/// Reads server-sent events until one has `needle` in its data.
async fn sse_until(url: &str, needle: &str, act: impl std::future::Future<Output = ()>) -> String {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let request = Request::get(url).body(Empty::new()).unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    act.await;
    let mut seen = String::new();
    let read = async {
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.unwrap().into_data() {
                seen.push_str(&String::from_utf8_lossy(&data));
                if seen.contains(needle) {
                    return;
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect(&seen);
    seen
}

#[tokio::test]
async fn the_live_feed_tells_of_orders_moves_and_tries() {
    let clock = Clock::new();
    let sandbox = start(&clock).await;
    let mut events = sandbox.events();
    let url = merchant(StatusCode::SERVICE_UNAVAILABLE, "busy").await;
    let seen = sse_until(
        &format!("{}/events", sandbox.control_url()),
        "delivery_settled",
        async {
            let uuid = payin(&sandbox, "n-3", &url).await;
            sandbox.set_status(&uuid, OrderStatus::Paid).unwrap();
        },
    )
    .await;
    for kind in [
        "order_created",
        "status_moved",
        "delivery_attempt",
        "delivery_settled",
    ] {
        assert!(
            seen.contains(&format!("\"kind\":\"{kind}\"")),
            "{kind}: {seen}"
        );
    }
    assert!(seen.contains("\"http_status\":503"), "{seen}");
    let first = events.next().await.unwrap().unwrap();
    assert!(
        matches!(first, SandboxEvent::OrderCreated { ref order_number, .. } if order_number == "n-3")
    );
}

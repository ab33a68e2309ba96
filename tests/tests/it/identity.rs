//! KukurukuID and Play through the full sandbox (one server: payments, KukurukuID, Kuna), with
//! `kukuruku-oidc` as the merchant's client.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::StatusCode;
use http::header::LOCATION;
use kukuruku_e2e::{Http, MERCHANT_ID, WAIT, fast_callbacks, key, shop};
use kukuruku_oidc::{Currency, Error, KukurukuId, LoginAttempt, LoginOptions};
use kukuruku_proto::OrderStatus;
use kukuruku_sandbox::idp::IdpEndpoint;
use kukuruku_sandbox::merchant::{ExampleMerchant, Failure};
use kukuruku_sandbox::{CallbackPolicy, KukuPayUser, Merchant, Sandbox};

const PLAYER: &str = "player@example.com";
/// A merchant redirect URI on loopback: the sandbox's demo clients accept it unregistered.
const REDIRECT: &str = "http://127.0.0.1:9/auth/callback";

/// A sandbox whose merchant `1` sends Play callbacks to `shop`, with the user [`PLAYER`].
async fn sandbox_for(shop: &ExampleMerchant) -> Sandbox {
    sandbox_with(shop, fast_callbacks()).await
}

async fn sandbox_with(shop: &ExampleMerchant, callbacks: CallbackPolicy) -> Sandbox {
    Sandbox::builder()
        .merchant(Merchant::new(MERCHANT_ID, key()).callback_url(shop.callback_url()))
        .user(KukuPayUser::new(PLAYER, "Pia Player", "USD"))
        .callback_policy(callbacks)
        .start()
        .await
        .unwrap()
}

fn confidential(sandbox: &Sandbox) -> KukurukuId {
    KukurukuId::builder(sandbox.idp_client_id(), REDIRECT)
        .client_secret(sandbox.idp_client_secret())
        .issuer(sandbox.issuer())
        .api_base_url(sandbox.api_url())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn public(sandbox: &Sandbox) -> KukurukuId {
    KukurukuId::builder(sandbox.idp_public_client_id(), REDIRECT)
        .issuer(sandbox.issuer())
        .api_base_url(sandbox.api_url())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// Logs `email` in at once (the sandbox's test shortcut).
fn as_user(email: &str) -> LoginOptions {
    LoginOptions::new(["profile", "email"])
        .login_hint(email)
        .prompt("none")
}

/// Follows the attempt's authorize URL at the sandbox: the redirect back to the merchant.
async fn authorize(attempt: &LoginAttempt) -> String {
    let answer = Http::default().get(attempt.authorize_url()).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.text());
    let location = answer.headers[LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("{REDIRECT}?")), "{location}");
    location
}

#[tokio::test]
async fn confidential_and_public_clients_log_in_refresh_and_read_the_profile() {
    let shop = shop(Failure::None).await;
    let sandbox = sandbox_for(&shop).await;
    // A user added through the control API can log in too: one list of users.
    let added = Http::default()
        .post_json(
            &format!("{}/users", sandbox.control_url()),
            r#"{"email":"late@example.com","name":"Lee Late","currency":"RUB"}"#,
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());

    for (client, email, currency) in [
        (confidential(&sandbox), PLAYER, Currency::Usd),
        (public(&sandbox), PLAYER, Currency::Usd),
        (confidential(&sandbox), "late@example.com", Currency::Rub),
    ] {
        let attempt = client.start_login_with(as_user(email)).await.unwrap();
        let params: BTreeMap<String, String> = url::Url::parse(attempt.authorize_url())
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        assert_eq!(params["code_challenge_method"], "S256");
        let back = authorize(&attempt).await;
        let session = client.finish_login(attempt, &back).await.unwrap();
        assert_eq!(session.claims().email.as_deref(), Some(email));
        assert_eq!(session.claims().issuer, sandbox.issuer());
        assert_eq!(
            Some(session.claims().subject.clone()),
            sandbox.user_id(email),
            "the user's UUID is their sub"
        );

        // The profile comes from the sandbox's own GET /api/v1/me, on the payments API host.
        let me = client.profile(&session).await.unwrap();
        assert_eq!(me.email.as_deref(), Some(email));
        assert_eq!(me.currency, Some(currency));

        let refreshed = client.refresh(&session).await.unwrap();
        assert_ne!(refreshed.access_token(), session.access_token());
        assert_eq!(refreshed.claims().subject, session.claims().subject);
        assert_eq!(
            client.profile(&refreshed).await.unwrap().email.as_deref(),
            Some(email)
        );
    }
    assert_eq!(sandbox.idp().hits(IdpEndpoint::Me), 6);

    // The public client has no secret to offer; the confidential one must give the right one.
    let wrong = KukurukuId::builder(sandbox.idp_client_id(), REDIRECT)
        .client_secret("not-the-secret")
        .issuer(sandbox.issuer())
        .api_base_url(sandbox.api_url())
        .build()
        .unwrap();
    let attempt = wrong.start_login_with(as_user(PLAYER)).await.unwrap();
    let back = authorize(&attempt).await;
    assert!(wrong.finish_login(attempt, &back).await.is_err());

    // A redirect URI that is neither registered nor on loopback is refused by the provider.
    let elsewhere = KukurukuId::builder(sandbox.idp_client_id(), "https://shop.example/cb")
        .client_secret(sandbox.idp_client_secret())
        .issuer(sandbox.issuer())
        .build()
        .unwrap();
    let attempt = elsewhere.start_login_with(as_user(PLAYER)).await.unwrap();
    let answer = Http::default().get(attempt.authorize_url()).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.text().contains("redirect_uri is not registered"));
}

/// POSTs `/sandbox/play` for [`PLAYER`]: the order id and the landing URL's query.
async fn play(sandbox: &Sandbox, shop: &ExampleMerchant) -> (String, String) {
    let body = serde_json::json!({
        "email": PLAYER,
        "amount": 2500,
        "currency": "USD",
        "merchant_url": format!("{}/play?lang=en", shop.url()),
    });
    let answer = Http::default()
        .post_json(
            &format!("{}/play", sandbox.control_url()),
            &body.to_string(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let json = answer.json();
    let order_id = json["order_id"].as_str().unwrap().to_owned();
    let redirect = url::Url::parse(json["redirect"].as_str().unwrap()).unwrap();
    assert!(
        redirect
            .as_str()
            .starts_with(&format!("{}/play?lang=en&auto_login=true", shop.url()))
    );
    let params: BTreeMap<String, String> = redirect.query_pairs().into_owned().collect();
    assert_eq!(params["custom4"], sandbox.issuer());
    assert_eq!(params["order_id"], order_id);
    assert_eq!(params["custom2"], order_id);
    assert_eq!(Some(params["sub_id5"].clone()), sandbox.user_id(PLAYER));
    assert_eq!(params["custom1"], "true");
    // Created and paid at once, to the merchant.
    let order = sandbox.order(&order_id).unwrap();
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(order.merchant_id.as_str(), MERCHANT_ID);
    assert_eq!(order.email, PLAYER);
    (order_id, redirect.query().unwrap().to_owned())
}

/// The merchant's side of the landing: auto-login with the issuer checked, then the login.
async fn land_and_log_in(sandbox: &Sandbox, query: &str, order_id: &str) {
    let client = confidential(sandbox);
    let attempt = client.auto_login(query, as_user(PLAYER)).await.unwrap();
    assert_eq!(attempt.order_id(), Some(order_id));
    let back = authorize(&attempt).await;
    let session = client.finish_login(attempt, &back).await.unwrap();
    assert_eq!(session.order_id(), Some(order_id));
    assert_eq!(session.claims().email.as_deref(), Some(PLAYER));
}

#[tokio::test]
async fn play_with_the_callback_before_the_login_credits_once() {
    let shop = shop(Failure::None).await;
    let sandbox = sandbox_for(&shop).await;
    let (order_id, query) = play(&sandbox, &shop).await;
    assert!(
        shop.wait_until(WAIT, |books| books.credits.get(&order_id) == Some(&1))
            .await,
        "the callback credits the order"
    );
    land_and_log_in(&sandbox, &query, &order_id).await;
    sandbox.settled_callbacks(Duration::from_secs(5)).await;
    shop.books(|books| {
        assert_eq!(books.credits[&order_id], 1);
        assert_eq!(books.balance, 2500);
    });
}

#[tokio::test]
async fn play_with_the_login_before_the_callback_credits_once_and_only_from_the_callback() {
    let shop = shop(Failure::None).await;
    shop.set_closed(true);
    // Retried every 20 ms for a few seconds while the merchant is down.
    let retrying = fast_callbacks()
        .max_attempts(200)
        .max_backoff(Duration::from_millis(20));
    let sandbox = sandbox_with(&shop, retrying).await;
    let (order_id, query) = play(&sandbox, &shop).await;
    land_and_log_in(&sandbox, &query, &order_id).await;
    // Logged in with the order's id in hand, and nothing credited: the query and the login
    // credit nothing.
    shop.books(|books| {
        assert!(books.credits.is_empty(), "{:?}", books.credits);
        assert_eq!(books.balance, 0);
    });
    assert!(
        shop.books(|books| books.deliveries) >= 1,
        "a try was refused"
    );
    shop.set_closed(false);
    assert!(
        shop.wait_until(WAIT, |books| books.credits.get(&order_id) == Some(&1))
            .await
    );
    sandbox.settled_callbacks(Duration::from_secs(5)).await;
    shop.books(|books| {
        assert_eq!(books.credits[&order_id], 1);
        assert_eq!(books.balance, 2500);
    });
}

#[tokio::test]
async fn an_auto_login_naming_another_issuer_is_refused_without_a_request() {
    let shop = shop(Failure::None).await;
    let sandbox = sandbox_for(&shop).await;
    let (_, query) = play(&sandbox, &shop).await;

    let foreign = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let foreign_issuer = format!("http://{}/realms/public", foreign.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while foreign.accept().await.is_ok() {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let mut landing = url::Url::parse(&format!("http://shop.invalid/play?{query}")).unwrap();
    let pairs: Vec<(String, String)> = landing.query_pairs().into_owned().collect();
    landing
        .query_pairs_mut()
        .clear()
        .extend_pairs(pairs.iter().map(|(name, value)| {
            let value = if name == "custom4" {
                foreign_issuer.as_str()
            } else {
                value.as_str()
            };
            (name.as_str(), value)
        }));

    let client = confidential(&sandbox);
    let error = client
        .auto_login(landing.query().unwrap(), as_user(PLAYER))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::ForeignIssuer { issuer } if *issuer == foreign_issuer),
        "{error}"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(connections.load(Ordering::SeqCst), 0, "the foreign issuer");
    assert_eq!(sandbox.idp().hits(IdpEndpoint::Discovery), 0, "nor ours");
    assert_eq!(sandbox.idp().hits(IdpEndpoint::Authorize), 0);
}

#[tokio::test]
async fn play_refuses_unknown_users_bad_urls_and_a_missing_callback_url() {
    let shop = shop(Failure::None).await;
    let sandbox = sandbox_for(&shop).await;
    let http = Http::default();
    let url = format!("{}/play", sandbox.control_url());
    let merchant_url = format!("{}/play", shop.url());
    for (body, expected) in [
        (
            serde_json::json!({"email": "nobody@example.com", "amount": 100, "currency": "USD", "merchant_url": merchant_url}),
            "\"nobody@example.com\" is not a KukuPay user",
        ),
        (
            serde_json::json!({"email": PLAYER, "amount": 100, "currency": "USD", "merchant_url": "javascript:alert(1)"}),
            "merchant_url must be an absolute http(s) URL",
        ),
        (
            serde_json::json!({"email": PLAYER, "amount": 100, "currency": "USD"}),
            "merchant_url is missing",
        ),
        (
            serde_json::json!({"email": PLAYER, "amount": 0, "currency": "USD", "merchant_url": merchant_url}),
            "amount must be greater than 0",
        ),
        (
            serde_json::json!({"email": PLAYER, "amount": 100, "currency": "EUR", "merchant_url": merchant_url}),
            "currency \"EUR\" is not supported",
        ),
        (
            serde_json::json!({"email": PLAYER, "amount": 100, "currency": "USD", "merchant_url": merchant_url, "merchant_id": "9"}),
            "merchant_id \"9\" is not a merchant",
        ),
    ] {
        let answer = http.post_json(&url, &body.to_string()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            answer.json()["success"],
            false,
            "D6 body: {}",
            answer.text()
        );
        assert!(answer.err().contains(expected), "{body}: {}", answer.err());
    }
    assert!(sandbox.orders().is_empty(), "no order for a refused Play");

    // Without a default callback URL, Play needs one in the body.
    let bare = Sandbox::builder()
        .merchant(Merchant::new(MERCHANT_ID, key()))
        .user(KukuPayUser::new(PLAYER, "Pia Player", "USD"))
        .start()
        .await
        .unwrap();
    let body = serde_json::json!({"email": PLAYER, "amount": 100, "currency": "USD", "merchant_url": merchant_url});
    let answer = http
        .post_json(&format!("{}/play", bare.control_url()), &body.to_string())
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.err().contains("callback_url is missing"),
        "{}",
        answer.err()
    );
    let mut with_callback = body;
    with_callback["callback_url"] = serde_json::json!(shop.callback_url());
    let answer = http
        .post_json(
            &format!("{}/play", bare.control_url()),
            &with_callback.to_string(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let order_id = answer.json()["order_id"].as_str().unwrap().to_owned();
    assert!(
        shop.wait_until(WAIT, |books| books.credits.get(&order_id) == Some(&1))
            .await
    );
}

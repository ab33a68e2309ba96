//! `kuna-ramp` against the sandbox's Kuna on loopback.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;
use kukuruku_proto::TimeSource as _;
use kuna_ramp::{
    Credentials, CustomerQuery, CustomerUpdate, Error, Login, NewCustomer, VerificationStatus,
    WalletStatus,
};

use crate::support::{BROWSER, Kuna, customer, get};

#[tokio::test]
async fn create_token_widget_invalidate_then_refused() {
    let kuna = Kuna::start(|_| {}).await;
    let client = kuna.api_key_client();

    let created = client
        .create_customer(&customer("viktor@example.com", "user-1"))
        .await
        .unwrap();
    assert_eq!(created.email.as_deref(), Some("viktor@example.com"));
    assert_eq!(created.external_id.as_deref(), Some("user-1"));
    assert_eq!(created.wallet_status, Some(WalletStatus::Active));
    assert_eq!(
        created.verification_status,
        Some(VerificationStatus::Accepted)
    );
    assert!(
        created
            .created_at
            .as_deref()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let token = client.ramp_token(&created.id, BROWSER).await.unwrap();
    // exp read from the JWT: the sandbox's default lifetime, 167 490 s.
    let expires = token.expires_at().unwrap();
    let lifetime = expires.duration_since(kuna.clock.now()).unwrap();
    assert!(
        (167_480..=167_490).contains(&lifetime.as_secs()),
        "{lifetime:?}"
    );

    // The seed's claims, and nothing else.
    let payload = token.expose_secret().split('.').nth(1).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let mut names: Vec<&str> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["exp", "fingerprint", "iat", "id", "sessionCreatedAt"]
    );
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        167_490
    );
    assert_eq!(claims["fingerprint"].as_str().unwrap().len(), 32);

    let url = client.widget_url(&token).unwrap();
    // The query decodes back to the exact token and institution.
    let parsed = url::Url::parse(url.expose_secret()).unwrap();
    let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        vec![
            ("institutionId".to_owned(), "sandbox-institution".to_owned()),
            ("refreshToken".to_owned(), token.expose_secret().to_owned()),
        ]
    );

    let (status, answer) = get(url.expose_secret()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["valid"], true);
    assert_eq!(answer["customerId"], created.id.as_str());

    client.invalidate(&created.id).await.unwrap();
    let (status, answer) = get(url.expose_secret()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["valid"], false);

    // A new token works again; the widget refuses another institution and an expired token.
    let token = client.ramp_token(&created.id, BROWSER).await.unwrap();
    let url = client.widget_url(&token).unwrap();
    assert_eq!(get(url.expose_secret()).await.0, StatusCode::OK);
    let other = token
        .widget_url_on(&kuna.widget_host().parse().unwrap(), "someone-else")
        .unwrap();
    assert_eq!(get(other.expose_secret()).await.0, StatusCode::UNAUTHORIZED);
    kuna.clock.advance(Duration::from_secs(167_491));
    assert_eq!(get(url.expose_secret()).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn open_widget_finds_or_creates_by_external_id() {
    let kuna = Kuna::start(|_| {}).await;
    let client = kuna.api_key_client();
    let new = customer("olena@example.com", "user-7");

    let first = client.open_widget(&new, BROWSER).await.unwrap();
    assert!(first.created);
    let second = client.open_widget(&new, BROWSER).await.unwrap();
    assert!(!second.created);
    assert_eq!(first.customer.id, second.customer.id);
    assert_eq!(kuna.state.customer_count(), 1);

    for session in [&first, &second] {
        assert_eq!(get(session.url.expose_secret()).await.0, StatusCode::OK);
    }
    assert_eq!(kuna.state.live_token_count(&first.customer.id), 2);

    // Logout: both sessions end.
    client.invalidate(&first.customer.id).await.unwrap();
    for session in [&first, &second] {
        assert_eq!(
            get(session.url.expose_secret()).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn login_token_is_cached_and_renewed_before_expiry() {
    let kuna = Kuna::start(|c| c.login_token_lifetime = Duration::from_secs(600)).await;
    let client = kuna.login_client();

    let c = client
        .create_customer(&customer("a@example.com", "a"))
        .await
        .unwrap();
    client.customer(&c.id).await.unwrap();
    client.customer(&c.id).await.unwrap();
    assert_eq!(kuna.state.login_count(), 1, "the token is cached");

    // 545 s on: the token still works for 55 s, but is inside the 60 s renewal margin.
    kuna.clock.advance(Duration::from_secs(545));
    client.customer(&c.id).await.unwrap();
    assert_eq!(kuna.state.login_count(), 2, "renewed before expiry");
    assert_eq!(kuna.state.unauthorized_count(), 0, "without a 401");

    // Well past expiry: renewed again, still without a refused call.
    kuna.clock.advance(Duration::from_secs(3600));
    client.customer(&c.id).await.unwrap();
    assert_eq!(kuna.state.login_count(), 3);
    assert_eq!(kuna.state.unauthorized_count(), 0);

    // Clones share the cache.
    client.clone().customer(&c.id).await.unwrap();
    assert_eq!(kuna.state.login_count(), 3);
}

#[tokio::test]
async fn login_token_is_renewed_once_on_401() {
    let kuna = Kuna::start(|_| {}).await;
    let client = kuna.login_client();
    let c = client
        .create_customer(&customer("b@example.com", "b"))
        .await
        .unwrap();
    assert_eq!(kuna.state.login_count(), 1);

    kuna.state.fail_next_auth();
    let again = client.customer(&c.id).await.unwrap();
    assert_eq!(again.id, c.id);
    assert_eq!(kuna.state.login_count(), 2, "logged in again after the 401");
    assert_eq!(kuna.state.unauthorized_count(), 1);

    // Two 401s in a row: one renewal, then the error (no loop).
    kuna.state.fail_next_auth();
    kuna.state.fail_next_auth();
    let err = client.customer(&c.id).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unauthorized {
                status: StatusCode::UNAUTHORIZED,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(kuna.state.login_count(), 3);
    assert_eq!(kuna.state.unauthorized_count(), 3);
    // And the next call works.
    client.customer(&c.id).await.unwrap();
}

#[tokio::test]
async fn api_key_401_is_not_retried_and_bad_login_is_reported() {
    let kuna = Kuna::start(|_| {}).await;
    let client = kuna.client_with(Credentials::api_key("wrong-key"));
    let err = client.customer("x").await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert_eq!(err.message(), Some("Invalid api-key"));
    assert_eq!(kuna.state.unauthorized_count(), 1);

    let c = kuna.state.config();
    let bad = Login::new(c.merchant_id.clone(), c.login.clone(), "not-the-password");
    let err = kuna
        .client_with(Credentials::login(bad))
        .customer("x")
        .await
        .unwrap_err();
    assert_eq!(err.message(), Some("Invalid login or password"));
    assert!(!format!("{err:?} {err}").contains("not-the-password"));

    let wrong_merchant = Login::new("someone", c.login.clone(), c.password.clone());
    let err = kuna
        .client_with(Credentials::login(wrong_merchant))
        .customer("x")
        .await
        .unwrap_err();
    assert_eq!(err.message(), Some("Unknown merchant_id"));
}

#[tokio::test]
async fn duplicate_email_is_refused_with_status_and_message() {
    let kuna = Kuna::start(|_| {}).await;
    let client = kuna.api_key_client();
    client
        .create_customer(&customer("dup@example.com", "d1"))
        .await
        .unwrap();
    let err = client
        .create_customer(&customer("DUP@example.com", "d2"))
        .await
        .unwrap_err();
    let Error::Api {
        status,
        message,
        body,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, StatusCode::CONFLICT);
    assert_eq!(
        message.as_deref(),
        Some("Customer with this email already exists")
    );
    assert!(
        std::str::from_utf8(body)
            .unwrap()
            .contains("\"statusCode\":409")
    );
    assert_eq!(
        err.to_string(),
        "Kuna answered HTTP 409 Conflict: Customer with this email already exists"
    );
    assert_eq!(kuna.state.customer_count(), 1);

    // Changing another customer's e-mail to a taken one is refused too.
    let other = client
        .create_customer(&customer("other@example.com", "d3"))
        .await
        .unwrap();
    let err = client
        .update_customer(&CustomerUpdate::new(&other.id).email("dup@example.com"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::CONFLICT));
}

#[tokio::test]
async fn unknown_statuses_and_null_fields_are_parsed() {
    let kuna = Kuna::start(|_| {}).await;
    let client = kuna.api_key_client();
    let minimal = NewCustomer::builder()
        .email("min@example.com")
        .first_name("Min")
        .last_name("Imal")
        .country("PL")
        .verification_document_id("doc-1")
        .residence_address("ul. Prosta 1")
        .build()
        .unwrap();
    let c = client.create_customer(&minimal).await.unwrap();
    // The sandbox answers `null` for every unset field.
    assert_eq!(
        (&c.comment, &c.phone_number, &c.external_id, &c.referral_id),
        (&None, &None, &None, &None)
    );

    assert!(kuna.state.set_wallet_status(&c.id, "Frozen"));
    assert!(kuna.state.set_verification_status(&c.id, "PENDING_REVIEW"));
    let c = client.customer(&c.id).await.unwrap();
    assert_eq!(
        c.wallet_status,
        Some(WalletStatus::Unknown("Frozen".into()))
    );
    assert_eq!(
        c.verification_status,
        Some(VerificationStatus::Unknown("PENDING_REVIEW".into()))
    );
    assert!(kuna.state.set_wallet_status(&c.id, "Blocked"));
    let c = client.customer(&c.id).await.unwrap();
    assert_eq!(c.wallet_status, Some(WalletStatus::Blocked));
}

#[tokio::test]
async fn update_details_find_and_paging() {
    let kuna = Kuna::start(|_| {}).await;
    let client = kuna.api_key_client();
    let mut ids = Vec::new();
    for i in 0..3 {
        let c = client
            .create_customer(&customer(&format!("p{i}@example.com"), &format!("ext-{i}")))
            .await
            .unwrap();
        ids.push(c.id);
    }
    let updated = client
        .update_customer(
            &CustomerUpdate::new(&ids[1])
                .phone_number("+380991112233")
                .first_name("Olena"),
        )
        .await
        .unwrap();
    assert_eq!(updated.phone_number.as_deref(), Some("+380991112233"));
    assert_eq!(
        client
            .customer(&ids[1])
            .await
            .unwrap()
            .first_name
            .as_deref(),
        Some("Olena")
    );

    let page = client
        .find_customers(&CustomerQuery::new().take(2))
        .await
        .unwrap();
    assert_eq!(page.total, Some(3));
    assert_eq!(
        page.customers.iter().map(|c| &c.id).collect::<Vec<_>>(),
        vec![&ids[0], &ids[1]]
    );
    let page = client
        .find_customers(&CustomerQuery::new().take(2).skip(2))
        .await
        .unwrap();
    assert_eq!(
        page.customers.iter().map(|c| &c.id).collect::<Vec<_>>(),
        vec![&ids[2]]
    );
    let by_email = client
        .find_customers(&CustomerQuery::new().email("p2@example.com"))
        .await
        .unwrap();
    assert_eq!(by_email.customers.len(), 1);
    let by_name = client
        .find_customers(&CustomerQuery::new().full_name("olena tatov"))
        .await
        .unwrap();
    assert_eq!(by_name.customers[0].id, ids[1]);

    let err = client.customer("no-such-id").await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
    assert_eq!(err.message(), Some("Customer not found"));
}

#[tokio::test]
async fn secrets_never_appear_in_debug_or_errors() {
    let kuna = Kuna::start(|_| {}).await;
    let client = kuna.login_client();
    let session = client
        .open_widget(&customer("s@example.com", "s"), BROWSER)
        .await
        .unwrap();
    let token = session.token.expose_secret().to_owned();
    let password = kuna.state.config().password.clone();
    let api_key = kuna.state.api_key().to_owned();
    let api_client = kuna.api_key_client();
    let shown = format!(
        "{session:?} {session:#?} {:?} {:?} {client:?} {api_client:?} {:?}",
        session.token, session.url, kuna.state
    );
    assert!(shown.contains("refreshToken=***"), "{shown}");
    for secret in [token.as_str(), &token[..20], &password, &api_key] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    // The token's expiry is readable without showing it.
    assert!(session.token.expires_at().unwrap() > SystemTime::now());
}

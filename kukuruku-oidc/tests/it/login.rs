//! End to end against the sandbox KukurukuID on 127.0.0.1:0: happy paths and every rejection,
//! through real HTTP.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use kukuruku_oidc::{
    AttemptStore, AuthorizationErrorCode, ClientAuth, Currency, Error, IdTokenError, KukurukuId,
    LoginAttempt, TokenErrorCode,
};

use crate::support::idp::{IdpEndpoint, Misbehave};
use crate::support::{self, ANN, as_ann, authorize, movable_clock, start_idp};

fn assert_send<T: Send>(_: &T) {}

/// What a rejection test expects of the ID-token error.
type Expect = fn(&IdTokenError) -> bool;

#[tokio::test]
async fn confidential_client_logs_in_refreshes_and_reads_userinfo_and_profile() {
    let idp = start_idp().await;
    let client = idp.confidential().build().unwrap();
    assert!(client.is_confidential());

    let attempt = client.start_login_with(as_ann()).await.unwrap();
    let url = url::Url::parse(attempt.authorize_url()).unwrap();
    let params: BTreeMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["client_id"], "shop");
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["scope"], "openid profile email");
    assert_eq!(params["state"], attempt.state());
    assert!(params.contains_key("nonce"));

    let back = authorize(&attempt).await;
    let future = client.finish_login(attempt, &back);
    assert_send(&future);
    let session = future.await.unwrap();
    let claims = session.claims();
    assert_eq!(claims.email.as_deref(), Some(ANN));
    assert_eq!(claims.email_verified, Some(true));
    assert_eq!(claims.name.as_deref(), Some("Ann Example"));
    assert_eq!(claims.phone_number.as_deref(), Some("+70000000001"));
    assert_eq!(claims.issuer, idp.issuer);
    assert_eq!(claims.audiences, ["shop"]);
    assert!(session.refresh_token().is_some());
    assert!(session.expires_at().is_some());
    assert!(!format!("{session:?}").contains(session.access_token()));

    let info = client.userinfo(&session).await.unwrap();
    assert_eq!(info.subject, claims.subject);
    assert_eq!(info.email.as_deref(), Some(ANN));
    assert_eq!(info.name.as_deref(), Some("Ann Example"));

    let me = client.profile(&session).await.unwrap();
    assert_eq!(me.email.as_deref(), Some(ANN));
    assert_eq!(me.name.as_deref(), Some("Ann Example"));
    assert_eq!(me.currency, Some(Currency::Rub));
    assert_eq!(
        me.extra["id"],
        claims.subject.as_str(),
        "unknown fields are kept"
    );

    let refreshed = client.refresh(&session).await.unwrap();
    assert_ne!(refreshed.access_token(), session.access_token());
    assert_ne!(refreshed.refresh_token(), session.refresh_token());
    assert_eq!(refreshed.claims().subject, claims.subject);
    assert_eq!(
        client.profile(&refreshed).await.unwrap().email.as_deref(),
        Some(ANN)
    );
    // The sandbox rotates refresh tokens: the old one is spent.
    let spent = client.refresh(&session).await.unwrap_err();
    assert!(
        matches!(
            &spent,
            Error::Token {
                error: TokenErrorCode::InvalidGrant,
                ..
            }
        ),
        "{spent}"
    );

    let logout = client
        .logout_url(&refreshed, Some("http://127.0.0.1:9/bye"))
        .await
        .unwrap();
    assert!(logout.starts_with(&format!("{}/protocol/openid-connect/logout?", idp.issuer)));
    assert!(logout.contains("id_token_hint=") && logout.contains("client_id=shop"));
    let bye = support::get(&logout, &BTreeMap::new()).await;
    assert_eq!(support::location(&bye), "http://127.0.0.1:9/bye");
    let after = client.userinfo(&refreshed).await.unwrap_err();
    assert!(
        matches!(after, Error::Status { status, .. } if status == 401),
        "{after}"
    );

    // Discovery and the JWKS were fetched once and cached.
    assert_eq!(idp.state.hits(IdpEndpoint::Discovery), 1);
    assert_eq!(idp.state.hits(IdpEndpoint::Jwks), 1);
}

#[tokio::test]
async fn client_secret_post_and_wrong_secret() {
    let idp = start_idp().await;
    let post = idp
        .confidential()
        .client_auth(ClientAuth::Post)
        .build()
        .unwrap();
    let attempt = post.start_login_with(as_ann()).await.unwrap();
    let back = authorize(&attempt).await;
    post.finish_login(attempt, &back).await.unwrap();

    let wrong = idp
        .confidential()
        .client_secret("not-the-secret")
        .build()
        .unwrap();
    let attempt = wrong.start_login_with(as_ann()).await.unwrap();
    let back = authorize(&attempt).await;
    let error = wrong.finish_login(attempt, &back).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Token {
                error: TokenErrorCode::InvalidClient,
                ..
            }
        ),
        "{error}"
    );
    assert!(!error.to_string().contains("not-the-secret"));
}

#[tokio::test]
async fn public_client_with_pkce_only() {
    let idp = start_idp().await;
    let client = idp.public().build().unwrap();
    assert!(!client.is_confidential());
    let attempt = client.start_login_with(as_ann()).await.unwrap();
    let back = authorize(&attempt).await;
    let session = client.finish_login(attempt, &back).await.unwrap();
    assert_eq!(session.claims().audiences, ["spa"]);
    let refreshed = client.refresh(&session).await.unwrap();
    assert_eq!(
        client.userinfo(&refreshed).await.unwrap().email.as_deref(),
        Some(ANN)
    );
}

#[tokio::test]
async fn the_attempt_survives_serialisation() {
    let idp = start_idp().await;
    let client = idp.public().build().unwrap();
    let attempt = client.start_login_with(as_ann()).await.unwrap();
    let cookie = serde_json::to_string(&attempt).unwrap();
    drop(attempt);
    let attempt: LoginAttempt = serde_json::from_str(&cookie).unwrap();
    let back = authorize(&attempt).await;
    client.finish_login(attempt, &back).await.unwrap();
}

#[tokio::test]
async fn wrong_state_is_refused_before_any_token_request() {
    let idp = start_idp().await;
    let client = idp.confidential().build().unwrap();
    let first = client.start_login_with(as_ann()).await.unwrap();
    let second = client.start_login_with(as_ann()).await.unwrap();
    let back = authorize(&first).await;
    let error = client.finish_login(second, &back).await.unwrap_err();
    assert!(matches!(error, Error::StateMismatch), "{error}");
    let no_state = back.replace("state=", "stale=");
    let error = client.finish_login(first, &no_state).await.unwrap_err();
    assert!(matches!(error, Error::StateMismatch), "{error}");
    assert_eq!(idp.state.hits(IdpEndpoint::Token), 0);
}

#[tokio::test]
async fn a_reused_attempt_is_refused() {
    let idp = start_idp().await;
    let client = idp.confidential().build().unwrap();
    let store = AttemptStore::new(100);
    let attempt = client.start_login_with(as_ann()).await.unwrap();
    let copy = attempt.clone();
    let back = authorize(&attempt).await;
    store.insert("203.0.113.7", attempt);
    client.finish_login_with_store(&store, &back).await.unwrap();
    let again = client
        .finish_login_with_store(&store, &back)
        .await
        .unwrap_err();
    assert!(matches!(again, Error::UnknownAttempt), "{again}");
    assert_eq!(idp.state.hits(IdpEndpoint::Token), 1);
    // Without the store, a kept copy replays the code: the provider refuses it (single-use code).
    let replay = client.finish_login(copy, &back).await.unwrap_err();
    assert!(
        matches!(
            &replay,
            Error::Token {
                error: TokenErrorCode::InvalidGrant,
                ..
            }
        ),
        "{replay}"
    );
}

#[tokio::test]
async fn an_expired_attempt_is_refused() {
    let idp = start_idp().await;
    let (clock, offset) = movable_clock();
    let client = idp.confidential().time_source(clock).build().unwrap();
    let attempt = client.start_login_with(as_ann()).await.unwrap();
    let back = authorize(&attempt).await;
    offset.store(601, Ordering::SeqCst);
    let error = client.finish_login(attempt, &back).await.unwrap_err();
    assert!(
        matches!(error, Error::AttemptExpired { ttl_secs: 600 }),
        "{error}"
    );
    assert_eq!(idp.state.hits(IdpEndpoint::Token), 0);
}

#[tokio::test]
async fn pkce_verifier_mismatch_is_refused_by_the_sandbox() {
    let idp = start_idp().await;
    let client = idp.public().build().unwrap();
    let attempt = client.start_login_with(as_ann()).await.unwrap();
    let back = authorize(&attempt).await;
    let mut stored: serde_json::Value = serde_json::to_value(&attempt).unwrap();
    stored["pkce_verifier"] = "x".repeat(64).into();
    let tampered: LoginAttempt = serde_json::from_value(stored).unwrap();
    let error = client.finish_login(tampered, &back).await.unwrap_err();
    match &error {
        Error::Token {
            error: TokenErrorCode::InvalidGrant,
            description,
            ..
        } => {
            assert!(
                description.as_deref().unwrap_or_default().contains("PKCE"),
                "{error}"
            );
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn an_error_answer_is_typed() {
    let idp = start_idp().await;
    let client = idp.confidential().build().unwrap();
    let options = kukuruku_oidc::LoginOptions::new(["email"]).prompt("none");
    let attempt = client.start_login_with(options).await.unwrap();
    let back = authorize(&attempt).await;
    let error = client.finish_login(attempt, &back).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Authorization {
                error: AuthorizationErrorCode::LoginRequired,
                description: Some(_)
            }
        ),
        "{error}"
    );
}

#[tokio::test]
async fn iss_mismatch_and_missing_iss_are_refused() {
    let idp = start_idp().await;
    let client = idp.confidential().build().unwrap();

    idp.state.set_misbehave(Misbehave {
        wrong_iss_in_redirect: true,
        ..Misbehave::default()
    });
    let attempt = client.start_login_with(as_ann()).await.unwrap();
    let back = authorize(&attempt).await;
    let error = client.finish_login(attempt, &back).await.unwrap_err();
    assert!(
        matches!(&error, Error::IssuerMismatch { found, .. } if found.contains("mix-up")),
        "{error}"
    );

    idp.state.set_misbehave(Misbehave::default());
    let attempt = client.start_login_with(as_ann()).await.unwrap();
    let back = authorize(&attempt).await;
    let (without_iss, _) = back.split_once("&iss=").unwrap();
    let error = client.finish_login(attempt, without_iss).await.unwrap_err();
    assert!(matches!(error, Error::MissingIssuerParameter), "{error}");
    assert_eq!(idp.state.hits(IdpEndpoint::Token), 0);
}

/// Logs in while the sandbox misbehaves as told; returns the ID-token error.
async fn id_token_error(
    client: &KukurukuId,
    idp: &support::Idp,
    misbehave: Misbehave,
) -> IdTokenError {
    idp.state.set_misbehave(misbehave);
    let attempt = client.start_login_with(as_ann()).await.unwrap();
    let back = authorize(&attempt).await;
    let result = client.finish_login(attempt, &back).await;
    idp.state.set_misbehave(Misbehave::default());
    match result {
        Err(Error::IdToken(error)) => error,
        other => panic!("expected an ID-token error, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_id_tokens_are_refused() {
    let idp = start_idp().await;
    let client = idp.confidential().build().unwrap();
    let cases: [(Misbehave, Expect); 6] = [
        (
            Misbehave {
                wrong_nonce: true,
                ..Misbehave::default()
            },
            |e| matches!(e, IdTokenError::Nonce(_)),
        ),
        (
            Misbehave {
                wrong_iss_in_token: true,
                ..Misbehave::default()
            },
            |e| matches!(e, IdTokenError::Issuer(_)),
        ),
        (
            Misbehave {
                wrong_aud: true,
                ..Misbehave::default()
            },
            |e| matches!(e, IdTokenError::Audience(_)),
        ),
        (
            Misbehave {
                expired_id_token: true,
                ..Misbehave::default()
            },
            |e| matches!(e, IdTokenError::Expired(_)),
        ),
        (
            Misbehave {
                alg_none: true,
                ..Misbehave::default()
            },
            |e| matches!(e, IdTokenError::Algorithm(_)),
        ),
        (
            Misbehave {
                sign_with_other_key: true,
                ..Misbehave::default()
            },
            |e| matches!(e, IdTokenError::Signature),
        ),
    ];
    for (misbehave, expected) in cases {
        let error = id_token_error(&client, &idp, misbehave.clone()).await;
        assert!(expected(&error), "{misbehave:?}: {error:?}");
    }
    // After all that, a well-behaved login still works.
    let attempt = client.start_login_with(as_ann()).await.unwrap();
    let back = authorize(&attempt).await;
    client.finish_login(attempt, &back).await.unwrap();
}

#[tokio::test]
async fn several_audiences_need_trust_and_azp() {
    let idp = start_idp().await;
    let extra = Misbehave {
        extra_audience: Some("reporting".into()),
        ..Misbehave::default()
    };
    let strict = idp.confidential().build().unwrap();
    let error = id_token_error(&strict, &idp, extra.clone()).await;
    assert!(matches!(error, IdTokenError::Audience(_)), "{error:?}");
    let trusting = idp
        .confidential()
        .trusted_audience("reporting")
        .build()
        .unwrap();
    let error = id_token_error(&trusting, &idp, extra).await;
    assert!(
        matches!(error, IdTokenError::AuthorizedParty(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_jwks_once_then_fails() {
    let idp = start_idp().await;
    let client = idp.confidential().build().unwrap();
    let unknown = Misbehave {
        unknown_kid: true,
        ..Misbehave::default()
    };
    let error = id_token_error(&client, &idp, unknown.clone()).await;
    assert_eq!(
        error,
        IdTokenError::UnknownKey {
            kid: Some("rotated-away".into())
        }
    );
    assert_eq!(
        idp.state.hits(IdpEndpoint::Jwks),
        2,
        "fetched at discovery, refetched once"
    );
    // Within the refetch interval, a second unknown kid does not refetch again.
    let error = id_token_error(&client, &idp, unknown).await;
    assert!(
        matches!(error, IdTokenError::UnknownKey { .. }),
        "{error:?}"
    );
    assert_eq!(idp.state.hits(IdpEndpoint::Jwks), 2);
}

#[tokio::test]
async fn a_rotated_key_is_found_by_refetching() {
    let idp = start_idp().await;
    let client = idp.confidential().build().unwrap();
    client.discover().await.unwrap();
    assert_eq!(idp.state.hits(IdpEndpoint::Jwks), 1);
    let kid = idp
        .state
        .rotate_key(Some(support::keys().1.clone()))
        .unwrap();
    assert_ne!(kid, "sandbox-1");
    let attempt = client.start_login_with(as_ann()).await.unwrap();
    let back = authorize(&attempt).await;
    client.finish_login(attempt, &back).await.unwrap();
    assert_eq!(idp.state.hits(IdpEndpoint::Jwks), 2);
    // The refetched keys are cached: the next login fetches nothing.
    let attempt = client.start_login_with(as_ann()).await.unwrap();
    let back = authorize(&attempt).await;
    client.finish_login(attempt, &back).await.unwrap();
    assert_eq!(idp.state.hits(IdpEndpoint::Jwks), 2);
}

#[tokio::test]
async fn discovery_is_cached_for_its_ttl() {
    let idp = start_idp().await;
    let (clock, offset) = movable_clock();
    let client = idp
        .public()
        .time_source(clock)
        .discovery_ttl(Duration::from_secs(60))
        .build()
        .unwrap();
    client.discover().await.unwrap();
    client.discover().await.unwrap();
    assert_eq!(idp.state.hits(IdpEndpoint::Discovery), 1);
    offset.store(61, Ordering::SeqCst);
    client.discover().await.unwrap();
    assert_eq!(idp.state.hits(IdpEndpoint::Discovery), 2);
}

#[tokio::test]
async fn insecure_urls_and_debug_redaction() {
    let error = KukurukuId::builder("shop", support::REDIRECT)
        .issuer("http://auth.example/realms/public")
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::InsecureUrl { .. }), "{error}");
    let client = KukurukuId::builder("shop", support::REDIRECT)
        .client_secret("TOP-SECRET")
        .build()
        .unwrap();
    assert_eq!(client.issuer(), kukuruku_oidc::DEFAULT_ISSUER);
    assert!(!format!("{client:?}").contains("TOP-SECRET"));
}

#[tokio::test]
async fn the_login_page_lists_users_and_its_form_logs_in() {
    let idp = start_idp().await;
    let client = idp.confidential().build().unwrap();
    let attempt = client.start_login(["profile"]).await.unwrap();
    let page = support::get(attempt.authorize_url(), &BTreeMap::new()).await;
    assert_eq!(page.status(), 200);
    let html = String::from_utf8_lossy(page.body()).into_owned();
    assert!(
        html.contains("Log in as Ann Example (ann@example.com)"),
        "{html}"
    );
    assert!(html.contains("bob@example.com"));
    // What the page's form posts: the same parameters plus the chosen e-mail.
    let url = url::Url::parse(attempt.authorize_url()).unwrap();
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(url.query_pairs());
    form.append_pair("email", "bob@example.com");
    let endpoint = format!("{}/protocol/openid-connect/auth", idp.issuer);
    let answer = support::send(
        http::Request::post(endpoint).header("content-type", "application/x-www-form-urlencoded"),
        form.finish().into(),
        &BTreeMap::new(),
    )
    .await;
    let back = support::location(&answer);
    let session = client.finish_login(attempt, &back).await.unwrap();
    assert_eq!(session.claims().email.as_deref(), Some("bob@example.com"));
    let me = client.profile(&session).await.unwrap();
    assert_eq!(me.currency, Some(Currency::Usd));
}

#[tokio::test]
async fn the_sandbox_refuses_public_clients_without_pkce_and_unknown_redirects() {
    let idp = start_idp().await;
    let auth = format!("{}/protocol/openid-connect/auth", idp.issuer);
    let redirect =
        form_urlencoded::byte_serialize(support::REDIRECT.as_bytes()).collect::<String>();
    let no_pkce = format!(
        "{auth}?response_type=code&client_id=spa&redirect_uri={redirect}&scope=openid&state=s&login_hint={ANN}&prompt=none"
    );
    let back = support::location(&support::get(&no_pkce, &BTreeMap::new()).await);
    assert!(
        back.contains("error=invalid_request") && back.contains("state=s"),
        "{back}"
    );
    let plain = format!("{no_pkce}&code_challenge=abc&code_challenge_method=plain");
    let back = support::location(&support::get(&plain, &BTreeMap::new()).await);
    assert!(back.contains("error=invalid_request"), "{back}");
    let elsewhere = format!(
        "{auth}?response_type=code&client_id=spa&redirect_uri=https%3A%2F%2Fevil.example%2F&scope=openid"
    );
    let answer = support::get(&elsewhere, &BTreeMap::new()).await;
    assert_eq!(
        answer.status(),
        400,
        "never redirects to an unregistered URI"
    );
}

//! No token, client secret or e-mail in the `tracing` output of a whole login, refresh,
//! userinfo and profile against the sandbox, nor in the `Debug`/`Display` of what they return
//! (issue 15, item 7).

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use kukuruku_oidc::{Error, Session};
use tracing_subscriber::fmt::MakeWriter;

use crate::support::{ANN, SHOP_SECRET, as_ann, authorize, start_idp};

/// Where the test subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The credentials of a session, and each one's name.
fn tokens(session: &Session) -> Vec<(&'static str, String)> {
    let mut tokens = vec![("access token", session.access_token().to_owned())];
    tokens.extend(
        session
            .refresh_token()
            .map(|t| ("refresh token", t.to_owned())),
    );
    tokens.extend(session.id_token().map(|t| ("ID token", t.to_owned())));
    tokens
}

/// Fails if any secret (or the e-mail) is in `text`; `what` says where it was looked for.
fn assert_clean(what: &str, text: &str, secrets: &[(&'static str, String)]) {
    for (name, secret) in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} shows the {name}:\n{text}"
        );
    }
}

// One thread: the sandbox's tasks run on it too, so the subscriber sees every event.
#[tokio::test(flavor = "current_thread")]
async fn no_secret_or_email_in_logs_debug_or_errors() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    // With a single subscriber registered, tracing caches a callsite's interest from the
    // subscriber of whichever thread hits it first: another test's thread would cache
    // "never" for good. A global no-op subscriber makes two, so every callsite stays
    // "sometimes" and each call asks the current thread's subscriber.
    let _ = tracing::subscriber::set_global_default(tracing::subscriber::NoSubscriber::default());
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let idp = start_idp().await;
    let client = idp.confidential().build().unwrap();
    let attempt = client.start_login_with(as_ann()).await.unwrap();
    let attempt_debug = format!("{attempt:?}");
    let back = authorize(&attempt).await;
    let session = client.finish_login(attempt, &back).await.unwrap();
    let info = client.userinfo(&session).await.unwrap();
    client.profile(&session).await.unwrap();
    let refreshed = client.refresh(&session).await.unwrap();
    client.profile(&refreshed).await.unwrap();
    // Errors that involve the tokens and the secret: a spent refresh token, a wrong secret.
    let spent = client.refresh(&session).await.unwrap_err();
    assert!(matches!(spent, Error::Token { .. }), "{spent}");
    let wrong = idp
        .confidential()
        .client_secret("WRONG-SECRET-1")
        .build()
        .unwrap();
    let wrong_attempt = wrong.start_login_with(as_ann()).await.unwrap();
    let wrong_back = authorize(&wrong_attempt).await;
    let refused = wrong
        .finish_login(wrong_attempt, &wrong_back)
        .await
        .unwrap_err();
    let logout = client.logout_url(&refreshed, None).await.unwrap();
    assert!(
        logout.contains("id_token_hint"),
        "the URL itself carries the hint, by design"
    );

    let mut secrets = tokens(&session);
    secrets.extend(tokens(&refreshed));
    secrets.push(("client secret", SHOP_SECRET.to_owned()));
    secrets.push(("wrong client secret", "WRONG-SECRET-1".to_owned()));
    secrets.push(("e-mail", ANN.to_owned()));
    assert!(secrets.len() >= 7, "{}", secrets.len());

    let logs = captured.text();
    assert!(
        logs.contains("the token endpoint refused the request"),
        "the capture works, and sees this crate's debug events:\n{logs}"
    );
    assert_clean("the tracing output", &logs, &secrets);
    let shown = [
        ("the session's Debug", format!("{session:?}")),
        ("the refreshed session's Debug", format!("{refreshed:?}")),
        ("the claims' Debug", format!("{:?}", session.claims())),
        ("the userinfo's Debug", format!("{info:?}")),
        ("the attempt's Debug", attempt_debug),
        ("the options' Debug", format!("{:?}", as_ann())),
        ("the client's Debug", format!("{client:?}")),
        ("the wrong client's Debug", format!("{wrong:?}")),
        ("the spent-token error", format!("{spent} / {spent:?}")),
        ("the wrong-secret error", format!("{refused} / {refused:?}")),
    ];
    for (what, text) in shown {
        assert_clean(what, &text, &secrets);
    }
}

//! What the sandbox logs (any level of its own, its dependencies' at info): no callback URL
//! query or user info (a token may be there), no user's e-mail.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kukuruku_sandbox::CallbackPolicy;
use tokio::net::TcpListener;
use tracing_subscriber::fmt::MakeWriter;

use crate::support::{Clock, USER, builder, post_json};

/// Everything the subscriber writes, kept.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;

    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

// One thread (the test's runtime): the sandbox's tasks log to the subscriber set here.
#[tokio::test(flavor = "current_thread")]
async fn callback_tokens_credentials_and_e_mails_stay_out_of_the_logs() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        // Every level of the sandbox's own; its dependencies' at info (hyper's trace lines name
        // the connection pool's keys, user info included: not what an operator runs with).
        .with_env_filter("info,kukuruku_sandbox=trace")
        .with_ansi(false)
        .finish();
    // With a single subscriber registered, tracing caches a callsite's interest from the
    // subscriber of whichever thread hits it first: another test's thread would cache
    // "never" for good. A global no-op subscriber makes two, so every callsite stays
    // "sometimes" and each call asks the current thread's subscriber.
    let _ = tracing::subscriber::set_global_default(tracing::subscriber::NoSubscriber::default());
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let policy = CallbackPolicy::default()
        .max_attempts(2)
        .initial_backoff(Duration::from_millis(1));
    let sandbox = builder(&Clock::new())
        .callback_policy(policy)
        .start()
        .await
        .unwrap();
    let callback =
        format!("http://cbuser:cbpass@127.0.0.1:{port}/kuku/cb?token=TOPSECRETTOKEN#frag");
    let play = format!(
        r#"{{"email":"{USER}","amount":100,"currency":"RUB","merchant_url":"http://127.0.0.1:9/shop","callback_url":"{callback}"}}"#
    );
    let answer = post_json(&format!("{}/play", sandbox.control_url()), &play).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    sandbox.settled_callbacks(Duration::from_secs(30)).await;

    let logs = captured.text();
    // The capture works: the tries and the Play are there, by opaque ids.
    assert!(logs.contains("callback try"), "{logs}");
    assert!(logs.contains("callback given up"), "{logs}");
    assert!(
        logs.contains(&format!("http://127.0.0.1:{port}/kuku/cb")),
        "{logs}"
    );
    assert!(logs.contains("Play: order created and paid"), "{logs}");
    assert!(logs.contains(&sandbox.user_id(USER).unwrap()), "{logs}");
    for secret in ["TOPSECRETTOKEN", "cbpass", "cbuser", "frag", USER, "payer@"] {
        assert!(!logs.contains(secret), "{secret} in the logs:\n{logs}");
    }
}

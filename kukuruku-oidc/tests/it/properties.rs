//! Untrusted numbers never panic (issue 15, item 2): any `expires_in` through the token
//! answer of a login and of a refresh, and any stored attempt's time stamps.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use kukuruku_oidc::{Error, KukurukuId, LoginAttempt};
use kukuruku_proto::{from_unix_seconds, unix_seconds};
use proptest::prelude::*;

use crate::support::{Idp, log_in, on_token_answer, rewriting, start_idp};

/// One sandbox and one client for every case; the client's clock and the `expires_in` the
/// token endpoint answers with are set per case.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    _idp: Idp,
    client: KukurukuId,
    now: Arc<AtomicU64>,
    expires_in: Arc<AtomicU64>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let idp = runtime.block_on(start_idp());
        let now = Arc::new(AtomicU64::new(0));
        let expires_in = Arc::new(AtomicU64::new(300));
        let (clock, answer) = (now.clone(), expires_in.clone());
        let client = idp
            .confidential()
            .time_source(move || from_unix_seconds(clock.load(Ordering::SeqCst)).unwrap())
            .transport(rewriting(on_token_answer(move |json| {
                json["expires_in"] = answer.load(Ordering::SeqCst).into();
            })))
            .build()
            .unwrap();
        Fixture {
            runtime,
            _idp: idp,
            client,
            now,
            expires_in,
        }
    })
}

/// Lifetimes around every edge: small ones, the end of `SystemTime`, the end of `u64`.
fn lifetimes() -> impl Strategy<Value = u64> {
    let system_time_end = i64::MAX as u64;
    prop_oneof![
        0u64..100_000,
        any::<u64>(),
        (system_time_end - 4_000_000_000)..=system_time_end,
        (u64::MAX - 4_000_000_000)..=u64::MAX,
        Just(u64::MAX),
    ]
}

/// A session opened at `now` with `expires_in` is either valid with exactly that expiry, or,
/// when the expiry is beyond what a `SystemTime` holds, a typed error.
fn check(result: Result<kukuruku_oidc::Session, Error>, now: u64, expires_in: u64) {
    let end = now.checked_add(expires_in).and_then(from_unix_seconds);
    match (result, end) {
        (Ok(session), Some(end)) => {
            assert_eq!(session.expires_at(), Some(end));
            let now = from_unix_seconds(now).unwrap();
            assert_eq!(session.is_expired(now), expires_in == 0);
        }
        (Err(Error::TokenLifetime { expires_in: got }), None) => assert_eq!(got, expires_in),
        (other, end) => panic!("expires_in {expires_in}, end {end:?}: {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_expires_in_at_login_and_refresh_is_an_expiry_or_a_typed_error(expires_in in lifetimes()) {
        let fixture = fixture();
        let now = unix_seconds(SystemTime::now());
        fixture.now.store(now, Ordering::SeqCst);
        fixture.runtime.block_on(async {
            fixture.expires_in.store(expires_in, Ordering::SeqCst);
            check(log_in(&fixture.client).await, now, expires_in);

            fixture.expires_in.store(300, Ordering::SeqCst);
            let session = log_in(&fixture.client).await.unwrap();
            fixture.expires_in.store(expires_in, Ordering::SeqCst);
            check(fixture.client.refresh(&session).await, now, expires_in);
        });
    }
}

const ISSUER: &str = "https://auth.example/realms/public";
const NOW: u64 = 1_750_000_000;

/// A client whose transport only counts calls (none is expected to succeed).
fn offline_client(calls: Arc<AtomicUsize>) -> KukurukuId {
    let service = tower::service_fn(move |_: Request<Full<Bytes>>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async {
            Ok::<_, Infallible>(
                Response::builder()
                    .status(503)
                    .body(Full::new(Bytes::new()))
                    .unwrap(),
            )
        }
    });
    KukurukuId::builder("shop", "https://shop.example/callback")
        .issuer(ISSUER)
        .time_source(|| from_unix_seconds(NOW).unwrap())
        .transport(service)
        .build()
        .unwrap()
}

/// JSON number texts: any u64, stamps near `NOW`, and numbers no u64 holds.
fn numbers() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        (NOW - 2_000..NOW + 2_000).prop_map(|n| n.to_string()),
        (0u64..5_000).prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("18446744073709551616".to_owned()),
        Just("1e30".to_owned()),
        Just("1.5".to_owned()),
        Just("-0".to_owned()),
    ]
}

/// A JSON number text as serde reads it into a `u64`.
fn as_u64(text: &str) -> serde_json::Result<u64> {
    serde_json::from_str(text)
}

proptest! {
    #[test]
    fn any_stored_attempt_is_valid_expired_or_unreadable(created_at in numbers(), ttl in numbers()) {
        let json = format!(
            r#"{{"state":"s","nonce":"n","pkce_verifier":"v","authorize_url":"https://auth.example/auth","issuer":"{ISSUER}","created_at":{created_at},"ttl_secs":{ttl}}}"#
        );
        let Ok(attempt) = serde_json::from_str::<LoginAttempt>(&json) else {
            // Unreadable: a typed serde error, and only for numbers no u64 holds.
            prop_assert!(as_u64(&created_at).is_err() || as_u64(&ttl).is_err());
            return Ok(());
        };
        let (created_at, ttl) = (as_u64(&created_at).unwrap(), as_u64(&ttl).unwrap());
        let now = from_unix_seconds(NOW).unwrap();
        let expired = attempt.is_expired(now);
        if !expired {
            // Valid only within one TTL of its stamp, either way, and it ends after now.
            prop_assert!(NOW.abs_diff(created_at) < ttl);
            prop_assert!(attempt.expires_at() > now);
        }
        if from_unix_seconds(created_at.saturating_add(ttl)).is_none() {
            prop_assert!(expired, "an end beyond SystemTime is expired");
        }
        let calls = Arc::new(AtomicUsize::new(0));
        let client = offline_client(calls.clone());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let result = runtime.block_on(client.finish_login(attempt, "state=s&code=c"));
        match result {
            Err(Error::AttemptExpired { ttl_secs }) => {
                prop_assert!(expired);
                prop_assert_eq!(ttl_secs, ttl);
                prop_assert_eq!(calls.load(Ordering::SeqCst), 0, "refused before any request");
            }
            Err(Error::Status { .. }) => prop_assert!(!expired, "a valid attempt goes on to discovery"),
            other => prop_assert!(false, "{:?}", other),
        }
    }
}

//! The attempt store under a flood of unauthenticated login starts (issue 15, item 4).

use kukuruku_oidc::{AttemptStore, DEFAULT_ATTEMPTS_PER_CLIENT, Error};

use crate::support::{as_ann, authorize, start_idp};

const REAL_USER: &str = "203.0.113.7";
const FLOODER: &str = "198.51.100.66";

#[tokio::test]
async fn a_flood_from_one_client_does_not_evict_a_real_users_fresh_attempt() {
    let idp = start_idp().await;
    let client = idp.confidential().build().unwrap();
    // Room for far fewer attempts than the flood starts.
    let store = AttemptStore::new(1_000);

    let mine = client.start_login_with(as_ann()).await.unwrap();
    let back = authorize(&mine).await;
    store.insert(REAL_USER, mine);

    let mut flood = Vec::new();
    for _ in 0..5_000 {
        let attempt = client.start_login(["profile"]).await.unwrap();
        flood.push(attempt.state().to_owned());
        store.insert(FLOODER, attempt);
    }
    assert_eq!(
        store.len(),
        1 + DEFAULT_ATTEMPTS_PER_CLIENT,
        "the flooder holds its per-client share, no more"
    );
    // The flooder only ever replaced its own attempts: its newest are there, its first gone.
    assert!(store.take(&flood[0]).is_none());
    assert!(store.take(&flood[flood.len() - 1]).is_some());

    let session = client.finish_login_with_store(&store, &back).await.unwrap();
    assert_eq!(session.claims().email.as_deref(), Some(crate::support::ANN));
    let again = client
        .finish_login_with_store(&store, &back)
        .await
        .unwrap_err();
    assert!(matches!(again, Error::UnknownAttempt), "{again}");
}

#[tokio::test]
async fn many_clients_still_share_the_overall_capacity_oldest_first() {
    let idp = start_idp().await;
    let client = idp.public().build().unwrap();
    let store = AttemptStore::new(10).per_client(2);
    let first = client.start_login(["profile"]).await.unwrap();
    let first_state = first.state().to_owned();
    store.insert("client-0", first);
    for n in 1..=10 {
        let attempt = client.start_login(["profile"]).await.unwrap();
        store.insert(&format!("client-{n}"), attempt);
    }
    assert_eq!(store.len(), 10);
    assert!(
        store.take(&first_state).is_none(),
        "beyond the overall capacity, the oldest of all goes (the documented limit of the bound)"
    );
}

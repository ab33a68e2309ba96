//! Kuna through the full sandbox (`{base}/kuna`), with `kuna-ramp`.

use std::time::Duration;

use http::StatusCode;
use kukuruku_e2e::{Http, start_sandbox};
use kuna_ramp::{Credentials, Error, KunaClient, NewCustomer};

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) e2e";

fn customer() -> NewCustomer {
    NewCustomer::builder()
        .email("viktor@example.com")
        .first_name("Viktor")
        .last_name("Tatov")
        .country("UA")
        .verification_document_id("1237654")
        .residence_address("my street ap.12")
        .external_id("user-1")
        .build()
        .unwrap()
}

#[tokio::test]
async fn create_token_widget_invalidate_refused() {
    let sandbox = start_sandbox().await;
    let kuna = KunaClient::builder(
        sandbox.kuna_url(),
        Credentials::api_key(sandbox.kuna_api_key()),
    )
    .widget_url(sandbox.kuna_widget_url())
    .institution_id(sandbox.kuna_institution_id())
    .timeout(Duration::from_secs(5))
    .build()
    .unwrap();

    let session = kuna.open_widget(&customer(), BROWSER).await.unwrap();
    assert!(session.created);
    assert_eq!(sandbox.kuna().customer_count(), 1);
    let url = session.url.expose_secret().to_owned();
    assert!(
        url.starts_with(&format!("{}?institutionId=", sandbox.kuna_widget_url())),
        "{url}"
    );
    let http = Http::default();
    let valid = http.get(&url).await;
    assert_eq!(valid.status, StatusCode::OK, "{}", valid.text());
    assert_eq!(valid.json()["valid"], true);
    assert_eq!(valid.json()["customerId"], session.customer.id.as_str());

    // The same customer again: found by externalId, a new token.
    let again = kuna.open_widget(&customer(), BROWSER).await.unwrap();
    assert!(!again.created);
    assert_eq!(sandbox.kuna().live_token_count(&session.customer.id), 2);

    kuna.invalidate(&session.customer.id).await.unwrap();
    for url in [url.as_str(), again.url.expose_secret()] {
        let refused = http.get(url).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert_eq!(refused.json()["valid"], false);
    }
    assert_eq!(sandbox.kuna().live_token_count(&session.customer.id), 0);

    // Another key is refused.
    let stranger = KunaClient::builder(sandbox.kuna_url(), Credentials::api_key("kuna_guess"))
        .institution_id(sandbox.kuna_institution_id())
        .build()
        .unwrap();
    let error = stranger.customer(&session.customer.id).await.unwrap_err();
    assert!(
        matches!(&error, Error::Unauthorized { status, .. } if status.as_u16() == 401),
        "{error:?}"
    );
    assert_eq!(sandbox.kuna().unauthorized_count(), 1);
}

//! The Play auto-login: the sandbox builds the landing URL, the client checks its issuer and
//! binds the login to the order; a foreign issuer stops everything before any request.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use kukuruku_oidc::{AutoLogin, AutoLoginQuery, Error, LoginOptions};

use crate::support::idp::{IdpEndpoint, PlayTracking, play_redirect_url};
use crate::support::{ANN, authorize, start_idp};

const ORDER: &str = "8f14e45f-ceea-467a-9575-4e1f0c2d7a11";
const USER: &str = "9b2f4c1e-0d7a-4f7e-9a57-2d4f1c7e8a01";

fn landing_query(url: &str) -> String {
    url::Url::parse(url).unwrap().query().unwrap().to_owned()
}

#[test]
fn the_play_redirect_carries_every_protocol_3_parameter() {
    let tracking = PlayTracking {
        sub_ids: [Some("s1".into()), None, Some("s3".into()), None],
        aff_click_id: Some("click-7".into()),
        test: true,
    };
    let issuer = "https://auth.kukuruku.win/realms/public";
    let url = play_redirect_url(
        "https://shop.example/play?lang=en#top",
        issuer,
        ORDER,
        USER,
        &tracking,
    )
    .unwrap();
    assert!(url.starts_with("https://shop.example/play?lang=en&auto_login=true&joker_login=true&custom4=https%3A%2F%2Fauth.kukuruku.win%2Frealms%2Fpublic&"), "{url}");
    assert!(!url.contains('#'));
    let query = AutoLoginQuery::parse(&landing_query(&url)).unwrap();
    assert!(query.is_auto_login() && query.is_joker_login());
    assert_eq!(query.issuer(), issuer);
    assert_eq!(query.order_id().as_str(), ORDER);
    assert_eq!(query.user_uuid(), Some(USER));
    assert_eq!(query.sub_id(1), Some("s1"));
    assert_eq!(query.sub_id(2), None);
    assert_eq!(query.sub_id(3), Some("s3"));
    assert_eq!(query.aff_click_id(), Some("click-7"));
    assert_eq!(query.custom1(), Some("true"));
    assert_eq!(query.custom3(), Some("true"));
    assert_eq!(query.other()["lang"], "en");
    let params: Vec<(String, String)> = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert!(params.contains(&("custom2".into(), ORDER.into())));
    assert!(
        play_redirect_url(
            "javascript:alert(1)",
            issuer,
            ORDER,
            USER,
            &PlayTracking::default()
        )
        .is_err()
    );
}

#[tokio::test]
async fn play_logs_in_bound_to_the_order() {
    let idp = start_idp().await;
    let client = idp.confidential().build().unwrap();
    let url = play_redirect_url(
        "http://127.0.0.1:9/play",
        &format!("{}/", idp.issuer),
        ORDER,
        USER,
        &PlayTracking::default(),
    )
    .unwrap();
    let play = AutoLogin::from_query(&landing_query(&url), [client.issuer()]).unwrap();
    assert_eq!(play.order_id(), ORDER);
    let options = LoginOptions::new(["profile", "email"])
        .login_hint(ANN)
        .prompt("none");
    let attempt = client
        .start_auto_login(&play, options.clone())
        .await
        .unwrap();
    assert_eq!(attempt.order_id(), Some(ORDER));
    let back = authorize(&attempt).await;
    let session = client.finish_login(attempt, &back).await.unwrap();
    assert_eq!(session.order_id(), Some(ORDER));
    assert_eq!(session.claims().email.as_deref(), Some(ANN));
    // The one-call form does the same.
    let attempt = client
        .auto_login(&landing_query(&url), options)
        .await
        .unwrap();
    assert_eq!(attempt.order_id(), Some(ORDER));
}

#[tokio::test]
async fn a_foreign_issuer_is_refused_and_never_contacted() {
    let idp = start_idp().await;
    let foreign = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let foreign_issuer = format!("http://{}/realms/public", foreign.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while foreign.accept().await.is_ok() {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });

    let client = idp.confidential().build().unwrap();
    let url = play_redirect_url(
        "http://127.0.0.1:9/play",
        &foreign_issuer,
        ORDER,
        USER,
        &PlayTracking::default(),
    )
    .unwrap();
    let error = client
        .auto_login(&landing_query(&url), LoginOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::ForeignIssuer { issuer } if *issuer == foreign_issuer),
        "{error}"
    );
    assert!(error.to_string().contains("no request was made"));
    let error = AutoLogin::from_query(&landing_query(&url), [client.issuer()]).unwrap_err();
    assert!(matches!(error, Error::ForeignIssuer { .. }), "{error}");
    // An allow-list that lets it through still cannot make this client log in there.
    let play = AutoLogin::from_query(&landing_query(&url), [foreign_issuer.as_str()]).unwrap();
    let error = client
        .start_auto_login(&play, LoginOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::ForeignIssuer { .. }), "{error}");

    tokio::task::yield_now().await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "no request to the foreign issuer"
    );
    assert_eq!(
        idp.state.hits(IdpEndpoint::Discovery),
        0,
        "nor anywhere else"
    );
}

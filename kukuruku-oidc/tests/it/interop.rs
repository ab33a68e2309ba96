//! Interop with certified OpenID implementations we did not write, from npm (tests/interop):
//! our client against `oidc-provider`, and the sandbox provider against `openid-client`.
//!
//! Without node or the packages the tests print SKIP and pass, unless
//! `KUKURUKU_REQUIRE_INTEROP=1` (CI), where they fail.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use kukuruku_oidc::KukurukuId;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::support;

const REDIRECT: &str = "http://127.0.0.1:9/callback";

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

/// Whether node and `package` are here; SKIP (or fail under `KUKURUKU_REQUIRE_INTEROP=1`).
fn available(test: &str, package: &str) -> bool {
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    let installed = interop_dir()
        .join("node_modules")
        .join(package)
        .join("package.json")
        .exists();
    if node && installed {
        return true;
    }
    let why = if node {
        format!("{package} is not installed (npm ci in tests/interop)")
    } else {
        "node is not installed".into()
    };
    assert!(
        std::env::var("KUKURUKU_REQUIRE_INTEROP").as_deref() != Ok("1"),
        "{test}: {why}, and KUKURUKU_REQUIRE_INTEROP=1"
    );
    println!("SKIP {test}: {why}");
    false
}

/// Keeps `name=value` of every `Set-Cookie` (paths ignored: enough for one provider on loopback).
fn keep_cookies(response: &http::Response<bytes::Bytes>, jar: &mut BTreeMap<String, String>) {
    for header in response.headers().get_all(http::header::SET_COOKIE) {
        let text = header.to_str().unwrap();
        let pair = text.split_once(';').map_or(text, |(pair, _)| pair);
        if let Some((name, value)) = pair.split_once('=') {
            if value.is_empty() {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_owned(), value.to_owned());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_against_oidc_provider() {
    if !available("our_client_against_oidc_provider", "oidc-provider") {
        return;
    }
    let mut node = Command::new("node")
        .arg(interop_dir().join("oidc_provider.mjs"))
        .arg(REDIRECT)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("oidc-provider did not start in 20 s")
        .unwrap()
        .expect("oidc-provider exited");
    let ready: serde_json::Value = serde_json::from_str(&ready).unwrap();
    let issuer = ready["issuer"].as_str().unwrap();

    let client = KukurukuId::builder("rust", REDIRECT)
        .issuer(issuer)
        .client_secret(ready["client_secret"].as_str().unwrap())
        .build()
        .unwrap();
    let attempt = client.start_login(["email", "profile"]).await.unwrap();

    // Follow the provider's redirects (interaction, login, consent) back to our redirect URI.
    let mut jar = BTreeMap::new();
    let mut url = url::Url::parse(attempt.authorize_url()).unwrap();
    let mut hops = 0;
    let back = loop {
        hops += 1;
        assert!(hops <= 10, "too many redirects");
        let response = support::get(url.as_str(), &jar).await;
        keep_cookies(&response, &mut jar);
        let next = url.join(&support::location(&response)).unwrap();
        if next.as_str().starts_with(REDIRECT) {
            break next;
        }
        url = next;
    };
    assert_eq!(
        back.query_pairs()
            .find(|(name, _)| name == "iss")
            .map(|(_, value)| value.into_owned())
            .as_deref(),
        Some(issuer),
        "oidc-provider sends iss (RFC 9207)"
    );
    let session = client.finish_login(attempt, back.as_str()).await.unwrap();
    assert_eq!(session.claims().subject, "ann");
    assert_eq!(session.claims().email.as_deref(), Some("ann@example.com"));
    let info = client.userinfo(&session).await.unwrap();
    assert_eq!(info.email.as_deref(), Some("ann@example.com"));
    assert_eq!(info.name.as_deref(), Some("Ann Example"));
    let refreshed = client.refresh(&session).await.unwrap();
    assert_eq!(refreshed.claims().subject, "ann");
    assert!(
        client
            .logout_url(&refreshed, None)
            .await
            .unwrap()
            .starts_with(&format!("{issuer}/session/end?"))
    );
    node.kill().await.unwrap();
}

async fn run_openid_client(idp: &support::Idp, client_id: &str, secret: &str) -> serde_json::Value {
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        Command::new("node")
            .arg(interop_dir().join("openid_client_rp.mjs"))
            .args([
                idp.issuer.as_str(),
                client_id,
                secret,
                support::REDIRECT,
                support::ANN,
            ])
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("openid-client did not finish in 30 s")
    .unwrap();
    assert!(
        output.status.success(),
        "openid-client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_against_the_sandbox_provider() {
    if !available(
        "openid_client_against_the_sandbox_provider",
        "openid-client",
    ) {
        return;
    }
    let idp = support::start_idp().await;
    for (client_id, secret) in [(support::SHOP, support::SHOP_SECRET), (support::SPA, "-")] {
        let result = run_openid_client(&idp, client_id, secret).await;
        assert_eq!(result["email"], support::ANN, "{client_id}: {result}");
        assert_eq!(
            result["userinfo"]["email"],
            support::ANN,
            "{client_id}: {result}"
        );
        assert_eq!(
            result["userinfo"]["name"], "Ann Example",
            "{client_id}: {result}"
        );
        assert_eq!(
            result["userinfo"]["sub"], result["sub"],
            "{client_id}: {result}"
        );
        assert_eq!(
            result["refreshed_sub"], result["sub"],
            "{client_id}: {result}"
        );
        assert_eq!(
            result["iss_in_redirect"],
            idp.issuer.as_str(),
            "{client_id}: {result}"
        );
    }
    assert_eq!(idp.state.hits(support::idp::IdpEndpoint::Token), 4);
}

//! The OIDC gaps of issue 15, item 8: HS256 keyed with the provider's RSA public key (key
//! confusion), a provider without PKCE S256, a code verifier without a challenge, and a
//! post-logout redirect URI that is not registered.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use kukuruku_oidc::{Error, IdTokenError, KukurukuId, LoginOptions, TokenErrorCode};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::EncodePublicKey;
use sha2::Sha256;

use crate::support::idp::IdpEndpoint;
use crate::support::{
    self, BYE, REDIRECT, SHOP, SHOP_SECRET, as_ann, authorize, log_in, on_token_answer, rewriting,
    start_idp,
};

/// The ID token of a token answer, re-signed HS256 with `key` (its header's `kid` kept).
fn resign_hs256(json: &mut serde_json::Value, key: &[u8]) {
    let token = json["id_token"].as_str().unwrap().to_owned();
    let mut parts = token.split('.');
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    let payload = parts.next().unwrap();
    let header = serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": header["kid"]});
    let signing_input = format!(
        "{}.{payload}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    json["id_token"] = format!("{signing_input}.{signature}").into();
}

fn pem(label: &str, der: &[u8]) -> Vec<u8> {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
    .into_bytes()
}

/// Every form of the provider's RSA public key a confused verifier might use as an HMAC key,
/// and the client secret.
fn hmac_keys(jwks: &serde_json::Value) -> Vec<(&'static str, Vec<u8>)> {
    let jwk = &jwks["keys"][0];
    let number = |field: &str| {
        let bytes = URL_SAFE_NO_PAD
            .decode(jwk[field].as_str().unwrap())
            .unwrap();
        rsa::BigUint::from_bytes_be(&bytes)
    };
    // The provider's public key as it publishes it (the sandbox keeps its private key opaque).
    let public = rsa::RsaPublicKey::new(number("n"), number("e")).unwrap();
    let spki = public.to_public_key_der().unwrap().as_bytes().to_vec();
    let pkcs1 = public.to_pkcs1_der().unwrap().as_bytes().to_vec();
    vec![
        ("SPKI PEM", pem("PUBLIC KEY", &spki)),
        ("PKCS#1 PEM", pem("RSA PUBLIC KEY", &pkcs1)),
        ("SPKI DER", spki),
        ("PKCS#1 DER", pkcs1),
        ("JWK JSON", serde_json::to_vec(jwk).unwrap()),
        (
            "modulus",
            URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap(),
        ),
        ("client secret", SHOP_SECRET.as_bytes().to_vec()),
    ]
}

#[tokio::test]
async fn an_hs256_id_token_keyed_with_the_rsa_public_key_is_refused() {
    let idp = start_idp().await;
    let jwks = support::get(
        &format!("{}/protocol/openid-connect/certs", idp.issuer),
        &BTreeMap::new(),
    )
    .await;
    let jwks: serde_json::Value = serde_json::from_slice(jwks.body()).unwrap();
    for (name, key) in hmac_keys(&jwks) {
        let key: Arc<[u8]> = key.into();
        for confidential in [true, false] {
            let builder = if confidential {
                idp.confidential()
            } else {
                idp.public()
            };
            let forge = key.clone();
            let client = builder
                .transport(rewriting(on_token_answer(move |json| {
                    resign_hs256(json, &forge);
                })))
                .build()
                .unwrap();
            let error = log_in(&client).await.unwrap_err();
            assert!(
                matches!(&error, Error::IdToken(IdTokenError::Algorithm(_))),
                "{name}, confidential {confidential}: {error:?}"
            );
        }
    }
    // The same path without the forgery logs in: the refusal is the algorithm's.
    let honest = idp
        .confidential()
        .transport(rewriting(on_token_answer(|_| {})))
        .build()
        .unwrap();
    log_in(&honest).await.unwrap();
}

#[tokio::test]
async fn a_provider_without_pkce_s256_gets_no_login() {
    let idp = start_idp().await;
    let plain_only = |path: &str, json: &mut serde_json::Value| {
        if path.ends_with("/.well-known/openid-configuration") {
            json["code_challenge_methods_supported"] = serde_json::json!(["plain"]);
        }
    };
    let client = idp
        .confidential()
        .transport(rewriting(Arc::new(plain_only)))
        .build()
        .unwrap();
    let error = client.start_login_with(as_ann()).await.unwrap_err();
    match &error {
        Error::PkceUnsupported { methods } => assert_eq!(methods, &["\"plain\""]),
        other => panic!("expected PkceUnsupported, got {other:?}"),
    }
    assert!(error.to_string().contains("S256"), "{error}");
    assert_eq!(idp.state.hits(IdpEndpoint::Authorize), 0);
    // Only the login is refused: the client still reads the provider.
    client.discover().await.unwrap();

    // A document that does not list the methods at all is tried (the behaviour before).
    let unlisted = |path: &str, json: &mut serde_json::Value| {
        if path.ends_with("/.well-known/openid-configuration") {
            json.as_object_mut()
                .unwrap()
                .remove("code_challenge_methods_supported");
        }
    };
    let client = idp
        .confidential()
        .transport(rewriting(Arc::new(unlisted)))
        .build()
        .unwrap();
    log_in(&client).await.unwrap();
}

/// The authorize URL's parameters, each with every value it has.
fn params(url: &str) -> BTreeMap<String, Vec<String>> {
    let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in url::Url::parse(url).unwrap().query_pairs().into_owned() {
        params.entry(name).or_default().push(value);
    }
    params
}

#[tokio::test]
async fn every_authorize_url_carries_one_s256_challenge() {
    let idp = start_idp().await;
    let overriding = LoginOptions::new(["profile"])
        .param("code_challenge_method", "plain")
        .param("code_challenge", "chosen-by-the-caller");
    for client in [
        idp.confidential().build().unwrap(),
        idp.public().build().unwrap(),
    ] {
        for options in [LoginOptions::default(), as_ann(), overriding.clone()] {
            let attempt = client.start_login_with(options).await.unwrap();
            let params = params(attempt.authorize_url());
            assert_eq!(params["code_challenge_method"], ["S256"], "{params:?}");
            let challenge = &params["code_challenge"];
            assert_eq!(challenge.len(), 1, "{params:?}");
            assert_eq!(challenge[0].len(), 43, "a base64url SHA-256: {params:?}");
            assert_ne!(challenge[0], "chosen-by-the-caller");
        }
    }
}

/// An authorization code for the confidential client, asked for without any PKCE challenge.
async fn code_without_challenge(idp: &support::Idp) -> String {
    let auth = format!("{}/protocol/openid-connect/auth", idp.issuer);
    let mut url = url::Url::parse(&auth).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", SHOP)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid")
        .append_pair("state", "s")
        .append_pair("login_hint", support::ANN)
        .append_pair("prompt", "none");
    let back = support::location(&support::get(url.as_str(), &BTreeMap::new()).await);
    code_of(&back)
}

/// The sandbox's token endpoint with the confidential client's credentials.
async fn redeem(idp: &support::Idp, code: &str, verifier: Option<&str>) -> serde_json::Value {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", REDIRECT);
    if let Some(verifier) = verifier {
        form.append_pair("code_verifier", verifier);
    }
    let basic = STANDARD.encode(format!("{SHOP}:{SHOP_SECRET}"));
    let answer = support::send(
        http::Request::post(format!("{}/protocol/openid-connect/token", idp.issuer))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("authorization", format!("Basic {basic}")),
        form.finish().into(),
        &BTreeMap::new(),
    )
    .await;
    serde_json::from_slice(answer.body()).unwrap()
}

#[tokio::test]
async fn the_sandbox_refuses_a_verifier_for_a_code_issued_without_a_challenge() {
    let idp = start_idp().await;
    let code = code_without_challenge(&idp).await;
    let answer = redeem(&idp, &code, Some(&"v".repeat(64))).await;
    assert_eq!(answer["error"], "invalid_grant", "{answer}");
    assert!(
        answer["error_description"]
            .as_str()
            .unwrap()
            .contains("no code_challenge"),
        "{answer}"
    );
    // Our client never gets there: it sends a challenge with every authorization (see
    // `every_authorize_url_carries_one_s256_challenge`), and a verifier that does not match is
    // refused (`pkce_verifier_mismatch_is_refused_by_the_sandbox`).
    let client = idp.confidential().build().unwrap();
    let attempt = client.start_login_with(as_ann()).await.unwrap();
    let back = authorize(&attempt).await;
    let tampered = back.replace(
        &format!("code={}", code_of(&back)),
        &format!("code={}", code_without_challenge(&idp).await),
    );
    let error = client.finish_login(attempt, &tampered).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Token {
                error: TokenErrorCode::InvalidGrant,
                ..
            }
        ),
        "a challenge-less code injected into our callback is refused: {error}"
    );
}

fn code_of(back: &str) -> String {
    url::Url::parse(back)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, code)| code.into_owned())
        .unwrap()
}

#[tokio::test]
async fn an_unregistered_post_logout_redirect_is_refused_before_any_request() {
    let idp = start_idp().await;
    let client = idp.confidential().build().unwrap();
    let session = log_in(&client).await.unwrap();
    let discoveries = idp.state.hits(IdpEndpoint::Discovery);
    for evil in [
        "https://evil.example/",
        "http://127.0.0.1:9/bye/",
        "http://127.0.0.1:9/BYE",
    ] {
        let error = client.logout_url(&session, Some(evil)).await.unwrap_err();
        assert!(
            matches!(&error, Error::UnregisteredPostLogoutRedirect { uri } if uri.contains(evil)),
            "{evil}: {error}"
        );
    }
    let url = client.logout_url(&session, Some(BYE)).await.unwrap();
    assert!(url.contains("post_logout_redirect_uri="), "{url}");
    client.logout_url(&session, None).await.unwrap();

    // A client that registered none takes none.
    let bare = KukurukuId::builder(SHOP, REDIRECT)
        .issuer(&idp.issuer)
        .client_secret(SHOP_SECRET)
        .build()
        .unwrap();
    let error = bare.logout_url(&session, Some(BYE)).await.unwrap_err();
    assert!(
        matches!(error, Error::UnregisteredPostLogoutRedirect { .. }),
        "{error}"
    );
    assert_eq!(idp.state.hits(IdpEndpoint::Discovery), discoveries);
    // A registered URI must be a URL without a fragment.
    let error = idp
        .confidential()
        .post_logout_redirect_uri("https://shop.example/bye#top")
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error}");
}

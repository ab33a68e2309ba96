//! Steps 9–11: a KukurukuID login with `kukuruku-oidc`, through the login page; and the moves
//! of a login that the Play steps repeat.

use http::StatusCode;

use super::BUYER;
use super::format::redact;
use super::merchant::LoggedIn;
use super::setup::Demo;
use super::transcript::{Step, Transcript, step};
use crate::browser::{Browser, Page, login_choices, login_form};

/// Steps 9–11: a KukurukuID login with `kukuruku-oidc`, through the login page.
pub(super) async fn login(t: &mut Transcript, demo: &mut Demo) -> Result<(), ()> {
    let merchant_url = demo.merchant_url.clone();
    let page = step(t, "KukurukuID: open the login page", async {
        let url = format!("{merchant_url}/login");
        let mut lines = vec![format!(
            "→ GET {url} (the merchant: start_login, keeps state, PKCE verifier and nonce)"
        )];
        let page = to_login_page(&demo.browser, &url, &mut lines).await?;
        Ok((page, lines))
    })
    .await?;
    let location = step(
        t,
        "KukurukuID: choose the user",
        choose_user(&demo.browser, &page, BUYER, &merchant_url),
    )
    .await?;
    step(t, "KukurukuID: finish the login", async {
        let (_, lines) = finish_at_merchant(demo, &location).await?;
        Ok(((), lines))
    })
    .await
}

/// The login page the browser is on: choose `email`'s form, submit it, and return the redirect
/// back to the merchant (not followed yet).
pub(super) async fn choose_user(
    browser: &Browser,
    page: &Page,
    email: &str,
    merchant_url: &str,
) -> Step<String> {
    let (action, form) = login_form(&page.text(), email)
        .ok_or_else(|| format!("the login page offers no form for {email}"))?;
    let answer = browser.post_form(&action, &form).await?;
    let location = answer
        .location()
        .filter(|location| location.starts_with(&format!("{merchant_url}/auth/callback?")))
        .ok_or_else(|| {
            format!(
                "expected a redirect to the merchant's /auth/callback, got {} {}",
                answer.status,
                answer.text()
            )
        })?;
    let lines = vec![
        format!("→ POST {action} email={email} (the form of \"Log in as …\")"),
        format!(
            "← {} Location: {}",
            answer.status,
            redact(&location, &["code", "state", "session_state"])
        ),
    ];
    Ok((location, lines))
}

/// GETs the merchant's `/login` or Play landing and follows it to KukurukuID's login page.
pub(super) async fn to_login_page(
    browser: &Browser,
    url: &str,
    lines: &mut Vec<String>,
) -> Result<Page, String> {
    let first = browser.get(url).await?;
    if !first.status.is_redirection() {
        return Err(format!(
            "the merchant answered {} {}",
            first.status,
            first.text()
        ));
    }
    let page = browser
        .follow(first, |from, to| {
            lines.push(format!(
                "← {}, → GET {}",
                from.status,
                redact(to, &["state", "nonce", "code_challenge"])
            ));
        })
        .await?;
    let choices = login_choices(&page.text());
    if page.status != StatusCode::OK || choices.is_empty() {
        return Err(format!("expected the login page, got {}", page.status));
    }
    lines.push(format!(
        "← {} KukurukuID login page: {}",
        page.status,
        choices.join(", ")
    ));
    Ok(page)
}

/// GETs the redirect back at the merchant, which finishes the login; returns the login.
pub(super) async fn finish_at_merchant(demo: &mut Demo, location: &str) -> Step<LoggedIn> {
    let page = demo.browser.get(location).await?;
    if page.status != StatusCode::OK {
        return Err(format!(
            "the merchant answered {} {}",
            page.status,
            page.text()
        ));
    }
    let login = demo.next_login().await?;
    let expected_sub = demo.sandbox.user_id(BUYER).unwrap_or_default();
    if login.email != BUYER || login.subject != expected_sub || login.currency != "RUB" {
        return Err(format!(
            "logged in as {} ({}), expected {BUYER} ({expected_sub})",
            login.email, login.subject
        ));
    }
    let issuer = demo.sandbox.issuer();
    let lines = vec![
        format!(
            "→ GET {}",
            redact(location, &["code", "state", "session_state"])
        ),
        "  merchant: finish_login: state (constant time) and iss checked".to_owned(),
        format!(
            "  merchant: → POST {issuer}/protocol/openid-connect/token (code + PKCE verifier + client secret)"
        ),
        "  merchant: ID token verified: RS256 against the JWKS, iss, aud, exp, nonce".to_owned(),
        format!(
            "  merchant: → GET {}/api/v1/me (Bearer) ← name {:?}, email {}, currency {}, sub {}",
            demo.sandbox.api_url(),
            login.name,
            login.email,
            login.currency,
            login.subject
        ),
        format!("← {} \"{}\"", page.status, page.text()),
    ];
    Ok((login, lines))
}

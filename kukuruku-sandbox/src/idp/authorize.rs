//! The authorization endpoint: a login page listing the sandbox users, and auto-approval for
//! tests (`login_hint=<email>&prompt=none`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use url::Url;

use kukuruku_proto::unix_seconds;

use super::logins::RecentLogin;
use super::oauth::params;
use super::state::{CodeGrant, IdpEndpoint, IdpState, lock};
use super::users::IdpUser;
use crate::html_escape::html_escape;
use crate::random::random_token;
use crate::timestamp::rfc3339;

/// A checked authorization request.
struct AuthRequest {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    nonce: Option<String>,
    scope: String,
    code_challenge: Option<String>,
}

pub(super) async fn authorize_get(
    State(state): State<IdpState>,
    RawQuery(query): RawQuery,
) -> Response {
    state.hit(IdpEndpoint::Authorize);
    let params = match params(query.unwrap_or_default().as_bytes()) {
        Ok(params) => params,
        Err(reason) => return error_page(&reason),
    };
    let request = match check(&state, &params) {
        Ok(request) => request,
        Err(response) => return response,
    };
    let hinted = params
        .get("login_hint")
        .and_then(|email| state.user_by_email(email));
    if params.get("prompt").map(String::as_str) == Some("none") {
        return match hinted {
            Some(user) => approve(&state, &request, user),
            None => redirect_error(
                &state,
                &request,
                "login_required",
                "prompt=none needs a login_hint naming a sandbox user",
            ),
        };
    }
    login_page(&state, &params, hinted.as_ref())
}

pub(super) async fn authorize_post(State(state): State<IdpState>, body: Bytes) -> Response {
    state.hit(IdpEndpoint::Authorize);
    let params = match params(&body) {
        Ok(params) => params,
        Err(reason) => return error_page(&reason),
    };
    let request = match check(&state, &params) {
        Ok(request) => request,
        Err(response) => return response,
    };
    match params
        .get("email")
        .and_then(|email| state.user_by_email(email))
    {
        Some(user) => approve(&state, &request, user),
        None => error_page("choose one of the sandbox users"),
    }
}

/// Checks the request. A bad client or redirect URI is answered here (never redirected to);
/// other errors go back to the client's redirect URI.
fn check(state: &IdpState, params: &BTreeMap<String, String>) -> Result<AuthRequest, Response> {
    let get = |name: &str| params.get(name).filter(|value| !value.is_empty()).cloned();
    let client_id = get("client_id").ok_or_else(|| error_page("client_id is missing"))?;
    let client = state
        .client(&client_id)
        .ok_or_else(|| error_page("unknown client_id"))?;
    let redirect_uri = get("redirect_uri").ok_or_else(|| error_page("redirect_uri is missing"))?;
    if !client.accepts_redirect(&redirect_uri) {
        return Err(error_page("redirect_uri is not registered for this client"));
    }
    let public = client.client_secret.is_none();
    let request = AuthRequest {
        client_id,
        redirect_uri,
        state: get("state"),
        nonce: get("nonce"),
        scope: get("scope").unwrap_or_default(),
        code_challenge: get("code_challenge"),
    };
    if get("response_type").as_deref() != Some("code") {
        return Err(redirect_error(
            state,
            &request,
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    if !request.scope.split(' ').any(|scope| scope == "openid") {
        return Err(redirect_error(
            state,
            &request,
            "invalid_scope",
            "the openid scope is required",
        ));
    }
    match (
        &request.code_challenge,
        get("code_challenge_method").as_deref(),
    ) {
        (Some(_), Some("S256")) => {}
        (Some(_), _) => {
            return Err(redirect_error(
                state,
                &request,
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
        (None, _) if public => {
            return Err(redirect_error(
                state,
                &request,
                "invalid_request",
                "PKCE (S256) is required for public clients",
            ));
        }
        (None, _) => {}
    }
    Ok(request)
}

fn approve(state: &IdpState, request: &AuthRequest, user: IdpUser) -> Response {
    let (Some(code), Some(session_id)) = (random_token(), random_token()) else {
        return redirect_error(state, request, "server_error", "no randomness");
    };
    let now = state.now();
    lock(&state.inner.logins).push(RecentLogin {
        email: user.email.clone(),
        client_id: request.client_id.clone(),
        at: rfc3339(now),
    });
    lock(&state.inner.codes).insert(
        code.clone(),
        CodeGrant {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            user,
            nonce: request.nonce.clone(),
            scope: request.scope.clone(),
            code_challenge: request.code_challenge.clone(),
            session_id: session_id.clone(),
            auth_time: unix_seconds(now),
            expires_at: now + state.config().code_ttl,
        },
        now,
    );
    redirect(
        state,
        request,
        &[("code", &code), ("session_state", &session_id)],
    )
}

fn redirect_error(
    state: &IdpState,
    request: &AuthRequest,
    error: &str,
    description: &str,
) -> Response {
    redirect(
        state,
        request,
        &[("error", error), ("error_description", description)],
    )
}

/// 302 to the client's redirect URI with `pairs`, `state` and `iss` (RFC 9207).
fn redirect(state: &IdpState, request: &AuthRequest, pairs: &[(&str, &str)]) -> Response {
    let Ok(mut url) = Url::parse(&request.redirect_uri) else {
        return error_page("redirect_uri is not a URL");
    };
    let iss = if state.misbehave().wrong_iss_in_redirect {
        "https://mix-up.example/realms/public".to_owned()
    } else {
        state.issuer().to_owned()
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
        if let Some(client_state) = &request.state {
            query.append_pair("state", client_state);
        }
        query.append_pair("iss", &iss);
    }
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(location) = HeaderValue::from_str(url.as_str()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

fn login_page(
    state: &IdpState,
    params: &BTreeMap<String, String>,
    hinted: Option<&IdpUser>,
) -> Response {
    let action = format!("{}/protocol/openid-connect/auth", state.issuer());
    let mut hidden = String::new();
    for (name, value) in params.iter().filter(|(name, _)| name.as_str() != "email") {
        let _ = write!(
            hidden,
            r#"<input type="hidden" name="{}" value="{}">"#,
            html_escape(name),
            html_escape(value)
        );
    }
    let mut users = String::new();
    for user in &state.users().all() {
        let mark = if hinted == Some(user) {
            " autofocus"
        } else {
            ""
        };
        let _ = write!(
            users,
            r#"<li><form method="post" action="{action}">{hidden}<input type="hidden" name="email" value="{email}"><button type="submit"{mark}>Log in as {name} ({email_text})</button></form></li>"#,
            action = html_escape(&action),
            email = html_escape(&user.email),
            name = html_escape(&user.name),
            email_text = html_escape(&user.email),
        );
    }
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>KukurukuID sandbox</title></head>\
         <body><h1>KukurukuID sandbox</h1><p>Choose a sandbox user:</p><ul>{users}</ul></body></html>"
    ))
    .into_response()
}

fn error_page(reason: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>KukurukuID sandbox</title></head>\
             <body><h1>Invalid login request</h1><p>{}</p></body></html>",
            html_escape(reason)
        )),
    )
        .into_response()
}

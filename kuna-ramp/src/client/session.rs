//! Authentication on each call: the `api-key` header, or a bearer token from
//! `POST /v2/auth/login` (the assumed shape is on [`Login`]), cached, renewed shortly before it
//! expires, and renewed once when Kuna answers 401 to a call made with it.

use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::Full;
use kukuruku_proto::read_json;
use kukuruku_tower::BoxError;
use serde::Serialize;
use tokio::sync::Mutex;
use tower_service::Service;
use zeroize::Zeroizing;

use super::KunaClient;
use super::exchange::json_request;
use super::wipe::{take_secret_string, wipe, wipe_value};
use crate::auth::{ApiKey, Login};
use crate::error::Error;
use crate::token::jwt_expiry;

/// How a client authenticates, kept for its lifetime.
pub(super) enum Auth {
    /// Kept as the zeroizing [`ApiKey`]; each request gets a sensitive header copy.
    ApiKey(ApiKey),
    /// Logs in for a bearer token, cached here and shared by the client's clones.
    Login {
        login: Box<Login>,
        cache: Mutex<Option<Bearer>>,
        renew_before: Duration,
    },
}

impl Auth {
    pub(super) fn api_key(key: ApiKey) -> Self {
        Self::ApiKey(key)
    }

    pub(super) fn login(login: Login, renew_before: Duration) -> Self {
        Self::Login {
            login: Box::new(login),
            cache: Mutex::new(None),
            renew_before,
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApiKey(_) => f.write_str("ApiKey(***)"),
            Self::Login { login, .. } => f.debug_tuple("Login").field(login).finish(),
        }
    }
}

/// A cached login token.
pub(super) struct Bearer {
    token: Zeroizing<String>,
    /// Renew at or after this time; `None`: keep until a 401.
    renew_at: Option<SystemTime>,
}

impl Bearer {
    /// A token received at `now`, expiring at `expiry` when known: renewed `renew_before` ahead,
    /// or halfway through its lifetime when that is shorter.
    fn new(
        token: String,
        now: SystemTime,
        expiry: Option<SystemTime>,
        renew_before: Duration,
    ) -> Self {
        let renew_at = expiry.map(|expiry| {
            let lifetime = expiry.duration_since(now).unwrap_or(Duration::ZERO);
            expiry - renew_before.min(lifetime / 2)
        });
        Self {
            token: Zeroizing::new(token),
            renew_at,
        }
    }

    fn fresh(&self, now: SystemTime) -> bool {
        self.renew_at.is_none_or(|at| now < at)
    }
}

/// The `api-key` header, marked sensitive.
pub(super) fn api_key_header(key: &ApiKey) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(key.expose())
        .map_err(|_| Error::Config("the API key has characters not allowed in a header".into()))?;
    value.set_sensitive(true);
    Ok(value)
}

/// The `authorization: Bearer …` header, marked sensitive.
fn bearer_header(token: &str) -> Result<HeaderValue, Error> {
    let mut value =
        HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| Error::UnexpectedBody {
            status: StatusCode::OK,
            reason: "the login token has characters not allowed in a header".into(),
            body: Bytes::new(),
        })?;
    value.set_sensitive(true);
    Ok(value)
}

impl<S, B> KunaClient<S>
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    /// Sends an authenticated JSON POST; renews a login token once on 401. Returns the status
    /// and body of a 2xx answer.
    pub(super) async fn post_authenticated<T: Serialize>(
        &self,
        path: &str,
        body: &T,
    ) -> Result<(StatusCode, Bytes), Error> {
        let url = self.endpoint(path)?;
        let json = Bytes::from(
            serde_json::to_vec(body).map_err(|e| Error::Config(format!("cannot encode: {e}")))?,
        );
        // After a 401 to a login token: renew it once, then give up.
        let mut rejected: Option<Zeroizing<String>> = None;
        loop {
            let mut request = json_request(&url, json.clone())?;
            let mut used = None;
            match &self.inner.auth {
                Auth::ApiKey(key) => {
                    request
                        .headers_mut()
                        .insert("api-key", api_key_header(key)?);
                }
                Auth::Login { .. } => {
                    let token = self.bearer(rejected.as_deref().map(String::as_str)).await?;
                    request
                        .headers_mut()
                        .insert(AUTHORIZATION, bearer_header(&token)?);
                    used = Some(token);
                }
            }
            let (status, answer) = self.send(request).await?;
            if status.is_success() {
                return Ok((status, answer));
            }
            if status == StatusCode::UNAUTHORIZED
                && rejected.is_none()
                && let Some(token) = used
            {
                rejected = Some(token);
                continue;
            }
            return Err(Error::from_answer(status, answer));
        }
    }

    /// The cached login token, logging in when there is none, it is due for renewal, or it is
    /// `stale` (the token a 401 was answered to).
    async fn bearer(&self, stale: Option<&str>) -> Result<Zeroizing<String>, Error> {
        let Auth::Login {
            login,
            cache,
            renew_before,
        } = &self.inner.auth
        else {
            return Err(Error::Config("not using login credentials".into()));
        };
        let mut cached = cache.lock().await;
        let now = self.inner.time_source.now();
        if let Some(bearer) = cached.as_ref()
            && bearer.fresh(now)
            && stale != Some(bearer.token.as_str())
        {
            return Ok(bearer.token.clone());
        }
        *cached = None;
        let bearer = self.login(login, *renew_before).await?;
        let token = bearer.token.clone();
        *cached = Some(bearer);
        Ok(token)
    }

    /// `POST /v2/auth/login`: a new bearer token.
    async fn login(&self, login: &Login, renew_before: Duration) -> Result<Bearer, Error> {
        let url = self.endpoint("v2/auth/login")?;
        let mut request = json_request(&url, login_body(login)?)?;
        let merchant = HeaderValue::from_str(&login.merchant_id)
            .map_err(|_| Error::Config("the merchant id is not a valid header value".into()))?;
        request.headers_mut().insert("merchant_id", merchant);
        let (status, answer) = self.send(request).await?;
        if !status.is_success() {
            return Err(Error::from_answer(status, answer));
        }
        let now = self.inner.time_source.now();
        read_login_answer(login, status, answer, now, renew_before)
    }
}

/// The login request's JSON body, with the field names `login` asks for; the parsed copy of
/// the password is wiped.
fn login_body(login: &Login) -> Result<Bytes, Error> {
    let mut fields = serde_json::Map::new();
    fields.insert(
        login.user_field.clone(),
        serde_json::Value::String(login.user.as_str().to_owned()),
    );
    fields.insert(
        login.password_field.clone(),
        serde_json::Value::String(login.password.as_str().to_owned()),
    );
    let mut body = serde_json::Value::Object(fields);
    let json =
        serde_json::to_vec(&body).map_err(|e| Error::Config(format!("cannot encode: {e}")))?;
    wipe_value(&mut body);
    Ok(Bytes::from(json))
}

/// The token and its lifetime from a successful login answer (received at `now`), which is
/// then wiped: it carried the token.
fn read_login_answer(
    login: &Login,
    status: StatusCode,
    answer: Bytes,
    now: SystemTime,
    renew_before: Duration,
) -> Result<Bearer, Error> {
    let expires_in = read_json::<serde_json::Value>(&answer)
        .ok()
        .and_then(|v| {
            v.pointer(&login.expires_in_pointer)
                .and_then(serde_json::Value::as_f64)
        })
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e10);
    let token = take_secret_string(&answer, &login.token_pointer);
    wipe(answer);
    let token = token
        .map_err(|key| Error::DuplicateKey {
            status,
            key,
            body: Bytes::new(),
        })?
        .ok_or_else(|| Error::UnexpectedBody {
            status,
            reason: format!(
                "the login answer has no token at `{}`; set `Login::token_pointer`",
                login.token_pointer
            ),
            body: Bytes::new(),
        })?;
    let expiry = expires_in
        .map(|s| now + Duration::from_secs_f64(s))
        .or_else(|| jwt_expiry(&token));
    Ok(Bearer::new(token, now, expiry, renew_before))
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn a_token_is_renewed_ahead_of_expiry_or_halfway_when_short_lived() {
        let margin = Duration::from_secs(60);
        let long = Bearer::new("t".into(), at(1000), Some(at(1600)), margin);
        assert_eq!(long.renew_at, Some(at(1540)));
        assert!(long.fresh(at(1539)) && !long.fresh(at(1540)));
        let short = Bearer::new("t".into(), at(1000), Some(at(1040)), margin);
        assert_eq!(short.renew_at, Some(at(1020)));
        let unknown = Bearer::new("t".into(), at(1000), None, margin);
        assert!(unknown.fresh(at(u64::from(u32::MAX))));
    }

    #[test]
    fn the_login_answer_gives_the_token_and_its_lifetime() {
        let login = Login::new("m", "u", "p");
        let answer = Bytes::from_static(br#"{"data":{"token":"tok","expiresIn":600}}"#);
        let bearer = read_login_answer(
            &login,
            StatusCode::OK,
            answer,
            at(1000),
            Duration::from_secs(60),
        )
        .unwrap();
        assert_eq!(bearer.token.as_str(), "tok");
        assert_eq!(bearer.renew_at, Some(at(1540)));

        let answer = Bytes::from_static(br#"{"data":{"accessToken":"tok"}}"#);
        let Err(err) = read_login_answer(&login, StatusCode::OK, answer, at(0), Duration::ZERO)
        else {
            panic!("a token was read where there is none");
        };
        assert!(
            matches!(&err, Error::UnexpectedBody { body, .. } if body.is_empty()),
            "{err:?}"
        );
        assert!(err.to_string().contains("`/data/token`"), "{err}");
    }

    #[test]
    fn the_login_body_uses_the_configured_field_names() {
        let login = Login::new("m", "ops", "s3cret").login_field("login");
        let body: serde_json::Value = serde_json::from_slice(&login_body(&login).unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"login": "ops", "password": "s3cret"})
        );
    }
}

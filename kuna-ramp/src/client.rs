//! [`KunaClient`]: the institution API over any tower HTTP service.

use std::fmt;
use std::future::poll_fn;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use tower_service::Service;
use url::Url;
use zeroize::{Zeroize as _, Zeroizing};

use crate::auth::{ApiKey, Bearer, Credentials, Login};
use crate::customer::{Customer, CustomerPage, CustomerQuery, CustomerUpdate, NewCustomer};
use crate::error::{BoxError, Error, error_message};
use crate::token::{DEFAULT_WIDGET_URL, RampToken, WidgetUrl, jwt_expiry};
use crate::validate::{self, Problem};

/// The default timeout of one call: 30 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default: renew a login token 60 s before it expires.
pub const DEFAULT_RENEW_BEFORE: Duration = Duration::from_secs(60);
/// The default limit on an answer's size: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// A source of the current time (for tests: a clock you can move).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The Kuna institution API client, generic over a tower HTTP service `S` taking
/// `http::Request<Full<Bytes>>` (such as `kukuruku_tower::transport::HttpsTransport`, the default
/// with [`KunaClientBuilder::build`]). Cheap to clone: clones share the login token cache.
///
/// Every call validates its input first ([`Error::Invalid`], nothing sent), sends a JSON
/// `POST`, and unwraps the answer's `data`.
pub struct KunaClient<S> {
    inner: Arc<Inner>,
    service: S,
}

impl<S: Clone> Clone for KunaClient<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            service: self.service.clone(),
        }
    }
}

impl<S> fmt::Debug for KunaClient<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KunaClient")
            .field("base_url", &self.inner.base.as_str())
            .field("widget_url", &self.inner.widget.as_str())
            .field("institution_id", &self.inner.institution_id)
            .field("auth", &self.inner.auth)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

struct Inner {
    base: Url,
    widget: Url,
    institution_id: Option<String>,
    auth: Auth,
    timeout: Duration,
    body_limit: usize,
    clock: Clock,
}

enum Auth {
    /// Kept as the zeroizing [`ApiKey`]; each request gets a sensitive header copy.
    ApiKey(ApiKey),
    Login {
        login: Box<Login>,
        cache: Mutex<Option<Bearer>>,
        renew_before: Duration,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApiKey(_) => f.write_str("ApiKey(***)"),
            Self::Login { login, .. } => f.debug_tuple("Login").field(login).finish(),
        }
    }
}

/// Builds a [`KunaClient`]: `KunaClient::builder(base_url, credentials)`.
#[must_use]
pub struct KunaClientBuilder {
    base_url: String,
    credentials: Credentials,
    widget_url: String,
    institution_id: Option<String>,
    timeout: Duration,
    renew_before: Duration,
    body_limit: usize,
    clock: Clock,
}

impl fmt::Debug for KunaClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KunaClientBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("widget_url", &self.widget_url)
            .field("institution_id", &self.institution_id)
            .finish_non_exhaustive()
    }
}

impl KunaClient<()> {
    /// Starts a client for the institution API at `base_url` (required: Kuna gives it to each
    /// partner; `https://`, or `http://` on a loopback address for a local sandbox), with the
    /// `api-key` or login `credentials`.
    pub fn builder(
        base_url: impl Into<String>,
        credentials: impl Into<Credentials>,
    ) -> KunaClientBuilder {
        KunaClientBuilder {
            base_url: base_url.into(),
            credentials: credentials.into(),
            widget_url: DEFAULT_WIDGET_URL.into(),
            institution_id: None,
            timeout: DEFAULT_TIMEOUT,
            renew_before: DEFAULT_RENEW_BEFORE,
            body_limit: DEFAULT_BODY_LIMIT,
            clock: Arc::new(SystemTime::now),
        }
    }
}

impl KunaClientBuilder {
    /// The widget host (default [`DEFAULT_WIDGET_URL`]); `institutionId` and `refreshToken` are
    /// appended to its query.
    pub fn widget_url(mut self, url: impl Into<String>) -> Self {
        self.widget_url = url.into();
        self
    }

    /// Your institution id, as Kuna gave it: needed for widget URLs.
    pub fn institution_id(mut self, id: impl Into<String>) -> Self {
        self.institution_id = Some(id.into());
        self
    }

    /// The timeout of one HTTP exchange (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Renew a login token this long before it expires (default 60 s; at most half its
    /// lifetime is used for short-lived tokens).
    pub fn renew_before(mut self, margin: Duration) -> Self {
        self.renew_before = margin;
        self
    }

    /// The largest answer accepted, in bytes (default 1 MiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The clock used to decide when a login token is due for renewal (default: the system
    /// clock). For tests.
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Builds the client over your own tower HTTP service.
    pub fn build_with<S>(self, service: S) -> Result<KunaClient<S>, Error> {
        let base = parse_base(&self.base_url)?;
        let widget = Url::parse(&self.widget_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .ok_or_else(|| Error::Config("the widget URL is not an http(s) URL".into()))?;
        if let Some(id) = &self.institution_id {
            validate::not_blank("institutionId", id)?;
        }
        let auth = match self.credentials {
            Credentials::ApiKey(key) => {
                validate::not_blank("api-key", key.expose())?;
                api_key_header(&key)?;
                Auth::ApiKey(key)
            }
            Credentials::Login(login) => {
                validate::not_blank("merchant_id", &login.merchant_id)?;
                validate::not_blank("login", &login.user)?;
                validate::not_blank("password", &login.password)?;
                if HeaderValue::from_str(&login.merchant_id).is_err() {
                    return Err(Error::Config(
                        "the merchant id has characters not allowed in a header".into(),
                    ));
                }
                Auth::Login {
                    login: Box::new(login),
                    cache: Mutex::new(None),
                    renew_before: self.renew_before,
                }
            }
        };
        Ok(KunaClient {
            inner: Arc::new(Inner {
                base,
                widget,
                institution_id: self.institution_id,
                auth,
                timeout: self.timeout,
                body_limit: self.body_limit,
                clock: self.clock,
            }),
            service,
        })
    }

    /// Builds the client over `kukuruku-tower`'s HTTPS transport (hyper + rustls).
    #[cfg(feature = "transport")]
    pub fn build(self) -> Result<KunaClient<kukuruku_tower::transport::HttpsTransport>, Error> {
        let transport = kukuruku_tower::transport::HttpsTransport::new()
            .map_err(|e| Error::Config(e.to_string()))?;
        self.build_with(transport)
    }
}

fn parse_base(text: &str) -> Result<Url, Error> {
    let bad = |why: &str| Error::Config(format!("the base URL {why}"));
    if text.trim().is_empty() {
        return Err(bad(
            "is required: Kuna publishes none; use the one Kuna gave you",
        ));
    }
    let mut url = Url::parse(text).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(bad(
                "must use https:// (plain http is allowed on loopback only)",
            ));
        }
        _ => return Err(bad("must be an https:// URL")),
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad("must not carry a query, a fragment or user info"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// What [`KunaClient::open_widget`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WidgetSession {
    /// The customer, found by `externalId` or created.
    pub customer: Customer,
    /// Whether the customer was created by this call.
    pub created: bool,
    /// The widget token (redacted in `Debug`).
    pub token: RampToken,
    /// The URL to send the customer to (redacted in `Debug`).
    pub url: WidgetUrl,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ById<'a> {
    id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomerRef<'a> {
    customer_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenRequest<'a> {
    customer_id: &'a str,
    user_agent: &'a str,
}

#[derive(serde::Deserialize)]
struct Envelope<T> {
    data: T,
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
    /// `POST /v2/customer/create`: registers a customer with your KYC data.
    ///
    /// Kuna refuses an e-mail address it already has ([`Error::Api`], with Kuna's message).
    pub async fn create_customer(&self, customer: &NewCustomer) -> Result<Customer, Error> {
        customer.validate()?;
        self.call("v2/customer/create", customer).await
    }

    /// `POST /v2/customer/update`: changes the fields set in `update`.
    pub async fn update_customer(&self, update: &CustomerUpdate) -> Result<Customer, Error> {
        update.validate()?;
        self.call("v2/customer/update", update).await
    }

    /// `POST /v2/customer/details`: the customer `id`.
    pub async fn customer(&self, id: &str) -> Result<Customer, Error> {
        validate::not_blank("id", id)?;
        self.call("v2/customer/details", &ById { id }).await
    }

    /// `POST /v2/customer/find`: customers matching `query`, one page (`take`/`skip`).
    pub async fn find_customers(&self, query: &CustomerQuery) -> Result<CustomerPage, Error> {
        query.validate()?;
        self.call("v2/customer/find", query).await
    }

    /// `POST /v2/ramp/token`: a widget token for the customer. `user_agent` is the
    /// **customer's** browser `User-Agent` (from their request to you), not your server's.
    pub async fn ramp_token(
        &self,
        customer_id: &str,
        user_agent: &str,
    ) -> Result<RampToken, Error> {
        validate::not_blank("customerId", customer_id)?;
        validate::not_blank("userAgent", user_agent)?;
        let body = TokenRequest {
            customer_id,
            user_agent,
        };
        let (status, mut answer) = self.post_authenticated("v2/ramp/token", &body).await?;
        let token = take_secret_string(&mut answer, "/data/token");
        wipe(answer);
        token
            .map(RampToken::new)
            .ok_or_else(|| Error::UnexpectedBody {
                status,
                reason: "no string at `data.token`".into(),
                body: Bytes::new(),
            })
    }

    /// `POST /v2/ramp/invalidate`: ends the customer's widget session; the widget URLs issued so
    /// far stop working. Call it when the customer logs out of your site.
    pub async fn invalidate(&self, customer_id: &str) -> Result<(), Error> {
        validate::not_blank("customerId", customer_id)?;
        self.post_authenticated("v2/ramp/invalidate", &CustomerRef { customer_id })
            .await
            .map(|_| ())
    }

    /// The widget URL for `token` on the configured widget host and institution id.
    pub fn widget_url(&self, token: &RampToken) -> Result<WidgetUrl, Error> {
        let institution = self.institution_id()?;
        Ok(token.widget_url_on(&self.inner.widget, institution)?)
    }

    /// The whole partner flow in one call: find the customer by `externalId` (which
    /// `customer` must have), create it if Kuna has none, issue a widget token for the
    /// customer's browser `user_agent`, and build the widget URL. Call
    /// [`invalidate`](Self::invalidate) with `session.customer.id` on logout.
    pub async fn open_widget(
        &self,
        customer: &NewCustomer,
        user_agent: &str,
    ) -> Result<WidgetSession, Error> {
        customer.validate()?;
        self.institution_id()?;
        validate::not_blank("userAgent", user_agent)?;
        let external_id = customer
            .external_id()
            .ok_or(validate::err("externalId", Problem::Missing))?;
        let page = self
            .find_customers(&CustomerQuery::new().external_id(external_id).take(10))
            .await?;
        // Kuna's search may match loosely: keep the exact match only.
        let found = page
            .customers
            .into_iter()
            .find(|c| c.external_id.as_deref() == Some(external_id));
        let (customer, created) = match found {
            Some(c) => (c, false),
            None => (self.create_customer(customer).await?, true),
        };
        let token = self.ramp_token(&customer.id, user_agent).await?;
        let url = self.widget_url(&token)?;
        Ok(WidgetSession {
            customer,
            created,
            token,
            url,
        })
    }

    fn institution_id(&self) -> Result<&str, Error> {
        self.inner.institution_id.as_deref().ok_or_else(|| {
            Error::Config(
                "no institution id: set it with `KunaClientBuilder::institution_id`".into(),
            )
        })
    }

    async fn call<T: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &T,
    ) -> Result<R, Error> {
        let (status, answer) = self.post_authenticated(path, body).await?;
        serde_json::from_slice::<Envelope<R>>(&answer)
            .map(|e| e.data)
            .map_err(|e| Error::UnexpectedBody {
                status,
                reason: format!("not the expected `data`: {e}"),
                body: answer,
            })
    }

    /// Sends an authenticated JSON POST; renews a login token once on 401. Returns the status
    /// and body of a 2xx answer.
    async fn post_authenticated<T: Serialize>(
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
                    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.as_str()))
                        .map_err(|_| Error::UnexpectedBody {
                            status: StatusCode::OK,
                            reason: "the login token has characters not allowed in a header".into(),
                            body: Bytes::new(),
                        })?;
                    value.set_sensitive(true);
                    request.headers_mut().insert(AUTHORIZATION, value);
                    used = Some(token);
                }
            }
            let (status, answer) = self.send(request).await?;
            if status.is_success() {
                return Ok((status, answer));
            }
            if status == StatusCode::UNAUTHORIZED && rejected.is_none() {
                if let Some(token) = used {
                    rejected = Some(token);
                    continue;
                }
            }
            return Err(answer_error(status, answer));
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
        let now = (self.inner.clock)();
        if let Some(bearer) = cached.as_ref() {
            if bearer.fresh(now) && stale != Some(bearer.token.as_str()) {
                return Ok(bearer.token.clone());
            }
        }
        *cached = None;
        let bearer = self.login(login, *renew_before).await?;
        let token = bearer.token.clone();
        *cached = Some(bearer);
        Ok(token)
    }

    async fn login(&self, login: &Login, renew_before: Duration) -> Result<Bearer, Error> {
        let url = self.endpoint("v2/auth/login")?;
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
        let mut request = json_request(&url, Bytes::from(json))?;
        let merchant = HeaderValue::from_str(&login.merchant_id)
            .map_err(|_| Error::Config("the merchant id is not a valid header value".into()))?;
        request.headers_mut().insert("merchant_id", merchant);
        let (status, answer) = self.send(request).await?;
        if !status.is_success() {
            return Err(answer_error(status, answer));
        }
        let now = (self.inner.clock)();
        let mut answer = answer;
        let expires_in = serde_json::from_slice::<serde_json::Value>(&answer)
            .ok()
            .and_then(|v| {
                v.pointer(&login.expires_in_pointer)
                    .and_then(serde_json::Value::as_f64)
            })
            .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e10);
        let token = take_secret_string(&mut answer, &login.token_pointer);
        wipe(answer);
        let token = token.ok_or_else(|| Error::UnexpectedBody {
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
        let renew_at = expiry.map(|expiry| {
            let lifetime = expiry.duration_since(now).unwrap_or(Duration::ZERO);
            expiry - renew_before.min(lifetime / 2)
        });
        Ok(Bearer {
            token: Zeroizing::new(token),
            renew_at,
        })
    }

    fn endpoint(&self, path: &str) -> Result<Url, Error> {
        self.inner
            .base
            .join(path)
            .map_err(|e| Error::Config(format!("cannot build the URL of {path}: {e}")))
    }

    async fn send(&self, request: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes), Error> {
        let mut service = self.service.clone();
        let limit = self.inner.body_limit;
        let exchange = async move {
            poll_fn(|cx| service.poll_ready(cx))
                .await
                .map_err(|e| Error::Transport(e.into()))?;
            let response = service
                .call(request)
                .await
                .map_err(|e| Error::Transport(e.into()))?;
            let (parts, body) = response.into_parts();
            let collected = Limited::new(body, limit).collect().await.map_err(|e| {
                if e.downcast_ref::<LengthLimitError>().is_some() {
                    Error::BodyTooLarge { limit }
                } else {
                    Error::Transport(e)
                }
            })?;
            Ok((parts.status, collected.to_bytes()))
        };
        tokio::time::timeout(self.inner.timeout, exchange)
            .await
            .map_err(|_| Error::Timeout(self.inner.timeout))?
    }
}

fn json_request(url: &Url, body: Bytes) -> Result<Request<Full<Bytes>>, Error> {
    Request::builder()
        .method(Method::POST)
        .uri(url.as_str())
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/json")
        .header(USER_AGENT, concat!("kuna-ramp/", env!("CARGO_PKG_VERSION")))
        .body(Full::new(body))
        .map_err(|e| Error::Config(format!("cannot build the request: {e}")))
}

fn api_key_header(key: &ApiKey) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(key.expose())
        .map_err(|_| Error::Config("the API key has characters not allowed in a header".into()))?;
    value.set_sensitive(true);
    Ok(value)
}

fn answer_error(status: StatusCode, body: Bytes) -> Error {
    let message = error_message(&body);
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        Error::Unauthorized {
            status,
            message,
            body,
        }
    } else {
        Error::Api {
            status,
            message,
            body,
        }
    }
}

/// Takes the string at `pointer` out of a JSON answer that carries a secret, leaving no copy in
/// the parsed value.
fn take_secret_string(answer: &mut Bytes, pointer: &str) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_slice(answer).ok()?;
    let taken = value.pointer_mut(pointer).map(serde_json::Value::take);
    wipe_value(&mut value);
    match taken {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(s),
        Some(mut other) => {
            wipe_value(&mut other);
            None
        }
        None => None,
    }
}

/// Zeroizes the strings of a JSON value (best effort: the parser's own buffers are not ours).
fn wipe_value(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => s.zeroize(),
        serde_json::Value::Array(items) => items.iter_mut().for_each(wipe_value),
        serde_json::Value::Object(map) => map.values_mut().for_each(wipe_value),
        _ => {}
    }
}

/// Zeroizes an answer body that carried a secret, when this is its only owner.
fn wipe(body: Bytes) {
    if let Ok(mut owned) = body.try_into_mut() {
        owned.as_mut().zeroize();
    }
}

//! How the client authenticates: an API key, or a login that yields a bearer token.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// An institution API key, sent as the `api-key` header. `Debug` prints `ApiKey(***)`; zeroized
/// on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps the key Kuna gave you.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        Self::new(key)
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        Self::new(key)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// Login credentials for `POST /v2/auth/login`. The login and password are zeroized on drop;
/// `Debug` shows neither.
///
/// # The login call (an assumption)
///
/// Kuna documents `POST /v2/auth/login` with a `merchant_id` header but not its body nor its
/// answer. By default this client sends
///
/// ```text
/// POST {base}/v2/auth/login
/// merchant_id: <merchant id>
/// content-type: application/json
///
/// {"email": "<login>", "password": "<password>"}
/// ```
///
/// and reads the token at `data.token` and its lifetime in seconds at `data.expiresIn`; without
/// `expiresIn` it reads the JWT's `exp` claim (unverified), and without either it keeps the token
/// until Kuna answers 401. Each part can be changed when Kuna tells you otherwise:
/// [`login_field`](Login::login_field), [`password_field`](Login::password_field),
/// [`token_pointer`](Login::token_pointer), [`expires_in_pointer`](Login::expires_in_pointer).
///
/// The token is cached, renewed shortly before it expires
/// ([`renew_before`](crate::KunaClientBuilder::renew_before)), and renewed once when Kuna answers
/// 401 to a call made with it.
#[derive(Clone)]
pub struct Login {
    pub(crate) merchant_id: String,
    pub(crate) user: Zeroizing<String>,
    pub(crate) password: Zeroizing<String>,
    pub(crate) user_field: String,
    pub(crate) password_field: String,
    pub(crate) token_pointer: String,
    pub(crate) expires_in_pointer: String,
}

impl Login {
    /// Credentials for the merchant `merchant_id` (sent as the `merchant_id` header).
    pub fn new(
        merchant_id: impl Into<String>,
        login: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            merchant_id: merchant_id.into(),
            user: Zeroizing::new(login.into()),
            password: Zeroizing::new(password.into()),
            user_field: "email".into(),
            password_field: "password".into(),
            token_pointer: "/data/token".into(),
            expires_in_pointer: "/data/expiresIn".into(),
        }
    }

    /// The JSON field that carries the login (default `email`; e.g. `login`, `username`).
    #[must_use]
    pub fn login_field(mut self, name: impl Into<String>) -> Self {
        self.user_field = name.into();
        self
    }

    /// The JSON field that carries the password (default `password`).
    #[must_use]
    pub fn password_field(mut self, name: impl Into<String>) -> Self {
        self.password_field = name.into();
        self
    }

    /// Where the token is in the answer, as a JSON pointer (default `/data/token`; e.g.
    /// `/data/accessToken`).
    #[must_use]
    pub fn token_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.token_pointer = pointer.into();
        self
    }

    /// Where the token's lifetime in seconds is in the answer, as a JSON pointer (default
    /// `/data/expiresIn`). When absent the JWT's `exp` is used.
    #[must_use]
    pub fn expires_in_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.expires_in_pointer = pointer.into();
        self
    }

    /// The merchant id.
    pub fn merchant_id(&self) -> &str {
        &self.merchant_id
    }
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("merchant_id", &self.merchant_id)
            .field("login", &"***")
            .field("password", &"***")
            .field("login_field", &self.user_field)
            .field("token_pointer", &self.token_pointer)
            .finish_non_exhaustive()
    }
}

/// How the client authenticates.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// The `api-key` header on every call.
    ApiKey(ApiKey),
    /// A bearer token from `POST /v2/auth/login`, cached and renewed.
    Login(Login),
}

impl Credentials {
    /// Authenticate with an API key.
    pub fn api_key(key: impl Into<String>) -> Self {
        Self::ApiKey(ApiKey::new(key))
    }

    /// Authenticate by logging in.
    pub fn login(login: Login) -> Self {
        Self::Login(login)
    }
}

impl From<ApiKey> for Credentials {
    fn from(key: ApiKey) -> Self {
        Self::ApiKey(key)
    }
}

impl From<Login> for Credentials {
    fn from(login: Login) -> Self {
        Self::Login(login)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_credentials() {
        let key = Credentials::api_key("sk_live_123456");
        let login = Credentials::login(Login::new("m-1", "ops@partner.example", "hunter2"));
        let shown = format!("{key:?} {login:?} {:#?}", ApiKey::from("sk_live_123456"));
        for secret in ["sk_live_123456", "hunter2", "ops@partner.example"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(
            shown.contains("ApiKey(***)") && shown.contains("m-1"),
            "{shown}"
        );
    }
}

//! [`KukurukuId::refresh`]: new tokens for a session, its new ID token checked like at login.

use openidconnect::{RefreshToken, TokenResponse};

use crate::client::KukurukuId;
use crate::error::{Error, IdTokenError};
use crate::id_token::NonceRule;
use crate::session::Session;
use crate::token::token_error;

impl KukurukuId {
    /// Uses the session's refresh token for new tokens. A new ID token, if sent, is verified
    /// like at login (its nonce absent or the original one) and must name the same user.
    pub async fn refresh(&self, session: &Session) -> Result<Session, Error> {
        let refresh_token = session
            .refresh_token
            .as_ref()
            .ok_or(Error::NoRefreshToken)?;
        let provider = self.provider().await?;
        let client = self.oidc_client(&provider)?;
        let refresh_token = RefreshToken::new(refresh_token.expose().to_owned());
        let response = client
            .exchange_refresh_token(&refresh_token)
            .request_async(&self.inner.transport)
            .await
            .map_err(|error| token_error(error, &provider.token_endpoint))?;
        let claims = match response.id_token() {
            Some(id_token) => {
                let claims = self
                    .verify_id_token(
                        provider,
                        id_token,
                        NonceRule::AbsentOr(session.claims.nonce.as_deref()),
                    )
                    .await?;
                if claims.subject != session.claims.subject {
                    return Err(IdTokenError::Subject.into());
                }
                claims
            }
            None => session.claims.clone(),
        };
        Session::from_token_response(
            &response,
            claims,
            Some(session),
            session.order_id.clone(),
            self.inner.time_source.now(),
        )
    }
}

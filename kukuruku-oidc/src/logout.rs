//! [`KukurukuId::logout_url`]: RP-initiated logout at the provider.

use crate::client::KukurukuId;
use crate::error::Error;
use crate::session::Session;

impl KukurukuId {
    /// Where to send the user to log out of KukurukuID (RP-initiated logout): the provider's
    /// `end_session_endpoint` with `id_token_hint`, `client_id`, and `post_logout_redirect_uri`
    /// when given (it must be registered). Forget your session as well.
    pub async fn logout_url(
        &self,
        session: &Session,
        post_logout_redirect_uri: Option<&str>,
    ) -> Result<String, Error> {
        let provider = self.provider().await?;
        let mut url = provider
            .end_session_endpoint
            .clone()
            .ok_or(Error::NoEndpoint("end_session"))?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(id_token) = session.id_token() {
                query.append_pair("id_token_hint", id_token);
            }
            query.append_pair("client_id", &self.inner.client_id);
            if let Some(redirect) = post_logout_redirect_uri {
                query.append_pair("post_logout_redirect_uri", redirect);
            }
        }
        Ok(url.into())
    }
}

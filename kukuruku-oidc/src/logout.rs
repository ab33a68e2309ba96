//! [`KukurukuId::logout_url`]: RP-initiated logout at the provider.

use kukuruku_proto::Excerpt;

use crate::client::KukurukuId;
use crate::error::Error;
use crate::session::Session;

impl KukurukuId {
    /// Where to send the user to log out of KukurukuID (RP-initiated logout): the provider's
    /// `end_session_endpoint` with `id_token_hint`, `client_id`, and `post_logout_redirect_uri`
    /// when given. Forget your session as well.
    ///
    /// A `post_logout_redirect_uri` must be one of those registered on the builder with
    /// [`KukurukuIdBuilder::post_logout_redirect_uri`](crate::KukurukuIdBuilder::post_logout_redirect_uri)
    /// (exactly, as KukurukuID compares them), else
    /// [`Error::UnregisteredPostLogoutRedirect`] and no request is made: the client refuses a
    /// URI the provider would refuse anyway, and one that came from untrusted input (an open
    /// redirect), before it reaches a user's browser.
    pub async fn logout_url(
        &self,
        session: &Session,
        post_logout_redirect_uri: Option<&str>,
    ) -> Result<String, Error> {
        if let Some(uri) = post_logout_redirect_uri
            && !self
                .inner
                .post_logout_redirect_uris
                .iter()
                .any(|known| known == uri)
        {
            return Err(Error::UnregisteredPostLogoutRedirect {
                uri: format!("{:?}", Excerpt(uri)),
            });
        }
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

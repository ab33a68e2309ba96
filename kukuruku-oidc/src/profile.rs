//! [`KukurukuId::profile`]: the user's Kukuruku profile, `GET /api/v1/me` (PROTOCOL D5).

use http_body_util::Full;
use kukuruku_proto::{Endpoint, Profile, ProfileRequest, RequestError};

use crate::client::KukurukuId;
use crate::error::Error;
use crate::session::Session;

impl KukurukuId {
    /// The user's Kukuruku profile: `GET {api_base_url}/api/v1/me` with the session's access
    /// token (PROTOCOL D5: every field optional, unknown fields kept).
    pub async fn profile(&self, session: &Session) -> Result<Profile, Error> {
        let url = self.inner.api.url("/api/v1/me", None);
        let malformed = |error: RequestError| Error::Malformed {
            url: url.clone(),
            reason: error.to_string(),
        };
        let call = ProfileRequest::new(session.access_token()).map_err(malformed)?;
        let request = call.to_request(&self.inner.api).map_err(malformed)?;
        let response = self.inner.transport.send(request.map(Full::new)).await?;
        call.parse_response(&self.inner.api, response)
            .map_err(Error::Profile)
    }
}

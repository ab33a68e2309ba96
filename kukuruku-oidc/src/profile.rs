//! [`KukurukuId::profile`]: the user's Kukuruku profile, `GET /api/v1/me` (PROTOCOL D5).

use http_body_util::Full;
use kukuruku_proto::{Endpoint, Profile, ProfileRequest};

use crate::client::KukurukuId;
use crate::error::Error;
use crate::session::Session;

impl KukurukuId {
    /// The user's Kukuruku profile: `GET {api_base_url}/api/v1/me` with the session's access
    /// token (PROTOCOL D5: every field optional, unknown fields kept).
    pub async fn profile(&self, session: &Session) -> Result<Profile, Error> {
        let url = self.inner.api.url("/api/v1/me", None);
        let request = ProfileRequest::new(session.access_token())
            .and_then(|call| call.to_request(&self.inner.api))
            .map_err(|error| Error::Malformed {
                url: url.clone(),
                reason: error.to_string(),
            })?;
        let response = self.inner.transport.send(request.map(Full::new)).await?;
        ProfileRequest::parse_response(response).map_err(Error::Profile)
    }
}

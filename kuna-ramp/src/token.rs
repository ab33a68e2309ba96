//! The customer's widget token and the widget URL that carries it. Both are credentials: their
//! `Debug` never shows the token, there is no `Display`, and they are zeroized on drop.

use std::fmt;
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kukuruku_proto::{from_unix_seconds, read_json};
use url::Url;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::validate::{self, ValidationError};

/// Kuna's widget host, used unless the client is given another.
pub const DEFAULT_WIDGET_URL: &str = "https://core-onramp-widget.anuk.tech/";

/// A customer's widget token (`POST /v2/ramp/token` → `data.token`): an opaque bearer secret
/// that logs the customer into the widget until it expires or is invalidated.
///
/// `Debug` prints `RampToken(***)`; the text is zeroized on drop. Use
/// [`widget_url`](Self::widget_url) to send the customer to the widget.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct RampToken(String);

impl RampToken {
    /// Wraps a token received from Kuna (or stored by you).
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself. Keep it out of logs.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// When the token expires, read from the JWT's `exp` claim **without verifying** the
    /// signature: information only (e.g. to show "valid until"). `None` when the token is not a
    /// JWT or has no numeric `exp`.
    pub fn expires_at(&self) -> Option<SystemTime> {
        jwt_expiry(&self.0)
    }

    /// The widget URL on Kuna's host ([`DEFAULT_WIDGET_URL`]):
    /// `https://core-onramp-widget.anuk.tech/?institutionId=<id>&refreshToken=<token>`.
    pub fn widget_url(&self, institution_id: &str) -> Result<WidgetUrl, ValidationError> {
        // A constant, parsed by a unit test: not input-dependent.
        #[allow(clippy::expect_used)]
        let host = Url::parse(DEFAULT_WIDGET_URL).expect("the default widget URL is valid");
        self.widget_url_on(&host, institution_id)
    }

    /// The widget URL on another host (a sandbox, a staging widget): `institutionId` and
    /// `refreshToken` are appended to `host`'s query, form-encoded.
    pub fn widget_url_on(
        &self,
        host: &Url,
        institution_id: &str,
    ) -> Result<WidgetUrl, ValidationError> {
        validate::not_blank("institutionId", institution_id)?;
        let mut url = host.clone();
        url.query_pairs_mut()
            .append_pair("institutionId", institution_id)
            .append_pair("refreshToken", &self.0);
        Ok(WidgetUrl(url.into()))
    }
}

impl fmt::Debug for RampToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RampToken(***)")
    }
}

/// The widget launch URL, with the customer's token in its query: a credential. Redirect the
/// customer's browser to [`expose_secret`](Self::expose_secret) (or embed it in an iframe); never
/// log it. `Debug` replaces the token by `***`; the text is zeroized on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct WidgetUrl(String);

impl WidgetUrl {
    /// The URL to send the customer to. Keep it out of logs.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WidgetUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ok(url) = Url::parse(&self.0) else {
            return f.write_str("WidgetUrl(***)");
        };
        let mut shown = url.clone();
        shown.set_query(None);
        {
            let mut pairs = shown.query_pairs_mut();
            for (name, value) in url.query_pairs() {
                if name == "refreshToken" {
                    pairs.append_pair(&name, "***");
                } else {
                    pairs.append_pair(&name, &value);
                }
            }
        }
        write!(
            f,
            "WidgetUrl({})",
            shown.as_str().replace("%2A%2A%2A", "***")
        )
    }
}

/// The `exp` claim of a JWT, unverified.
pub(crate) fn jwt_expiry(token: &str) -> Option<SystemTime> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let mut bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let exp = read_json::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|claims| claims.get("exp").and_then(serde_json::Value::as_f64));
    bytes.zeroize();
    let exp = exp?;
    if !exp.is_finite() || !(0.0..=1e12).contains(&exp) {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    from_unix_seconds(exp as u64)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    /// The seed's example token (its header is deliberately garbled; its payload is readable).
    const SEED: &str = "eyJkbLciOiJIUzI1NiIsInR7cCI6IjpXVCJ9.eyJpZCI6IjA3MDY5YzYyLTMwYjQtNDk0OC05NTJmLTc0MTQ3YjRmNDY4NiIsImZpbmdlcnByaW50IjoiN2U4ODRhYjU0NTE5MTIwMmY3NjQyZWNhZjQ3YTg3ODAiLCJzZXNzaW9uQ3JlYXRlZEF0IjoxNzIzMDQ1MjM4MTYwLCJpYXQiOjE3MjMwNDUyMzgsImV4cCI6MTcyMzIxMjcyOH0.XsF8Ld3X5kOe_CVEXMlAGCvCdfHZY2U03zLqT8-Qy9s";

    #[test]
    fn expiry_of_the_seed_token() {
        let t = RampToken::new(SEED);
        assert_eq!(
            t.expires_at(),
            Some(UNIX_EPOCH + Duration::from_secs(1_723_212_728))
        );
        // 167 490 s after iat
        assert_eq!(1_723_212_728 - 1_723_045_238, 167_490);
        assert_eq!(RampToken::new("opaque").expires_at(), None);
        assert_eq!(RampToken::new("a.b.c").expires_at(), None);
        assert_eq!(RampToken::new("a.e30.c").expires_at(), None); // {} : no exp
    }

    #[test]
    fn seed_widget_url_is_reproduced() {
        let url = RampToken::new(SEED)
            .widget_url("xyz98765-4321-0abc-def0-ghijklmnopqr")
            .unwrap();
        assert_eq!(
            url.expose_secret(),
            format!(
                "https://core-onramp-widget.anuk.tech/?institutionId=xyz98765-4321-0abc-def0-ghijklmnopqr&refreshToken={SEED}"
            )
        );
    }

    #[test]
    fn query_is_encoded_and_decodes_back() {
        let token = RampToken::new("a+b/c=d&e f%");
        let url = token.widget_url("inst&id=1 #x").unwrap();
        let parsed = Url::parse(url.expose_secret()).unwrap();
        let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            vec![
                ("institutionId".into(), "inst&id=1 #x".into()),
                ("refreshToken".into(), "a+b/c=d&e f%".into()),
            ]
        );
        assert!(token.widget_url(" ").is_err());
    }

    #[test]
    fn debug_never_shows_the_token() {
        let token = RampToken::new(SEED);
        let url = token.widget_url("inst").unwrap();
        for shown in [
            format!("{token:?}"),
            format!("{url:?}"),
            format!("{url:#?}"),
        ] {
            assert!(!shown.contains("eyJ"), "{shown}");
        }
        assert_eq!(
            format!("{url:?}"),
            "WidgetUrl(https://core-onramp-widget.anuk.tech/?institutionId=inst&refreshToken=***)"
        );
    }
}

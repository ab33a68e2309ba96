//! HS256 JSON Web Tokens (RFC 7519 compact form). Randomness, ids, base64url and time stamps
//! are the sandbox's (`crate::util`).

use std::time::SystemTime;

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::util::{base64url, base64url_decode, unix_secs};

type HmacSha256 = Hmac<Sha256>;

/// `{"alg":"HS256","typ":"JWT"}`
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// Signs `claims` with `secret`; `None` only if HMAC refused the key (it takes any length).
pub(super) fn sign(secret: &[u8], claims: &Map<String, Value>) -> Option<String> {
    let payload = base64url(Value::Object(claims.clone()).to_string());
    let signing_input = format!("{HEADER}.{payload}");
    let mut mac = mac(secret)?;
    mac.update(signing_input.as_bytes());
    let signature = base64url(mac.finalize().into_bytes());
    Some(format!("{signing_input}.{signature}"))
}

/// The claims of `token` if its HS256 signature by `secret` is right (constant-time check), its
/// header is ours, and its `exp` is after `now`.
pub(super) fn verify(
    secret: &[u8],
    token: &str,
    now: SystemTime,
) -> Result<Map<String, Value>, &'static str> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a JWT");
    };
    if header != HEADER {
        return Err("unexpected JWT header");
    }
    let signature = base64url_decode(signature).ok_or("bad signature encoding")?;
    let mut mac = mac(secret).ok_or("unusable key")?;
    mac.update(header.as_bytes());
    mac.update(b".");
    mac.update(payload.as_bytes());
    mac.verify_slice(&signature).map_err(|_| "bad signature")?;
    let payload = base64url_decode(payload).ok_or("bad payload encoding")?;
    let Ok(Value::Object(claims)) = serde_json::from_slice(&payload) else {
        return Err("bad payload");
    };
    let exp = claims.get("exp").and_then(Value::as_u64).ok_or("no exp")?;
    if unix_secs(now) >= exp {
        return Err("token expired");
    }
    Ok(claims)
}

fn mac(secret: &[u8]) -> Option<HmacSha256> {
    // HMAC takes keys of any length: this never fails.
    <HmacSha256 as Mac>::new_from_slice(secret).ok()
}

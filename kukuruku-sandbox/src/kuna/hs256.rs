//! Kuna's tokens: HS256 JSON Web Tokens (RFC 7519 compact form), login and widget tokens alike.

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use kukuruku_proto::unix_seconds;
use serde_json::{Map, Value};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// `{"alg":"HS256","typ":"JWT"}`
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// Signs `claims` with `secret`; `None` only if HMAC refused the key (it takes any length).
pub(super) fn sign(secret: &[u8], claims: &Map<String, Value>) -> Option<String> {
    let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string());
    let signing_input = format!("{HEADER}.{payload}");
    let mut mac = mac(secret)?;
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
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
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| "bad signature encoding")?;
    let mut mac = mac(secret).ok_or("unusable key")?;
    mac.update(header.as_bytes());
    mac.update(b".");
    mac.update(payload.as_bytes());
    mac.verify_slice(&signature).map_err(|_| "bad signature")?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| "bad payload encoding")?;
    let Ok(Value::Object(claims)) = serde_json::from_slice(&payload) else {
        return Err("bad payload");
    };
    let exp = claims.get("exp").and_then(Value::as_u64).ok_or("no exp")?;
    if unix_seconds(now) >= exp {
        return Err("token expired");
    }
    Ok(claims)
}

fn mac(secret: &[u8]) -> Option<HmacSha256> {
    // HMAC takes keys of any length: this never fails.
    <HmacSha256 as Mac>::new_from_slice(secret).ok()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use serde_json::json;

    use super::*;

    #[test]
    fn hs256_checks_the_published_jwt_io_vector() {
        // jwt.io's HS256 example, secret "your-256-bit-secret". It has no `exp`: a correct
        // signature gets as far as the expiry check.
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        let now = UNIX_EPOCH + Duration::from_secs(1);
        assert_eq!(verify(b"your-256-bit-secret", token, now), Err("no exp"));
        assert_eq!(
            verify(b"your-256-bit-secreT", token, now),
            Err("bad signature")
        );
        // Our signer produces that same signature over the same header and payload.
        let mut claims = Map::new();
        claims.insert("sub".into(), json!("1234567890"));
        claims.insert("exp".into(), json!(2));
        let ours = sign(b"your-256-bit-secret", &claims).unwrap();
        assert!(ours.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));
        assert!(verify(b"your-256-bit-secret", &ours, now).is_ok());
    }

    #[test]
    fn tokens_verify_expire_and_reject_tampering() {
        let now = UNIX_EPOCH + Duration::from_secs(1_723_045_238);
        let mut claims = Map::new();
        claims.insert("id".into(), json!("c-1"));
        claims.insert("iat".into(), json!(1_723_045_238_u64));
        claims.insert("exp".into(), json!(1_723_045_238_u64 + 167_490));
        let token = sign(b"k", &claims).unwrap();
        assert_eq!(verify(b"k", &token, now).unwrap()["id"], "c-1");
        assert_eq!(verify(b"other", &token, now), Err("bad signature"));
        let later = now + Duration::from_secs(167_490);
        assert_eq!(verify(b"k", &token, later), Err("token expired"));
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(verify(b"k", &tampered, now).is_err());
        assert_eq!(verify(b"k", "a.b", now), Err("not a JWT"));
    }
}

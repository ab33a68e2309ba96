//! Unit tests of the sandbox's Kuna pieces that need no network (the HTTP behaviour is tested
//! end to end with the `kuna-ramp` client).

use std::time::{Duration, UNIX_EPOCH};

use serde_json::{Map, json};

use super::jwt;
use super::{KunaConfig, KunaState};
use crate::util::rfc3339_at;

#[test]
fn hs256_checks_the_published_jwt_io_vector() {
    // jwt.io's HS256 example, secret "your-256-bit-secret". It has no `exp`: a correct
    // signature gets as far as the expiry check.
    let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    let now = UNIX_EPOCH + Duration::from_secs(1);
    assert_eq!(
        jwt::verify(b"your-256-bit-secret", token, now),
        Err("no exp")
    );
    assert_eq!(
        jwt::verify(b"your-256-bit-secreT", token, now),
        Err("bad signature")
    );
    // Our signer produces that same signature over the same header and payload.
    let mut claims = Map::new();
    claims.insert("sub".into(), json!("1234567890"));
    claims.insert("exp".into(), json!(2));
    let ours = jwt::sign(b"your-256-bit-secret", &claims).unwrap();
    assert!(ours.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));
    assert!(jwt::verify(b"your-256-bit-secret", &ours, now).is_ok());
}

#[test]
fn tokens_verify_expire_and_reject_tampering() {
    let now = UNIX_EPOCH + Duration::from_secs(1_723_045_238);
    let mut claims = Map::new();
    claims.insert("id".into(), json!("c-1"));
    claims.insert("iat".into(), json!(1_723_045_238_u64));
    claims.insert("exp".into(), json!(1_723_045_238_u64 + 167_490));
    let token = jwt::sign(b"k", &claims).unwrap();
    assert_eq!(jwt::verify(b"k", &token, now).unwrap()["id"], "c-1");
    assert_eq!(jwt::verify(b"other", &token, now), Err("bad signature"));
    let later = now + Duration::from_secs(167_490);
    assert_eq!(jwt::verify(b"k", &token, later), Err("token expired"));
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    assert!(jwt::verify(b"k", &tampered, now).is_err());
    assert_eq!(jwt::verify(b"k", "a.b", now), Err("not a JWT"));
}

#[test]
fn created_at_is_iso8601_with_milliseconds() {
    let t = UNIX_EPOCH + Duration::from_millis(1_730_448_079_952);
    assert_eq!(rfc3339_at(t), "2024-11-01T08:01:19.952Z");
    assert_eq!(rfc3339_at(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
    assert_eq!(rfc3339_at(leap), "2000-02-29T00:00:00.000Z");
}

#[test]
fn config_debug_hides_secrets() {
    let config = KunaConfig::default();
    let key = config.api_keys[0].clone();
    let shown = format!("{:?}", KunaState::new(config));
    assert!(
        !shown.contains(&key) && !shown.contains("sandbox-password"),
        "{shown}"
    );
}

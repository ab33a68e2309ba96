//! RS256 JSON Web Tokens and the JWKS, by hand over `rsa` (no second JWT stack).

use std::sync::Arc;

use rsa::RsaPrivateKey;
use rsa::pkcs1v15;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::util::{base64url, base64url_decode};

/// Generates a 2048-bit RSA key (about a second in a debug build with the workspace's
/// `opt-level` for `rsa` and `num-bigint-dig`).
pub fn generate_key() -> Result<RsaPrivateKey, String> {
    RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|error| error.to_string())
}

/// A signing key and its `kid`.
#[derive(Clone)]
pub(super) struct SigningKey {
    key: Arc<RsaPrivateKey>,
    signer: pkcs1v15::SigningKey<Sha256>,
    pub(super) kid: String,
}

impl SigningKey {
    pub(super) fn new(key: Arc<RsaPrivateKey>, kid: &str) -> Self {
        Self {
            signer: pkcs1v15::SigningKey::new((*key).clone()),
            key,
            kid: kid.to_owned(),
        }
    }

    /// The same key under another `kid`.
    pub(super) fn with_kid(mut self, kid: &str) -> Self {
        kid.clone_into(&mut self.kid);
        self
    }

    /// The public key as a JWK.
    pub(super) fn jwk(&self) -> Value {
        json!({
            "kid": self.kid,
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "n": base64url(self.key.n().to_bytes_be()),
            "e": base64url(self.key.e().to_bytes_be()),
        })
    }

    /// `header.payload.signature`, RS256.
    pub(super) fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let input = format!("{}.{}", encode_json(&header), encode_json(claims));
        let signature = self.signer.sign(input.as_bytes());
        format!("{input}.{}", base64url(signature.to_bytes()))
    }
}

/// An unsigned token (`alg: none`), for the misbehaviour switch.
pub(super) fn unsigned(claims: &Value) -> String {
    let header = json!({"alg": "none", "typ": "JWT"});
    format!("{}.{}.", encode_json(&header), encode_json(claims))
}

fn encode_json(value: &Value) -> String {
    base64url(value.to_string())
}

/// The payload of a JWT this provider issued, unverified (logout's `id_token_hint`).
pub(super) fn unverified_payload(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&base64url_decode(payload)?).ok()
}

//! The provider's RS256 signing keys: [`IdpSigningKey`] (public, opaque), and the key under a
//! `kid` that signs JSON Web Tokens and is published in the JWKS, by hand over `rsa` (no second
//! JWT stack).

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::RsaPrivateKey;
use rsa::pkcs1v15;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::Sha256;

use super::error::IdpError;

/// A signing key of the KukurukuID provider: 2048-bit RSA, for RS256 tokens. Cheap to clone
/// (clones share the key); `Debug` shows nothing of it.
///
/// Make one with [`generate`](Self::generate) and give it to
/// [`IdpConfig::signing_key`](super::IdpConfig::signing_key) (tests share one key rather than
/// make one per provider: a key takes about a second in a debug build).
#[derive(Clone)]
pub struct IdpSigningKey {
    key: Arc<RsaPrivateKey>,
}

impl IdpSigningKey {
    /// Generates a 2048-bit RSA key from the operating system's randomness (about a second in a
    /// debug build with the workspace's `opt-level` for `rsa` and `num-bigint-dig`).
    pub fn generate() -> Result<Self, IdpError> {
        let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
            .map_err(IdpError::key_generation)?;
        Ok(Self { key: Arc::new(key) })
    }
}

impl fmt::Debug for IdpSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdpSigningKey(RSA 2048, ***)")
    }
}

/// A signing key under a `kid`: signs RS256 JSON Web Tokens, and is published as a JWK.
#[derive(Clone)]
pub(super) struct JwtKey {
    key: Arc<RsaPrivateKey>,
    signer: pkcs1v15::SigningKey<Sha256>,
    pub(super) kid: String,
}

impl JwtKey {
    pub(super) fn new(key: &IdpSigningKey, kid: &str) -> Self {
        Self {
            signer: pkcs1v15::SigningKey::new((*key.key).clone()),
            key: Arc::clone(&key.key),
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
            "n": URL_SAFE_NO_PAD.encode(self.key.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(self.key.e().to_bytes_be()),
        })
    }

    /// `header.payload.signature`, RS256.
    pub(super) fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let input = format!("{}.{}", encode_json(&header), encode_json(claims));
        let signature = self.signer.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

/// An unsigned token (`alg: none`), for the misbehaviour switch.
pub(super) fn unsigned(claims: &Value) -> String {
    let header = json!({"alg": "none", "typ": "JWT"});
    format!("{}.{}.", encode_json(&header), encode_json(claims))
}

fn encode_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

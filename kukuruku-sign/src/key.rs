//! The merchant's secret key.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::KeyError;

/// The merchant's `secret_key`: the HMAC key, as the UTF-8 bytes of the string Kukuruku issued.
///
/// Its bytes are wiped from memory when it is dropped, it has no `Display`, and its `Debug`
/// prints `SecretKey(***)`.
///
/// ```
/// use kukuruku_sign::SecretKey;
/// let key = SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl")?;
/// assert_eq!(format!("{key:?}"), "SecretKey(***)");
/// assert!(SecretKey::new("").is_err());
/// # Ok::<(), kukuruku_sign::KeyError>(())
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey(Box<[u8]>);

impl SecretKey {
    /// A key from the secret string (or raw bytes). An empty key is refused.
    ///
    /// Passing a `String` or `Vec<u8>` moves its buffer in without a copy, so no second copy of
    /// the secret is left behind.
    pub fn new(secret: impl Into<Vec<u8>>) -> Result<Self, KeyError> {
        let mut bytes = secret.into();
        if bytes.is_empty() {
            return Err(KeyError::Empty);
        }
        if bytes.capacity() == bytes.len() {
            return Ok(Self(bytes.into_boxed_slice()));
        }
        // Shrinking in place could move the bytes and leave the old buffer behind: copy, then
        // wipe the whole original allocation (zeroize clears the spare capacity too).
        let exact = Box::from(bytes.as_slice());
        bytes.zeroize();
        Ok(Self(exact))
    }

    /// The key bytes. Keep them out of logs.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<SecretKey> for SecretKey {
    fn as_ref(&self) -> &SecretKey {
        self
    }
}

impl TryFrom<&str> for SecretKey {
    type Error = KeyError;
    fn try_from(value: &str) -> Result<Self, KeyError> {
        Self::new(value)
    }
}

impl TryFrom<String> for SecretKey {
    type Error = KeyError;
    fn try_from(value: String) -> Result<Self, KeyError> {
        Self::new(value)
    }
}

impl TryFrom<&[u8]> for SecretKey {
    type Error = KeyError;
    fn try_from(value: &[u8]) -> Result<Self, KeyError> {
        Self::new(value)
    }
}

impl TryFrom<Vec<u8>> for SecretKey {
    type Error = KeyError;
    fn try_from(value: Vec<u8>) -> Result<Self, KeyError> {
        Self::new(value)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl PartialEq for SecretKey {
    /// Constant-time comparison of the key bytes.
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for SecretKey {}

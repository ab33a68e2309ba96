//! Constant-time verification with one or more keys.

use alloc::vec::Vec;
use core::fmt;

use subtle::ConditionallySelectable;

use crate::{KeyError, SecretKey, Signature, Signer, VerifyError};

/// Verifies signatures against one key, or several during a key rotation.
///
/// Every key is tried on every call (no early exit), and each comparison is constant time, so
/// the time taken tells nothing about the signature or about which key matched.
///
/// ```
/// use kukuruku_sign::{SecretKey, Signer, Verifier};
/// let current = SecretKey::new("new-secret")?;
/// let previous = SecretKey::new("old-secret")?;
/// let verifier = Verifier::from_keys([&current, &previous])?;
///
/// let old_header = Signer::new(&previous).sign(b"{}").to_hex();
/// assert_eq!(verifier.verify(b"{}", old_header.as_str())?.index(), 1);
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Verifier {
    signers: Vec<Signer>,
}

/// Which of a [`Verifier`]'s keys matched: its position in the order the keys were given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MatchedKey(usize);

impl MatchedKey {
    /// The position of the matching key (0: the first, usually the current key).
    pub const fn index(self) -> usize {
        self.0
    }
}

impl Verifier {
    /// A verifier with a single key.
    pub fn new(key: &SecretKey) -> Self {
        Self {
            signers: alloc::vec![Signer::new(key)],
        }
    }

    /// A verifier with several keys, the current one first. An empty list is refused.
    pub fn from_keys<I>(keys: I) -> Result<Self, KeyError>
    where
        I: IntoIterator,
        I::Item: AsRef<SecretKey>,
    {
        let signers: Vec<Signer> = keys
            .into_iter()
            .map(|key| Signer::new(key.as_ref()))
            .collect();
        if signers.is_empty() {
            return Err(KeyError::NoKeys);
        }
        Ok(Self { signers })
    }

    /// Adds another accepted key (e.g. the previous secret during a rotation).
    #[must_use]
    pub fn with_key(mut self, key: &SecretKey) -> Self {
        self.signers.push(Signer::new(key));
        self
    }

    /// How many keys this verifier accepts.
    pub fn key_count(&self) -> usize {
        self.signers.len()
    }

    /// Verifies `body` (the raw bytes received) against a `signature` header value.
    ///
    /// A value that is not 128 hex digits is [`VerifyError::Malformed`]; a well-formed one that
    /// matches no key is [`VerifyError::Mismatch`].
    pub fn verify(
        &self,
        body: &[u8],
        header_value: impl AsRef<[u8]>,
    ) -> Result<MatchedKey, VerifyError> {
        let signature = Signature::from_hex(header_value.as_ref())?;
        self.verify_signature(body, &signature)
    }

    /// Verifies `body` against an already parsed signature.
    pub fn verify_signature(
        &self,
        body: &[u8],
        signature: &Signature,
    ) -> Result<MatchedKey, VerifyError> {
        let mut found = subtle::Choice::from(0);
        let mut index = 0u64;
        for (i, signer) in self.signers.iter().enumerate() {
            let expected = signer.sign(body);
            let hit = expected.ct_eq(signature);
            // Keep the first matching index, without branching on secret data.
            let take = hit & !found;
            index.conditional_assign(&(i as u64), take);
            found |= hit;
        }
        if bool::from(found) {
            // The index came from enumerate over a Vec: it fits in usize.
            Ok(MatchedKey(usize::try_from(index).unwrap_or_default()))
        } else {
            Err(VerifyError::Mismatch)
        }
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.signers.len())
            .finish_non_exhaustive()
    }
}

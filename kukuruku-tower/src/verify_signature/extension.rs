//! The request extension that says a body was verified, and with which key.

use kukuruku_sign::MatchedKey;

/// The request extension left by [`VerifySignature`](super::VerifySignature) on a request whose
/// signature matched.
///
/// Only verification creates it, so its presence means "these bytes were verified".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedSignature {
    matched: MatchedKey,
}

impl VerifiedSignature {
    pub(crate) fn new(matched: MatchedKey) -> Self {
        Self { matched }
    }

    /// Which key of the [`Verifier`](kukuruku_sign::Verifier) matched.
    pub fn matched_key(&self) -> MatchedKey {
        self.matched
    }

    /// The position of the matching key (0: the first, usually the current key).
    pub fn key_index(&self) -> usize {
        self.matched.index()
    }
}

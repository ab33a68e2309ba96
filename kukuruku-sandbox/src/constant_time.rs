//! Comparing secrets (API keys, passwords, client secrets) in time that depends on neither.

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// Whether two secrets are equal, in time that depends on neither: both are hashed first (so
/// their lengths do not leak either), then compared with `subtle`.
pub(crate) fn secrets_equal(expected: &[u8], given: &[u8]) -> bool {
    Sha256::digest(expected)
        .ct_eq(&Sha256::digest(given))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_content_only() {
        assert!(secrets_equal(b"kuna_sandbox_1", b"kuna_sandbox_1"));
        assert!(!secrets_equal(b"kuna_sandbox_1", b"kuna_sandbox_2"));
        assert!(!secrets_equal(b"kuna_sandbox_1", b"kuna_sandbox_1 "));
        assert!(!secrets_equal(b"", b"x"));
    }
}

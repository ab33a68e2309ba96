//! Randomness: the operating system's random bytes, and what the sandbox makes of them (UUIDs,
//! OAuth codes and tokens, the defaults of its test secrets).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

/// `N` bytes from the operating system's random source; `None` without one (callers that need
/// secrets fail then rather than use something guessable).
pub(crate) fn random_bytes<const N: usize>() -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).ok()?;
    Some(bytes)
}

/// `N` random bytes; without OS randomness, bytes derived from the process, a monotonic instant
/// and a counter: unique within the process, not secret (ids, and the defaults of a local
/// sandbox's test secrets).
pub(crate) fn unique_bytes<const N: usize>() -> [u8; N] {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    if let Some(bytes) = random_bytes() {
        return bytes;
    }
    let seed = format!(
        "{}-{:?}-{}",
        std::process::id(),
        Instant::now(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut bytes = [0u8; N];
    let mut block: [u8; 32] = Sha256::digest(seed.as_bytes()).into();
    for chunk in bytes.chunks_mut(32) {
        chunk.copy_from_slice(&block[..chunk.len()]);
        block = Sha256::digest(block).into();
    }
    bytes
}

/// A random (version 4) UUID.
pub(crate) fn random_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(unique_bytes::<16>()).into_uuid()
}

/// A random (version 4) UUID in its hyphenated lower-case form.
pub(crate) fn new_uuid() -> String {
    random_uuid().to_string()
}

/// 32 random bytes, base64url: the KukurukuID's codes, tokens and session ids. `None` without
/// OS randomness (a guessable token is worse than none).
pub(crate) fn random_token() -> Option<String> {
    random_bytes::<32>().map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v4_and_distinct() {
        let a = new_uuid();
        let b = new_uuid();
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert_ne!(a, b);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn bytes_hex_and_base64url() {
        assert_eq!(const_hex::encode([0, 15, 255]), "000fff");
        assert_ne!(unique_bytes::<32>(), unique_bytes::<32>());
        assert_eq!(random_bytes::<40>().map(|bytes| bytes.len()), Some(40));
        // RFC 4648's URL-safe alphabet, no padding.
        assert_eq!(URL_SAFE_NO_PAD.encode([0xfb, 0xff]), "-_8");
        assert_eq!(URL_SAFE_NO_PAD.decode("-_8").ok(), Some(vec![0xfb, 0xff]));
        assert_eq!(URL_SAFE_NO_PAD.decode("+/8=").ok(), None);
        let token = random_token().unwrap();
        assert_eq!(token.len(), 43);
        assert_ne!(random_token(), Some(token));
    }
}

//! Errors of this crate.

use core::fmt;

/// A secret key that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The secret key is empty.
    #[error(
        "the secret key is empty: use the \"Api secret\" from the merchant dashboard (Profile)"
    )]
    Empty,
    /// A verifier was given no key at all.
    #[error("a verifier needs at least one secret key")]
    NoKeys,
}

/// Why a `signature` header value is not 128 hex digits.
///
/// The value is trimmed of surrounding ASCII whitespace first; positions count bytes of the
/// trimmed value, starting at 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MalformedSignature {
    /// The header is missing or holds nothing but whitespace.
    Empty,
    /// The value has the wrong number of bytes.
    Length {
        /// Bytes found after trimming.
        found: usize,
    },
    /// A byte that is not a hex digit (`0-9`, `a-f`, `A-F`).
    Character {
        /// The offending byte.
        byte: u8,
        /// Its position in the trimmed value.
        position: usize,
    },
}

impl fmt::Display for MalformedSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => f.write_str("malformed signature: the header is empty or missing"),
            Self::Length { found } => write!(
                f,
                "malformed signature: expected 128 hex digits (HMAC-SHA512), found {found} characters"
            ),
            Self::Character { byte, position } if byte.is_ascii_graphic() || byte == b' ' => {
                write!(
                    f,
                    "malformed signature: '{}' at position {position} is not a hex digit",
                    char::from(byte)
                )
            }
            Self::Character { byte, position } => write!(
                f,
                "malformed signature: byte 0x{byte:02x} at position {position} is not a hex digit"
            ),
        }
    }
}

impl core::error::Error for MalformedSignature {}

/// Why a body did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The `signature` header is not 128 hex digits.
    #[error(transparent)]
    Malformed(#[from] MalformedSignature),
    /// The signature is well formed but matches no configured key.
    #[error(
        "signature mismatch: the body was changed or the secret is wrong; verify over the raw bytes you received (not re-serialised JSON) with the merchant's secret_key"
    )]
    Mismatch,
}

impl VerifyError {
    /// `true` when the signature was well formed but did not match.
    pub fn is_mismatch(&self) -> bool {
        matches!(self, Self::Mismatch)
    }

    /// `true` when the header value was not a signature at all.
    pub fn is_malformed(&self) -> bool {
        matches!(self, Self::Malformed(_))
    }
}

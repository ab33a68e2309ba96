//! The 64-byte signature and its 128-digit hex form.

use core::fmt;
use core::str::FromStr;

use crate::MalformedSignature;

/// An HMAC-SHA512 signature: 64 bytes.
///
/// On the wire it is 128 lower-case hex digits ([`Signature::to_hex`], `Display`); parsing
/// ([`Signature::from_hex`], `FromStr`) accepts either case and trims surrounding ASCII
/// whitespace, and refuses everything else with a [`MalformedSignature`] that says what was
/// wrong and where.
///
/// `PartialEq` compares in constant time.
#[derive(Clone, Copy)]
pub struct Signature([u8; Signature::LEN]);

impl Signature {
    /// Bytes in a signature.
    pub const LEN: usize = 64;
    /// Hex digits in a signature header.
    pub const HEX_LEN: usize = 128;

    /// A signature from its 64 raw bytes.
    pub const fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        Self(bytes)
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }

    /// The 128 lower-case hex digits, without allocating.
    pub fn to_hex(&self) -> HexSignature {
        let mut out = [0u8; Self::HEX_LEN];
        // The output buffer is exactly twice the input: encoding cannot fail.
        let _ = const_hex::encode_to_slice(self.0, &mut out);
        HexSignature(out)
    }

    /// Parses a `signature` header value given as bytes (header values need not be UTF-8).
    ///
    /// ```
    /// use kukuruku_sign::{MalformedSignature, Signature};
    /// let hex = "AB".repeat(64);
    /// let sig = Signature::from_hex(format!("  {hex}\r\n").as_bytes())?;
    /// assert_eq!(sig.as_bytes()[0], 0xab);
    /// assert_eq!(
    ///     Signature::from_hex(b"abc"),
    ///     Err(MalformedSignature::Length { found: 3 })
    /// );
    /// # Ok::<(), MalformedSignature>(())
    /// ```
    pub fn from_hex(value: &[u8]) -> Result<Self, MalformedSignature> {
        let value = value.trim_ascii();
        if value.is_empty() {
            return Err(MalformedSignature::Empty);
        }
        if value.len() != Self::HEX_LEN {
            return Err(MalformedSignature::Length { found: value.len() });
        }
        let mut out = [0u8; Self::LEN];
        // The fast path: const-hex validates and decodes in one (vectorised) pass. Only a value
        // it refuses is scanned again, to say which byte is wrong and where.
        if const_hex::decode_to_slice(value, &mut out).is_ok() {
            return Ok(Self(out));
        }
        let position = value
            .iter()
            .position(|b| !b.is_ascii_hexdigit())
            .unwrap_or_default();
        Err(MalformedSignature::Character {
            byte: value[position],
            position,
        })
    }
}

impl FromStr for Signature {
    type Err = MalformedSignature;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_hex(s.as_bytes())
    }
}

impl Signature {
    /// Constant-time equality, as a `subtle::Choice`.
    ///
    /// The 64 bytes are read as eight `u64` words; their differences are OR-ed together
    /// without a branch, and only the folded word goes through `subtle`'s constant-time
    /// comparison with zero (one optimisation barrier rather than eight, or sixty-four for a
    /// byte-wise comparison: the same guarantee, a fraction of the work).
    pub(crate) fn ct_eq(&self, other: &Self) -> subtle::Choice {
        use subtle::ConstantTimeEq;
        let (ours, theirs) = (words(&self.0), words(&other.0));
        let mut difference = 0u64;
        for (a, b) in ours.iter().zip(theirs.iter()) {
            difference |= a ^ b;
        }
        difference.ct_eq(&0)
    }
}

fn words(bytes: &[u8; Signature::LEN]) -> [u64; Signature::LEN / 8] {
    let mut out = [0u64; Signature::LEN / 8];
    for (word, chunk) in out.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *word = u64::from_ne_bytes(b);
    }
    out
}

impl PartialEq for Signature {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Signature {}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_hex().as_str())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.to_hex().as_str())
    }
}

impl From<[u8; Signature::LEN]> for Signature {
    fn from(bytes: [u8; Signature::LEN]) -> Self {
        Self(bytes)
    }
}

/// A signature as the 128 lower-case hex digits of a `signature` header, on the stack.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HexSignature([u8; Signature::HEX_LEN]);

impl HexSignature {
    /// The hex digits as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored here.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The hex digits as bytes, e.g. for `http::HeaderValue::from_bytes`.
    pub const fn as_bytes(&self) -> &[u8; Signature::HEX_LEN] {
        &self.0
    }
}

impl AsRef<str> for HexSignature {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for HexSignature {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for HexSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for HexSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HexSignature({})", self.as_str())
    }
}

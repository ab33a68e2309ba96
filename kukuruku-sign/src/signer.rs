//! Signing: HMAC-SHA512 with the key set up once.

use core::fmt;

use hmac::digest::KeyInit;
use hmac::digest::core_api::CoreWrapper;
use hmac::{Hmac, HmacCore, Mac};
use sha2::Sha512;

use crate::{SecretKey, Signature, VerifyError};

type HmacSha512 = Hmac<Sha512>;

/// Signs bodies with one secret key.
///
/// The keyed HMAC state (the hashed inner and outer pads) is computed once in [`Signer::new`];
/// every signature starts from a copy of it, so a message costs only its own hashing. Cheap to
/// clone (160 bytes, the two keyed SHA-512 states; no allocation) and to share between threads.
///
/// ```
/// use kukuruku_sign::{SecretKey, Signer};
/// let signer = Signer::new(&SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl")?);
///
/// let one_shot = signer.sign(b"{\"merchant_id\":\"1\"}");
/// let mut streaming = signer.begin();
/// streaming.update(b"{\"merchant_id\"").update(b":\"1\"}");
/// assert_eq!(streaming.finish(), one_shot);
/// # Ok::<(), kukuruku_sign::KeyError>(())
/// ```
#[derive(Clone)]
pub struct Signer {
    // Only the keyed states, without the message buffer of a running MAC: half the size of
    // `Hmac<Sha512>`, so the copy every signature starts from is smaller.
    keyed: HmacCore<Sha512>,
}

impl Signer {
    /// Sets up the keyed HMAC state for `key`.
    pub fn new(key: &SecretKey) -> Self {
        // HMAC accepts keys of any length (longer ones are hashed first): this cannot fail.
        let keyed = HmacCore::<Sha512>::new_from_slice(key.expose_secret())
            .unwrap_or_else(|_| unreachable_key_length());
        Self { keyed }
    }

    /// Whether `signature` is this key's signature of `message`, compared in constant time.
    ///
    /// ```
    /// use kukuruku_sign::{SecretKey, Signer, VerifyError};
    /// let signer = Signer::new(&SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl")?);
    /// let signature = signer.sign(b"{}");
    /// assert!(signer.verify_signature(b"{}", &signature).is_ok());
    /// assert!(matches!(signer.verify_signature(b"{ }", &signature), Err(VerifyError::Mismatch)));
    /// # Ok::<(), kukuruku_sign::KeyError>(())
    /// ```
    pub fn verify_signature(
        &self,
        message: &[u8],
        signature: &Signature,
    ) -> Result<(), VerifyError> {
        if bool::from(self.sign(message).ct_eq(signature)) {
            Ok(())
        } else {
            Err(VerifyError::Mismatch)
        }
    }

    /// The signature of `message`, in one call.
    // Never inlined: every caller (the layers, `Verifier`, raw use) runs the same machine code,
    // so their costs compare, and inlining a few thousand instructions of hashing saves nothing.
    #[inline(never)]
    pub fn sign(&self, message: &[u8]) -> Signature {
        let mut mac = self.mac();
        mac.update(message);
        finalize(mac)
    }

    /// Starts an incremental signature; feed it with [`Signing::update`].
    pub fn begin(&self) -> Signing {
        Signing { mac: self.mac() }
    }

    /// A running MAC that starts from the keyed state.
    #[inline]
    fn mac(&self) -> HmacSha512 {
        CoreWrapper::from_core(self.keyed.clone())
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer(***)")
    }
}

/// An incremental signature in progress: any split of the message gives the same result as
/// [`Signer::sign`] over the whole.
#[derive(Clone)]
pub struct Signing {
    mac: HmacSha512,
}

impl Signing {
    /// Feeds the next chunk of the message.
    pub fn update(&mut self, chunk: &[u8]) -> &mut Self {
        self.mac.update(chunk);
        self
    }

    /// The signature of everything fed so far.
    pub fn finish(self) -> Signature {
        finalize(self.mac)
    }
}

impl fmt::Debug for Signing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signing(***)")
    }
}

fn finalize(mac: HmacSha512) -> Signature {
    Signature::from_bytes(mac.finalize().into_bytes().into())
}

#[cold]
fn unreachable_key_length() -> HmacCore<Sha512> {
    // `Hmac::new_from_slice` only fails for fixed-size-key MACs, which HMAC is not.
    unreachable!("HMAC accepts keys of every length")
}

//! What the signing tests share: the PROTOCOL.md 1.1 test key and its signer.

use kukuruku_proto::kukuruku_sign::{SecretKey, Signer};

/// The merchant secret of the PROTOCOL.md 1.1 vectors.
pub(crate) const KEY: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";

/// A signer with [`KEY`].
pub(crate) fn signer() -> Signer {
    Signer::new(&SecretKey::new(KEY).unwrap())
}

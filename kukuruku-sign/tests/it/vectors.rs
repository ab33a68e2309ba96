//! The published vectors of PROTOCOL.md 1.1 and the vectors computed with the providers'
//! recipes on real PHP, Python and Node (see `tests/vectors/README.md`).

use kukuruku_sign::{SecretKey, Signature, Signer, Verifier};

use crate::support::KEY;

fn signer() -> Signer {
    Signer::new(&SecretKey::new(KEY).unwrap())
}

#[test]
fn protocol_vector_1() {
    let body = br#"{"merchant_id":"1","amount":50000,"currency":"RUB","callback_url":"https://your-site.com/callback","order_number":"order-123","redirect_success_url":"https://your-site.com/success","redirect_fail_url":"https://your-site.com/fail","customer":{"client_id":"user@example.com"}}"#;
    assert_eq!(body.len(), 274);
    assert_eq!(
        signer().sign(body).to_hex().as_str(),
        "b7611a011a447edd6dee56f302722045d5e947411987d3884eb185157831d815a91293d64b07af6a571403e1665348237ef4d3dac8c83010ab823cc838b4308b"
    );
}

#[test]
fn protocol_vector_2() {
    let body = br#"{"merchant_id":1,"amount":500,"currency":"RUB","callback_url":"https://your-site.com/callback","order_number":"orderNumber","redirect_success_url":"https://your-site.com/success","redirect_fail_url":"https://your-site.com/fail","customer":{"client_id":"someuser@gmail.com"}}"#;
    assert_eq!(
        signer().sign(body).to_string(),
        "066a34a641683e41935a58ece5addc06176eea29e1670bf7dc2ffb1357925d12a5117d7b914152283c66da6565ddc6a7e6fc203e2dd149cc2eef18ea7a66a9a5"
    );
}

macro_rules! vector {
    ($name:ident) => {
        (
            stringify!($name),
            include_bytes!(concat!("../vectors/", stringify!($name), ".body")) as &[u8],
            include_str!(concat!("../vectors/", stringify!($name), ".sig")),
        )
    };
}

const VECTORS: &[(&str, &[u8], &str)] = &[
    vector!(node_stringify),
    vector!(python_compact),
    vector!(python_default),
    vector!(php_default),
    vector!(node_utf8),
    vector!(empty_object),
];

#[test]
fn vectors_from_php_python_node() {
    let signer = signer();
    let verifier = Verifier::new(&SecretKey::new(KEY).unwrap());
    for (name, body, sig) in VECTORS {
        assert_eq!(signer.sign(body).to_hex().as_str(), sig.trim(), "{name}");
        assert!(verifier.verify(body, sig).is_ok(), "{name} must verify");
    }
}

#[test]
fn the_serialisation_changes_the_signature() {
    let find = |n: &str| VECTORS.iter().find(|v| v.0 == n).unwrap();
    let (_, node, node_sig) = find("node_stringify");
    let (_, py_compact, py_compact_sig) = find("python_compact");
    let (_, py_default, py_default_sig) = find("python_default");
    let (_, php, php_sig) = find("php_default");
    // Compact Python and Node produce the same bytes, so the same signature.
    assert_eq!(node, py_compact);
    assert_eq!(node_sig, py_compact_sig);
    // PHP's default escapes '/', Python's default adds spaces: other bytes, other signatures.
    assert!(php.windows(2).any(|w| w == br"\/"));
    assert!(py_default.windows(2).any(|w| w == b", "));
    assert_ne!(php_sig, node_sig);
    assert_ne!(py_default_sig, node_sig);
    // A verifier over raw bytes accepts each as sent, and rejects one producer's signature on
    // another producer's bytes.
    let verifier = Verifier::new(&SecretKey::new(KEY).unwrap());
    assert!(verifier.verify(php, php_sig).is_ok());
    assert!(verifier.verify(node, php_sig).unwrap_err().is_mismatch());
    assert!(
        verifier
            .verify(py_default, node_sig)
            .unwrap_err()
            .is_mismatch()
    );
}

#[test]
fn hex_round_trip_of_a_vector() {
    let (_, _, sig) = VECTORS[0];
    let parsed: Signature = sig.trim().parse().unwrap();
    assert_eq!(parsed.to_hex().as_str(), sig.trim());
    let upper: Signature = sig.trim().to_ascii_uppercase().parse().unwrap();
    assert_eq!(upper, parsed);
}

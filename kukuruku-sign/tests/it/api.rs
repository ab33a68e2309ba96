//! The API's promises that are not properties: errors, redaction, whitespace and case rules.

use kukuruku_sign::{
    KeyError, MalformedSignature, SecretKey, Signature, Signer, Verifier, VerifyError,
};

use crate::support::KEY;

#[test]
fn secrets_never_print() {
    let key = SecretKey::new(KEY).unwrap();
    let shown = format!("{key:?} {:?} {:?}", Signer::new(&key), Verifier::new(&key));
    assert!(!shown.contains(KEY), "{shown}");
    assert!(!shown.contains("rmQX"), "{shown}");
    assert_eq!(format!("{key:?}"), "SecretKey(***)");
}

#[test]
fn empty_keys_are_refused() {
    assert_eq!(SecretKey::new("").unwrap_err(), KeyError::Empty);
    assert_eq!(
        SecretKey::try_from(Vec::new()).unwrap_err(),
        KeyError::Empty
    );
    let none: [&SecretKey; 0] = [];
    assert_eq!(Verifier::from_keys(none).unwrap_err(), KeyError::NoKeys);
}

#[test]
fn key_constructors_agree() {
    let a = SecretKey::new(KEY).unwrap();
    let mut with_spare = Vec::with_capacity(100);
    with_spare.extend_from_slice(KEY.as_bytes());
    for other in [
        SecretKey::try_from(KEY.to_owned()).unwrap(),
        SecretKey::try_from(KEY.as_bytes()).unwrap(),
        SecretKey::try_from(with_spare).unwrap(),
    ] {
        assert_eq!(other, a);
        assert_eq!(other.expose_secret(), KEY.as_bytes());
    }
    assert_ne!(SecretKey::new("other").unwrap(), a);
}

#[test]
fn header_whitespace_and_case() {
    let signer = Signer::new(&SecretKey::new(KEY).unwrap());
    let verifier = Verifier::new(&SecretKey::new(KEY).unwrap());
    let hex = signer.sign(b"{}").to_hex();
    let lower = hex.as_str();
    assert!(
        lower
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    for value in [
        lower.to_owned(),
        lower.to_ascii_uppercase(),
        format!(" \t{lower}\r\n"),
        format!("\x0c{lower}\x0c"),
    ] {
        assert!(verifier.verify(b"{}", &value).is_ok(), "{value:?}");
    }
}

#[test]
fn malformed_headers_say_what_is_wrong() {
    let verifier = Verifier::new(&SecretKey::new(KEY).unwrap());
    let good = Signer::new(&SecretKey::new(KEY).unwrap())
        .sign(b"{}")
        .to_hex();
    let good = good.as_str();

    let cases: Vec<(Vec<u8>, MalformedSignature, &str)> = vec![
        (b"".to_vec(), MalformedSignature::Empty, "empty"),
        (b"   ".to_vec(), MalformedSignature::Empty, "empty"),
        (
            good.as_bytes()[..127].to_vec(),
            MalformedSignature::Length { found: 127 },
            "found 127",
        ),
        (
            format!("{good}0").into_bytes(),
            MalformedSignature::Length { found: 129 },
            "found 129",
        ),
        (
            format!("{good},{good}").into_bytes(),
            MalformedSignature::Length { found: 257 },
            "expected 128 hex digits",
        ),
        (
            format!("g{}", &good[1..]).into_bytes(),
            MalformedSignature::Character {
                byte: b'g',
                position: 0,
            },
            "'g' at position 0",
        ),
        (
            format!("{} {}", &good[..60], &good[61..]).into_bytes(),
            MalformedSignature::Character {
                byte: b' ',
                position: 60,
            },
            "' ' at position 60",
        ),
        // Trimmed at either end, a form feed inside is a wrong character like any other.
        (
            format!("{}\x0c{}", &good[..5], &good[6..]).into_bytes(),
            MalformedSignature::Character {
                byte: 0x0c,
                position: 5,
            },
            "byte 0x0c at position 5",
        ),
        (
            [&good.as_bytes()[..127], &[0xff][..]].concat(),
            MalformedSignature::Character {
                byte: 0xff,
                position: 127,
            },
            "byte 0xff at position 127",
        ),
    ];
    for (value, expected, words) in cases {
        let err = verifier.verify(b"{}", &value).unwrap_err();
        assert_eq!(err, VerifyError::Malformed(expected));
        assert!(err.is_malformed() && !err.is_mismatch());
        let message = err.to_string();
        assert!(
            message.contains(words),
            "{message:?} should contain {words:?}"
        );
    }
}

#[test]
fn mismatch_message_points_at_raw_bytes_and_secret() {
    let verifier = Verifier::new(&SecretKey::new(KEY).unwrap());
    let err = verifier.verify(b"{}", "0".repeat(128)).unwrap_err();
    assert_eq!(err, VerifyError::Mismatch);
    let message = err.to_string();
    assert!(message.contains("raw bytes"), "{message}");
    assert!(message.contains("secret"), "{message}");
}

#[test]
fn signature_display_debug_and_bytes() {
    let sig = Signer::new(&SecretKey::new(KEY).unwrap()).sign(b"{}");
    let hex = sig.to_hex();
    assert_eq!(sig.to_string(), hex.as_str());
    assert_eq!(format!("{sig:?}"), format!("Signature({})", hex.as_str()));
    assert_eq!(hex.as_bytes().len(), Signature::HEX_LEN);
    assert_eq!(Signature::from_bytes(*sig.as_bytes()), sig);
    assert_eq!(Signature::from_hex(hex.as_bytes()).unwrap(), sig);
}

#[test]
fn with_key_adds_a_fallback() {
    let current = SecretKey::new("current").unwrap();
    let previous = SecretKey::new("previous").unwrap();
    let stranger = SecretKey::new("stranger").unwrap();
    let verifier = Verifier::new(&current).with_key(&previous);
    assert_eq!(verifier.key_count(), 2);
    let by_previous = Signer::new(&previous).sign(b"x").to_hex();
    let by_current = Signer::new(&current).sign(b"x").to_hex();
    let by_stranger = Signer::new(&stranger).sign(b"x").to_hex();
    assert_eq!(
        verifier.verify(b"x", by_current.as_str()).unwrap().index(),
        0
    );
    assert_eq!(
        verifier.verify(b"x", by_previous.as_str()).unwrap().index(),
        1
    );
    assert_eq!(
        verifier.verify(b"x", by_stranger.as_str()),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn a_signer_verifies_its_own_signatures() {
    let current = SecretKey::new("current").unwrap();
    let signer = Signer::new(&current);
    let stranger = Signer::new(&SecretKey::new("stranger").unwrap());
    let signature = signer.sign(b"x");
    assert_eq!(signer.verify_signature(b"x", &signature), Ok(()));
    // It agrees with a one-key verifier, on a match and on a mismatch.
    assert_eq!(
        Verifier::new(&current)
            .verify_signature(b"x", &signature)
            .unwrap()
            .index(),
        0
    );
    let forged = stranger.sign(b"x");
    assert_eq!(
        signer.verify_signature(b"x", &forged),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        Verifier::new(&current).verify_signature(b"x", &forged),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        signer.verify_signature(b"y", &signature),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn a_0x_prefix_is_not_hex() {
    let hex = Signer::new(&SecretKey::new(KEY).unwrap())
        .sign(b"{}")
        .to_hex();
    let prefixed_short = format!("0x{}", &hex.as_str()[2..]);
    assert_eq!(
        Signature::from_hex(prefixed_short.as_bytes()),
        Err(MalformedSignature::Character {
            byte: b'x',
            position: 1
        })
    );
    let prefixed = format!("0x{}", hex.as_str());
    assert_eq!(
        Signature::from_hex(prefixed.as_bytes()),
        Err(MalformedSignature::Length { found: 130 })
    );
}

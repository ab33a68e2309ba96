//! `kukuruku sign`: the protocol's vectors, and where the secret comes from.

use std::process::{Command, Stdio};

use crate::support::{BIN, BODY, KEY, SIGNATURE, kukuruku, sign_with, stderr, stdout, temp_file};

#[test]
fn sign_prints_the_protocol_vector_from_stdin_and_from_a_file() {
    let out = kukuruku(&["sign"], BODY.as_bytes(), Some(KEY));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{SIGNATURE}\n"));

    let file = temp_file("body.json", BODY.as_bytes());
    let out = kukuruku(&["sign", file.to_str().unwrap()], b"", Some(KEY));
    assert_eq!(stdout(&out), format!("{SIGNATURE}\n"));

    // The second vector: merchant_id as a number.
    let body = r#"{"merchant_id":1,"amount":500,"currency":"RUB","callback_url":"https://your-site.com/callback","order_number":"orderNumber","redirect_success_url":"https://your-site.com/success","redirect_fail_url":"https://your-site.com/fail","customer":{"client_id":"someuser@gmail.com"}}"#;
    let out = kukuruku(&["sign"], body.as_bytes(), Some(KEY));
    assert_eq!(
        stdout(&out),
        "066a34a641683e41935a58ece5addc06176eea29e1670bf7dc2ffb1357925d12a5117d7b914152283c66da6565ddc6a7e6fc203e2dd149cc2eef18ea7a66a9a5\n"
    );
}

#[test]
fn the_secret_comes_from_env_a_named_env_or_a_file_never_an_argument() {
    let out = kukuruku(&["sign"], BODY.as_bytes(), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("KUKURUKU_SECRET_KEY"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());

    let file = temp_file("secret.txt", format!("{KEY}\n").as_bytes());
    let out = kukuruku(
        &["sign", "--secret-file", file.to_str().unwrap()],
        BODY.as_bytes(),
        None,
    );
    assert_eq!(stdout(&out), format!("{SIGNATURE}\n"), "{}", stderr(&out));

    let out = Command::new(BIN)
        .args(["sign", "--secret-env", "MY_KUKU_SECRET", "-"])
        .env_remove("KUKURUKU_SECRET_KEY")
        .env("MY_KUKU_SECRET", KEY)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(stdout(&out), format!("{}\n", sign_with(KEY, b"")));

    let out = kukuruku(
        &["sign", "--secret-env", "NOT_SET_ANYWHERE"],
        b"",
        Some(KEY),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("NOT_SET_ANYWHERE"));

    let out = kukuruku(&["sign"], b"", Some(""));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("empty"), "{}", stderr(&out));

    // There is no option that takes the secret itself.
    let out = kukuruku(&["sign", "--secret", KEY], b"", None);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains(KEY), "the secret is not echoed back");

    let out = kukuruku(&["sign", "/no/such/file"], b"", Some(KEY));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/no/such/file"));
}

//! What the tests share: the built binary, PROTOCOL 1.1's first vector, and running the binary
//! with a body on stdin and a secret in its environment.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The `kukuruku` binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_kukuruku");
/// PROTOCOL 1.1's first test vector.
pub(crate) const KEY: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";
pub(crate) const BODY: &str = r#"{"merchant_id":"1","amount":50000,"currency":"RUB","callback_url":"https://your-site.com/callback","order_number":"order-123","redirect_success_url":"https://your-site.com/success","redirect_fail_url":"https://your-site.com/fail","customer":{"client_id":"user@example.com"}}"#;
pub(crate) const SIGNATURE: &str = "b7611a011a447edd6dee56f302722045d5e947411987d3884eb185157831d815a91293d64b07af6a571403e1665348237ef4d3dac8c83010ab823cc838b4308b";

/// Runs `kukuruku args…` with `stdin`, and `secret` as `KUKURUKU_SECRET_KEY` (else unset).
pub(crate) fn kukuruku(args: &[&str], stdin: &[u8], secret: Option<&str>) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("KUKURUKU_SECRET_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(secret) = secret {
        command.env("KUKURUKU_SECRET_KEY", secret);
    }
    let mut child = command.spawn().expect("the binary runs");
    // A command that fails before reading stdin (a usage error) closes the pipe: that is its
    // answer, checked by the caller, not a failure of the test.
    if let Err(err) = child.stdin.take().unwrap().write_all(stdin) {
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe, "{err}");
    }
    child.wait_with_output().unwrap()
}

/// Writes `content` to a file of its own under the target directory.
pub(crate) fn temp_file(name: &str, content: &[u8]) -> PathBuf {
    let path =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", std::process::id()));
    std::fs::write(&path, content).unwrap();
    path
}

/// The output's stdout, as text.
pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The output's stderr, as text.
pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The signature of `body` with `key`, in hex.
pub(crate) fn sign_with(key: &str, body: &[u8]) -> String {
    let key = kukuruku_sign::SecretKey::new(key).unwrap();
    kukuruku_sign::Signer::new(&key)
        .sign(body)
        .to_hex()
        .as_str()
        .to_owned()
}

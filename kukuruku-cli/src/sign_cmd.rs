//! `kukuruku sign` and `kukuruku verify`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kukuruku_sign::{Signature, Signer, Verifier, VerifyError};

use crate::diagnose::diagnose;
use crate::error_chain::chain;
use crate::secret::SecretArgs;

/// Exit code: the signature matches / the command worked.
const OK: u8 = 0;
/// Exit code: a well-formed signature that does not match.
const MISMATCH: u8 = 1;
/// Exit code: a malformed signature, a usage error, no secret, an unreadable file.
const USAGE: u8 = 2;

fn read_body(file: Option<&Path>) -> Result<Vec<u8>, String> {
    match file {
        Some(path) if path != Path::new("-") => std::fs::read(path)
            .map_err(|err| format!("cannot read {}: {}", path.display(), chain(&err))),
        _ => {
            let mut body = Vec::new();
            std::io::stdin()
                .read_to_end(&mut body)
                .map_err(|err| format!("cannot read the body from stdin: {}", chain(&err)))?;
            Ok(body)
        }
    }
}

fn fail(command: &str, message: &str) -> ExitCode {
    eprintln!("kukuruku {command}: {message}");
    ExitCode::from(USAGE)
}

/// Prints the signature of the body (FILE or stdin), 128 hex digits and a newline.
pub(crate) fn sign(secret: &SecretArgs, file: Option<&PathBuf>) -> ExitCode {
    let key = match secret.load() {
        Ok(key) => key,
        Err(message) => return fail("sign", &message),
    };
    let body = match read_body(file.map(PathBuf::as_path)) {
        Ok(body) => body,
        Err(message) => return fail("sign", &message),
    };
    let signature = Signer::new(&key).sign(&body).to_hex();
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{}", signature.as_str()).is_err() {
        return ExitCode::from(USAGE);
    }
    ExitCode::from(OK)
}

/// Verifies `signature` over the body; on a mismatch, says which usual cause explains it.
pub(crate) fn verify(secret: &SecretArgs, signature: &str, file: Option<&PathBuf>) -> ExitCode {
    let parsed = match Signature::from_hex(signature.as_bytes()) {
        Ok(parsed) => parsed,
        Err(err) => return fail("verify", &format!("--signature: {}", chain(&err))),
    };
    let key = match secret.load() {
        Ok(key) => key,
        Err(message) => return fail("verify", &message),
    };
    let body = match read_body(file.map(PathBuf::as_path)) {
        Ok(body) => body,
        Err(message) => return fail("verify", &message),
    };
    let verifier = Verifier::new(&key);
    match verifier.verify_signature(&body, &parsed) {
        Ok(_) => {
            println!("ok: the signature matches these {} bytes", body.len());
            ExitCode::from(OK)
        }
        Err(err @ VerifyError::Mismatch) => {
            eprintln!("kukuruku verify: {}", chain(&err));
            eprintln!("{}", diagnose(&verifier, &body, &parsed).explain());
            ExitCode::from(MISMATCH)
        }
        Err(err) => fail("verify", &err.to_string()),
    }
}

//! Where the secret key comes from: an environment variable or a file, never an argument (an
//! argument shows in `ps` and in the shell history).

use std::path::PathBuf;

use clap::Args;
use kukuruku_sign::SecretKey;

use crate::error_chain::chain;

/// The default environment variable holding the secret.
pub(crate) const DEFAULT_ENV: &str = "KUKURUKU_SECRET_KEY";

/// The secret-key options shared by the commands.
#[derive(Debug, Args)]
pub(crate) struct SecretArgs {
    /// Read the merchant's secret key from this environment variable [default: KUKURUKU_SECRET_KEY].
    #[arg(long, value_name = "NAME", conflicts_with = "secret_file")]
    secret_env: Option<String>,
    /// Read the merchant's secret key from this file (a trailing newline is ignored).
    #[arg(long, value_name = "PATH")]
    secret_file: Option<PathBuf>,
}

impl SecretArgs {
    /// Loads the key; the error says where it looked, never what it found.
    pub(crate) fn load(&self) -> Result<SecretKey, String> {
        let (mut text, source) = if let Some(path) = &self.secret_file {
            let text = std::fs::read_to_string(path).map_err(|err| {
                format!(
                    "cannot read the secret key from {}: {}",
                    path.display(),
                    chain(&err)
                )
            })?;
            (text, format!("the file {}", path.display()))
        } else {
            let name = self.secret_env.as_deref().unwrap_or(DEFAULT_ENV);
            match std::env::var(name) {
                Ok(text) => (text, format!("the environment variable {name}")),
                Err(std::env::VarError::NotPresent) => {
                    return Err(format!(
                        "no secret key: set {name} to the merchant's secret key (or pass \
                         --secret-env NAME or --secret-file PATH); it is never taken as a plain argument"
                    ));
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(format!(
                        "the environment variable {name} is not valid UTF-8"
                    ));
                }
            }
        };
        while text.ends_with('\n') || text.ends_with('\r') {
            text.pop();
        }
        SecretKey::new(text)
            .map_err(|err| format!("the secret key in {source} is unusable: {}", chain(&err)))
    }
}

//! The `kukuruku` command: a local sandbox, the end-to-end demo, and signature tools.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kukuruku_sandbox::KukuPayUser;

mod browser;
mod callback;
mod demo;
mod diagnose;
mod error_chain;
mod json_style;
mod sandbox_cmd;
mod secret;
mod sign_cmd;

use secret::SecretArgs;

use crate::error_chain::chain;

/// Kukuruku SDK command line: a local sandbox, the end-to-end demo, and signature tools.
#[derive(Debug, Parser)]
#[command(
    name = "kukuruku",
    version,
    about,
    after_help = "Examples:\n  kukuruku demo\n  KUKURUKU_SECRET_KEY=test-secret kukuruku sandbox --listen 127.0.0.1:8080\n  echo -n '{\"merchant_id\":\"1\"}' | kukuruku sign --secret-file secret.txt\n  kukuruku verify --signature 3f1c... body.json"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Walk the whole integration (payin, pay page, callback, status, payout, KukurukuID login,
    /// Play auto-login, Kuna widget) against a local sandbox and an example merchant,
    /// in-process, and print what happened.
    #[command(after_help = "Example:\n  cargo run -p kukuruku-cli -- demo\n\n\
        Needs no account, no network and no environment variable: the demo generates its own secret.\n\
        Exits 0 when every step passed, 1 otherwise.")]
    Demo,

    /// Serve a local Kukuruku sandbox (payments API, pay page, callbacks, test control, Play,
    /// KukurukuID, Kuna) on loopback until Ctrl-C or SIGTERM.
    ///
    /// When ready it prints one JSON line on stdout, e.g.
    /// {"api":"http://127.0.0.1:41234","merchant_id":"1",...,"issuer":...,"kuna":...,"kuna_api_key":...},
    /// then logs to stderr.
    #[command(
        after_help = "Example:\n  export KUKURUKU_SECRET_KEY=test-secret\n  kukuruku sandbox --listen 127.0.0.1:8080 --merchant-id 1 --user 'payee@example.com,Pat Payee,RUB'\n  # then point the SDK at http://127.0.0.1:8080 and drive orders with\n  curl -X POST http://127.0.0.1:8080/sandbox/orders/<uuid>/status -d '{\"status\":\"paid\"}'"
    )]
    Sandbox {
        /// The loopback address to listen on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
        listen: SocketAddr,
        /// The merchant's id (`merchant_id`).
        #[arg(long, default_value = "1", value_name = "ID")]
        merchant_id: String,
        /// The merchant's default callback URL: where the callbacks of Play orders
        /// (`POST /sandbox/play` without a `callback_url`) go.
        #[arg(long, value_name = "URL")]
        callback_url: Option<String>,
        /// A KukuPay user who can receive payouts, as EMAIL,NAME,CURRENCY (repeatable;
        /// default: user@example.com,Sandbox User,RUB).
        #[arg(long = "user", value_name = "EMAIL,NAME,CURRENCY", value_parser = sandbox_cmd::parse_user)]
        users: Vec<KukuPayUser>,
        #[command(flatten)]
        secret: SecretArgs,
    },

    /// Print the signature of a body: 128 hex digits (HMAC-SHA512 with the secret key) and a
    /// newline. The body is read as raw bytes from FILE, or stdin.
    #[command(
        after_help = "Example:\n  export KUKURUKU_SECRET_KEY=test-secret\n  printf '%s' '{\"merchant_id\":\"1\",\"amount\":50000}' | kukuruku sign\n  kukuruku sign --secret-file secret.txt body.json"
    )]
    Sign {
        /// The body (default: stdin). Signed byte for byte: mind a trailing newline.
        file: Option<PathBuf>,
        #[command(flatten)]
        secret: SecretArgs,
    },

    /// Check a signature over a body (FILE or stdin, raw bytes). Exit 0: it matches; 1: it does
    /// not, with a diagnosis of the usual causes on stderr; 2: malformed signature or usage error.
    #[command(
        after_help = "Example:\n  export KUKURUKU_SECRET_KEY=test-secret\n  kukuruku verify --signature \"$SIG\" callback.json\n\n\
        On a mismatch it checks the usual causes and says which would have matched: the body\n\
        re-serialised with spaces (Python's json.dumps default), sorted keys, '\\/' escaping\n\
        (PHP's default) or its absence, a trailing newline added or missing, merchant_id as a\n\
        string vs a number."
    )]
    Verify {
        /// The `signature` header value: 128 hex digits.
        #[arg(long, value_name = "HEX")]
        signature: String,
        /// The body (default: stdin), exactly as received.
        file: Option<PathBuf>,
        #[command(flatten)]
        secret: SecretArgs,
    },

    /// Test a merchant's callback endpoint, in any language: send one signed callback as
    /// Kukuruku would, or run a conformance suite against it (forged, repeated, stale,
    /// re-serialised and oversized callbacks).
    #[command(
        subcommand,
        after_help = "Examples:\n  export KUKURUKU_SECRET_KEY=test-secret\n  kukuruku callback send http://127.0.0.1:8000/callback --status paid\n  kukuruku callback check http://127.0.0.1:8000/callback\n  kukuruku callback check https://staging.shop.example/callback --json"
    )]
    Callback(callback::CallbackCommand),
}

fn init_logs() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| {
            eprintln!("kukuruku: cannot start the async runtime: {}", chain(&err));
            ExitCode::from(2)
        })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Sign { file, secret } => sign_cmd::sign(&secret, file.as_ref()),
        Command::Verify {
            signature,
            file,
            secret,
        } => sign_cmd::verify(&secret, &signature, file.as_ref()),
        Command::Sandbox {
            listen,
            merchant_id,
            callback_url,
            users,
            secret,
        } => {
            init_logs();
            match runtime() {
                Ok(rt) => rt.block_on(sandbox_cmd::run(
                    listen,
                    merchant_id,
                    callback_url,
                    users,
                    &secret,
                )),
                Err(code) => code,
            }
        }
        Command::Callback(command) => match runtime() {
            Ok(rt) => rt.block_on(callback::run(command)),
            Err(code) => code,
        },
        Command::Demo => match runtime() {
            Ok(rt) => rt.block_on(demo::run()),
            Err(code) => code,
        },
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}

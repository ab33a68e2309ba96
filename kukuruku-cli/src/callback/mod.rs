//! `kukuruku callback send` and `kukuruku callback check`: a test bench for a merchant's
//! callback endpoint, whatever language it is written in.
//!
//! - `send` posts one signed callback as Kukuruku would (PROTOCOL 1.5: the order object of D4,
//!   compact JSON, a `signature` header) and prints the request and the answer.
//! - `check` runs a conformance suite: valid, repeated and stale callbacks must be
//!   acknowledged; forged ones refused; other serialisations of the same data accepted (the
//!   endpoint verifies the raw bytes); an oversized body refused at once; a `GET` not served.
//!
//! One concept per file: [`body`] builds the callbacks, [`exchange`] does one HTTP exchange,
//! [`send`] is the `send` command, [`check`] runs the suite (one file per group of checks, each
//! sending and judging) and [`report`] prints it (text or JSON).

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use kukuruku_proto::{Amount, Currency, MerchantId, OrderType};

use crate::error_chain::chain;
use crate::secret::SecretArgs;

mod body;
mod check;
mod exchange;
mod report;
mod send;

/// Exit code: `send` got a 2xx answer; `check`: every required check passed.
const OK: u8 = 0;
/// Exit code: `send` got another answer (or none in time); `check`: a required check failed.
const FAILED: u8 = 1;
/// Exit code: a usage error, no secret, or the URL cannot be reached at all.
const USAGE: u8 = 2;

/// Kukuruku's callback timeout (PROTOCOL D8: the sandbox's 5 s).
const DEFAULT_TIMEOUT: &str = "5s";

/// `kukuruku callback …`.
#[derive(Debug, Subcommand)]
pub(crate) enum CallbackCommand {
    /// Send one signed callback to URL as Kukuruku would, and print the request and the answer.
    ///
    /// PROTOCOL 1.5: a POST of the order object (D4) as compact JSON, `Content-Type:
    /// application/json`, and a `signature` header (HMAC-SHA512 of the exact bytes sent, with
    /// the secret key). Exit 0: a 2xx answer; 1: any other answer (a redirect is not followed),
    /// a broken or non-HTTP one, or none within the timeout; 2: usage error or no connection.
    #[command(after_help = "Examples:\n  export KUKURUKU_SECRET_KEY=test-secret\n  \
        kukuruku callback send http://127.0.0.1:8000/kukuruku/callback\n  \
        kukuruku callback send https://shop.example/callback --status cancelled --order-id 5d0f2a4e-0000-4000-8000-000000000001\n  \
        kukuruku callback send http://localhost:3000/callback --secret-file secret.txt --amount 1050 --currency USD --type payout\n\n\
        Without --order-id and --order-number, fresh ones are generated for each run.\n\
        Redirects are not followed: a 3xx answer is a failure (point the callback URL at the final address).")]
    Send(SendArgs),

    /// Run a conformance suite against the callback endpoint at URL, one line per check.
    ///
    /// Each line says passed or failed, what was sent and what came back; a failure adds its
    /// likely cause and the fix. Exit 0: every required check passed (warnings allowed); 1: a
    /// required check failed; 2: usage error, or the URL cannot be reached at all.
    ///
    /// Required: a valid callback, a repeat and a stale status (`created` after `paid`) are
    /// answered 2xx within the timeout; a body changed after signing, a signature made with
    /// another key, a missing signature, a signature of 127 digits and two signature headers
    /// that disagree are refused (401 expected); the same order serialised with '\/', with
    /// '\u00e9' escapes and with spaces, each signed over its own bytes, is accepted (the
    /// endpoint must verify the raw bytes received); a body over 1 MiB is refused at once;
    /// GET is not answered 2xx. Informational: answer times, whether an unknown status is
    /// refused, plain HTTP off loopback.
    ///
    /// Every check uses fresh order ids, so the suite can run again and again against a
    /// development database.
    #[command(after_help = "Examples:\n  export KUKURUKU_SECRET_KEY=test-secret\n  \
        php -S 127.0.0.1:8000 callback.php &\n  \
        kukuruku callback check http://127.0.0.1:8000/callback\n  \
        node server.js &   # Express, listening on 3000\n  \
        kukuruku callback check http://localhost:3000/kukuruku/callback --timeout 2s\n  \
        kukuruku callback check https://staging.shop.example/callback --secret-file secret.txt --json > callback-check.json\n\n\
        Checks, in order: accepts-valid, repeat, stale-after-final, refuses-changed-body,\n\
        refuses-other-key, refuses-missing-signature, refuses-short-signature,\n\
        refuses-two-signatures, accepts-escaped-slashes, accepts-unicode-escapes,\n\
        accepts-spaced-json, refuses-oversized-body, refuses-get; then unknown-status,\n\
        timing and plain-http (informational, never failing the run).")]
    Check(CheckArgs),
}

/// The fields every callback carries.
#[derive(Debug, Args)]
pub(crate) struct OrderFields {
    /// The merchant's id (`merchant_id`), sent as a JSON string.
    #[arg(long, default_value = "1", value_name = "ID", value_parser = parse_merchant_id)]
    merchant_id: MerchantId,
    /// The amount, in minor units (kopecks, cents): 50000 is 500.00.
    #[arg(long, default_value = "50000", value_name = "MINOR_UNITS", value_parser = parse_amount)]
    amount: Amount,
    /// The currency code.
    #[arg(long, default_value = "RUB", value_name = "CODE", value_parser = parse_currency)]
    currency: Currency,
    /// The order's type.
    #[arg(long = "type", default_value = "payin", value_name = "TYPE")]
    order_type: TypeArg,
}

/// `--type`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum TypeArg {
    /// The user pays the merchant.
    Payin,
    /// The merchant pays the user.
    Payout,
}

impl OrderFields {
    fn order_type(&self) -> OrderType {
        match self.order_type {
            TypeArg::Payin => OrderType::Payin,
            TypeArg::Payout => OrderType::Payout,
        }
    }
}

/// `kukuruku callback send`.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// The callback endpoint: an http:// or https:// URL.
    url: String,
    /// The order's status: created, processing, paid, cancelled, expired, failed (any other
    /// text is sent as is, to try an unknown status).
    #[arg(long, default_value = "paid", value_name = "STATUS")]
    status: String,
    /// KukuPay's order id (`uuid`) [default: a fresh UUID].
    #[arg(long, value_name = "ID")]
    order_id: Option<String>,
    /// The merchant's order number (`order_number`) [default: kukuruku-send-RANDOM].
    #[arg(long, value_name = "NUMBER")]
    order_number: Option<String>,
    #[command(flatten)]
    fields: OrderFields,
    /// How long to wait for the whole answer: 5s (Kukuruku's, PROTOCOL D8), 500ms, 2 (seconds).
    #[arg(long, default_value = DEFAULT_TIMEOUT, value_name = "DURATION", value_parser = parse_timeout)]
    timeout: Duration,
    #[command(flatten)]
    secret: SecretArgs,
}

/// `kukuruku callback check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The callback endpoint: an http:// or https:// URL.
    url: String,
    /// How long the endpoint may take to answer each request: 5s (Kukuruku's, PROTOCOL D8),
    /// 500ms, 2 (seconds).
    #[arg(long, default_value = DEFAULT_TIMEOUT, value_name = "DURATION", value_parser = parse_timeout)]
    timeout: Duration,
    /// Print the results as one JSON document on stdout (for CI) instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    fields: OrderFields,
    #[command(flatten)]
    secret: SecretArgs,
}

/// Runs `kukuruku callback …`.
pub(crate) async fn run(command: CallbackCommand) -> ExitCode {
    match command {
        CallbackCommand::Send(args) => send::run(args).await,
        CallbackCommand::Check(args) => check::run(args).await,
    }
}

/// Prints a usage-level error and returns exit code 2.
fn usage(command: &str, message: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("kukuruku callback {command}: {message}");
    ExitCode::from(USAGE)
}

/// The longest timeout accepted.
const MAX_TIMEOUT: Duration = Duration::from_secs(600);

/// `5s`, `500ms`, `2` (seconds): a whole number and an optional unit (`ms`, `s`, `m`).
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is no duration: write e.g. 5s, 500ms or 2"))?;
    let duration = match unit.trim() {
        "ms" => Duration::from_millis(number),
        "" | "s" => Duration::from_secs(number),
        "m" | "min" => Duration::from_secs(number.saturating_mul(60)),
        other => return Err(format!("unknown unit {other:?}: use ms, s or m")),
    };
    if duration.is_zero() || duration > MAX_TIMEOUT {
        return Err("the timeout must be more than 0 and at most 10 minutes".to_owned());
    }
    Ok(duration)
}

fn parse_merchant_id(text: &str) -> Result<MerchantId, String> {
    MerchantId::new(text).map_err(|err| chain(&err))
}

fn parse_amount(text: &str) -> Result<Amount, String> {
    let units: u64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a whole number of minor units (e.g. 50000)"))?;
    let amount = Amount::new(units).map_err(|err| chain(&err))?;
    if amount.is_zero() {
        return Err("the amount must be more than 0".to_owned());
    }
    Ok(amount)
}

fn parse_currency(text: &str) -> Result<Currency, String> {
    let code = text.trim();
    if code.is_empty() || code.len() > 16 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!(
            "{text:?} is not a currency code (letters and digits, e.g. RUB, USD, USDT)"
        ));
    }
    Ok(Currency::from_code(code))
}

/// The secret key, as `sign` and `verify` take it; a usage error otherwise.
fn load_secret(command: &str, secret: &SecretArgs) -> Result<kukuruku_sign::SecretKey, ExitCode> {
    secret.load().map_err(|message| usage(command, &message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_timeout("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_timeout("1m"), Ok(Duration::from_secs(60)));
        for bad in [
            "",
            "0",
            "0ms",
            "s",
            "1.5s",
            "-1s",
            "5h",
            "11m",
            "99999999999999999999",
        ] {
            assert!(parse_timeout(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn amounts_and_currencies() {
        assert_eq!(parse_amount("50000"), Ok(Amount::new(50_000).unwrap()));
        for bad in ["0", "-1", "1.5", "", "9007199254740992"] {
            assert!(parse_amount(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_currency("USD"), Ok(Currency::Usd));
        assert!(parse_currency("U S").is_err());
        assert!(parse_currency("").is_err());
    }
}

//! `kukuruku callback check URL`: the conformance suite, run in order, one fresh order per
//! request (order numbers `kukuruku-check-<run>-<n>`), so that it can run again and again
//! against a development database.

use std::process::ExitCode;

use bytes::Bytes;
use http::Method;
use kukuruku_proto::{Order, OrderNumber, OrderStatus};
use kukuruku_sign::{SecretKey, Signer};
use serde_json::Value;

use super::body::{self, DESCRIPTION, Template};
use super::checks::{self, Accepting, CheckResult, Forgery, Judgement, Outcome, Step};
use super::exchange::{Exchange, Http, Outgoing, Target};
use super::report::Report;
use super::{CheckArgs, USAGE, load_secret, usage};
use crate::json_style::Style;

/// The unknown status of the informational check (the example the SDK's docs use).
const UNKNOWN_STATUS: &str = "refunded";

/// Runs the suite against `args.url` and prints the report.
pub(crate) async fn run(args: CheckArgs) -> ExitCode {
    let target = match Target::parse(&args.url) {
        Ok(target) => target,
        Err(err) => return usage("check", &err),
    };
    let key = match load_secret("check", &args.secret) {
        Ok(key) => key,
        Err(code) => return code,
    };
    let http = match Http::new(args.timeout) {
        Ok(http) => http,
        Err(message) => return usage("check", &message),
    };
    if let Err(err) = target.reachable(args.timeout).await {
        eprintln!(
            "kukuruku callback check: cannot reach {target}: {err}; is the endpoint running?"
        );
        return ExitCode::from(USAGE);
    }
    let template = Template {
        merchant_id: args.fields.merchant_id.clone(),
        amount: args.fields.amount,
        currency: args.fields.currency.clone(),
        order_type: args.fields.order_type(),
    };
    let mut suite = match Suite::new(http, target, &key, template) {
        Ok(suite) => suite,
        Err(message) => return usage("check", &message),
    };
    let results = match suite.run().await {
        Ok(results) => results,
        Err(message) => return usage("check", &message),
    };
    let report = Report::new(&suite.target, suite.http.timeout(), &suite.run, results);
    if let Err(err) = report.print(args.json) {
        eprintln!("kukuruku callback check: cannot write the report: {err}");
        return ExitCode::from(USAGE);
    }
    ExitCode::from(report.exit_code())
}

/// What the suite needs for its requests.
struct Suite {
    http: Http,
    target: Target,
    signer: Signer,
    /// Signs with a random key: the signature of a forger.
    forger: Signer,
    template: Template,
    /// This run's id, in every order number.
    run: String,
    /// Orders made so far.
    count: u32,
}

impl Suite {
    fn new(
        http: Http,
        target: Target,
        key: &SecretKey,
        template: Template,
    ) -> Result<Self, String> {
        let forged_key = SecretKey::new(body::random_hex(32)?).map_err(|err| err.to_string())?;
        Ok(Self {
            http,
            target,
            signer: Signer::new(key),
            forger: Signer::new(&forged_key),
            template,
            run: body::random_hex(4)?,
            count: 0,
        })
    }

    /// Every check, in order; `Err` only when no fresh order id can be made.
    async fn run(&mut self) -> Result<Vec<CheckResult>, String> {
        let mut results = vec![
            self.accepts_valid().await?,
            self.repeat().await?,
            self.stale_after_final().await?,
        ];
        let valid_accepted = results[0].outcome != Outcome::Fail;
        for forgery in [
            Forgery::ChangedBody,
            Forgery::OtherKey,
            Forgery::Missing,
            Forgery::Short,
            Forgery::Doubled { valid_first: true },
        ] {
            results.push(self.forged(forgery).await?);
        }
        for style in [
            Style {
                escape_slash: true,
                ..Style::default()
            },
            Style {
                ascii_only: true,
                ..Style::default()
            },
            Style {
                spaced: true,
                ..Style::default()
            },
        ] {
            results.push(self.reserialised(style, valid_accepted).await?);
        }
        results.push(self.oversized().await?);
        results.push(self.get().await);
        results.push(self.unknown_status().await?);
        let answered: Vec<_> = results
            .iter()
            .flat_map(|result| &result.steps)
            .filter(|step| step.exchange.result.is_ok())
            .map(|step| step.exchange.elapsed)
            .collect();
        results.push(info(
            "timing",
            "the median and worst answer time",
            Vec::new(),
            checks::timing(&answered, self.http.timeout()),
        ));
        results.push(info(
            "plain-http",
            "whether the endpoint answers over plain HTTP on a non-loopback host",
            Vec::new(),
            checks::plain_http(&self.target, !answered.is_empty()),
        ));
        Ok(results)
    }

    /// A fresh order of the template (new uuid, new order number).
    fn order(&mut self, status: OrderStatus, number_separator: char) -> Result<Order, String> {
        self.count += 1;
        let sep = number_separator;
        let number = format!("kukuruku-check{sep}{}{sep}{:02}", self.run, self.count);
        let number = OrderNumber::new(number).map_err(|err| err.to_string())?;
        Ok(self.template.order(body::fresh_uuid()?, number, status))
    }

    fn sign(&self, body: &[u8]) -> String {
        body::sign(&self.signer, body)
    }

    async fn send(&self, sent: String, outgoing: Outgoing) -> Step {
        let exchange = self.http.send(&self.target, &outgoing).await;
        Step::new(sent, &outgoing, exchange)
    }

    /// POSTs `body` with its valid signature.
    async fn post_signed(&self, sent: String, body: Bytes) -> Step {
        let signature = self.sign(&body);
        self.send(sent, Outgoing::signed(body, signature)).await
    }

    async fn accepts_valid(&mut self) -> Result<CheckResult, String> {
        let body = body::compact(&self.order(OrderStatus::Paid, '-')?);
        let step = self
            .post_signed(
                format!("POST a `paid` callback ({} B, signed)", body.len()),
                body,
            )
            .await;
        let judgement = checks::accept(&step.exchange, Accepting::Valid);
        Ok(required(
            "accepts-valid",
            "a valid signed callback is answered 2xx with {\"success\":true} within the timeout",
            vec![step],
            judgement,
        ))
    }

    async fn repeat(&mut self) -> Result<CheckResult, String> {
        let body = body::compact(&self.order(OrderStatus::Paid, '-')?);
        let signature = self.sign(&body);
        let outgoing = Outgoing::signed(body.clone(), signature);
        let first = self
            .send(
                format!("POST a `paid` callback ({} B, signed)", body.len()),
                outgoing.clone(),
            )
            .await;
        let title = "the same callback delivered again is answered 2xx";
        if !acknowledged(&first.exchange) {
            let message = checks::first_not_accepted(&first.exchange);
            return Ok(required(
                "repeat",
                title,
                vec![first],
                (Outcome::Fail, Some(message)),
            ));
        }
        let again = self
            .send("the same bytes and signature again".to_owned(), outgoing)
            .await;
        let judgement = checks::accept(&again.exchange, Accepting::Repeat);
        Ok(required("repeat", title, vec![first, again], judgement))
    }

    async fn stale_after_final(&mut self) -> Result<CheckResult, String> {
        let mut order = self.order(OrderStatus::Paid, '-')?;
        let paid = body::compact(&order);
        let first = self
            .post_signed(
                format!("POST a `paid` callback ({} B, signed)", paid.len()),
                paid,
            )
            .await;
        let title = "a stale status after a final one (`created` after `paid`) is answered 2xx";
        if !acknowledged(&first.exchange) {
            let message = checks::first_not_accepted(&first.exchange);
            return Ok(required(
                "stale-after-final",
                title,
                vec![first],
                (Outcome::Fail, Some(message)),
            ));
        }
        order.status = OrderStatus::Created;
        let created = body::compact(&order);
        let stale = self
            .post_signed(
                "then `created` for the same order, signed".to_owned(),
                created,
            )
            .await;
        let judgement = checks::accept(&stale.exchange, Accepting::Stale);
        Ok(required(
            "stale-after-final",
            title,
            vec![first, stale],
            judgement,
        ))
    }

    async fn forged(&mut self, forgery: Forgery) -> Result<CheckResult, String> {
        let body = body::compact(&self.order(OrderStatus::Paid, '-')?);
        let valid = self.sign(&body);
        let (id, title, sent, outgoing) = match forgery {
            Forgery::ChangedBody => {
                let (changed, old, new) = body::with_amount_changed(&body)
                    .ok_or("the callback has no amount to change")?;
                (
                    "refuses-changed-body",
                    "a body changed by one byte after signing is refused (401)",
                    format!(
                        "POST a `paid` callback signed, then its amount {old} changed to {new} (one byte)"
                    ),
                    Outgoing::signed(changed, valid),
                )
            }
            Forgery::OtherKey => (
                "refuses-other-key",
                "a signature made with another key is refused (401)",
                "POST a `paid` callback signed with another key".to_owned(),
                Outgoing::signed(body.clone(), body::sign(&self.forger, &body)),
            ),
            Forgery::Missing => (
                "refuses-missing-signature",
                "a callback without a signature header is refused (401)",
                "POST a `paid` callback without a signature header".to_owned(),
                Outgoing {
                    method: Method::POST,
                    body: Some(body),
                    signatures: Vec::new(),
                },
            ),
            Forgery::Doubled { .. } => return self.two_signatures().await,
            Forgery::Short => {
                let short = valid
                    .get(..valid.len().saturating_sub(1))
                    .unwrap_or_default()
                    .to_owned();
                (
                    "refuses-short-signature",
                    "a signature of 127 digits (the right one, its last digit cut off) is refused (401)",
                    "POST a `paid` callback with its signature's last digit cut off (127 digits)"
                        .to_owned(),
                    Outgoing::signed(body, short),
                )
            }
        };
        let step = self.send(sent, outgoing).await;
        let judgement = checks::refuse(&step.exchange, forgery);
        Ok(required(id, title, vec![step], judgement))
    }

    async fn two_signatures(&mut self) -> Result<CheckResult, String> {
        let mut steps = Vec::new();
        let mut worst: Judgement = (Outcome::Pass, None);
        for valid_first in [true, false] {
            let body = body::compact(&self.order(OrderStatus::Paid, '-')?);
            let valid = self.sign(&body);
            let forged = body::sign(&self.forger, &body);
            let signatures = if valid_first {
                vec![valid, forged]
            } else {
                vec![forged, valid]
            };
            let sent = format!(
                "POST a `paid` callback with two signature headers, the valid one {}",
                if valid_first { "first" } else { "last" }
            );
            let outgoing = Outgoing {
                method: Method::POST,
                body: Some(body),
                signatures,
            };
            let step = self.send(sent, outgoing).await;
            let judgement = checks::refuse(&step.exchange, Forgery::Doubled { valid_first });
            if judgement.0 > worst.0 {
                worst = judgement;
            }
            steps.push(step);
        }
        Ok(required(
            "refuses-two-signatures",
            "two signature headers that disagree are refused (401), whichever comes first",
            steps,
            worst,
        ))
    }

    async fn reserialised(
        &mut self,
        style: Style,
        valid_accepted: bool,
    ) -> Result<CheckResult, String> {
        let (id, title, how) = if style.escape_slash {
            (
                "accepts-escaped-slashes",
                "the same order with '/' written '\\/' (as PHP sends it), signed over those bytes, is accepted",
                "with '/' escaped as '\\/' (PHP's default json_encode)",
            )
        } else if style.ascii_only {
            (
                "accepts-unicode-escapes",
                "the same order with 'é' written '\\u00e9', signed over those bytes, is accepted",
                "with 'é' escaped as '\\u00e9' (Python's json.dumps, PHP's json_encode)",
            )
        } else {
            (
                "accepts-spaced-json",
                "the same order with spaces after ':' and ',', signed over those bytes, is accepted",
                "with spaces after ':' and ',' (Python's json.dumps default)",
            )
        };
        let mut order = self.order(OrderStatus::Paid, '/')?;
        order
            .extra
            .insert("description".to_owned(), Value::from(DESCRIPTION));
        let body = body::styled(&order, style);
        let step = self
            .post_signed(
                format!(
                    "POST a `paid` callback {how}, {} B, signed over those bytes",
                    body.len()
                ),
                body,
            )
            .await;
        let judgement = checks::accept(
            &step.exchange,
            Accepting::Reserialised {
                style: how,
                valid_accepted,
            },
        );
        Ok(required(id, title, vec![step], judgement))
    }

    async fn oversized(&mut self) -> Result<CheckResult, String> {
        let body = body::oversized(&self.order(OrderStatus::Paid, '-')?);
        let step = self
            .post_signed(
                format!(
                    "POST a `paid` callback padded to {} B (1 MiB + 1 B), signed",
                    body.len()
                ),
                body,
            )
            .await;
        let judgement = checks::oversized(&step.exchange);
        Ok(required(
            "refuses-oversized-body",
            "a body over 1 MiB is refused (413 or another 4xx) or the connection closed, without waiting for the timeout",
            vec![step],
            judgement,
        ))
    }

    async fn get(&mut self) -> CheckResult {
        let outgoing = Outgoing {
            method: Method::GET,
            body: None,
            signatures: Vec::new(),
        };
        let step = self.send("GET, no body".to_owned(), outgoing).await;
        let judgement = checks::get(&step.exchange);
        required(
            "refuses-get",
            "GET on the URL is not answered 2xx",
            vec![step],
            judgement,
        )
    }

    async fn unknown_status(&mut self) -> Result<CheckResult, String> {
        let status = OrderStatus::parse(UNKNOWN_STATUS);
        let body = body::compact(&self.order(status, '-')?);
        let step = self
            .post_signed(
                format!("POST a callback with the unknown status `{UNKNOWN_STATUS}`, signed"),
                body,
            )
            .await;
        let message = checks::unknown_status(&step.exchange, UNKNOWN_STATUS);
        Ok(info(
            "unknown-status",
            "whether an unknown status is refused (it should be: Kukuruku delivers it again later)",
            vec![step],
            message,
        ))
    }
}

/// `true` for a 2xx answer.
fn acknowledged(exchange: &Exchange) -> bool {
    exchange
        .result
        .as_ref()
        .is_ok_and(|answer| answer.status.is_success())
}

fn required(
    id: &'static str,
    title: &'static str,
    steps: Vec<Step>,
    (outcome, message): Judgement,
) -> CheckResult {
    CheckResult {
        id,
        title,
        required: true,
        outcome,
        steps,
        message,
    }
}

fn info(id: &'static str, title: &'static str, steps: Vec<Step>, message: String) -> CheckResult {
    CheckResult {
        id,
        title,
        required: false,
        outcome: Outcome::Info,
        steps,
        message: Some(message),
    }
}

//! `kukuruku callback check URL`: the conformance suite, run in order, one fresh order per
//! request (order numbers `kukuruku-check-<run>-<n>`), so that it can run again and again
//! against a development database.
//!
//! One group of checks per file, each with what it sends and how it judges the answer (pure
//! functions from an [`Exchange`] to an [`Outcome`] and, for a failure or a warning, one sentence
//! with the likely cause and the fix): [`acceptance`] (valid, repeated and stale callbacks),
//! [`serialisation`] (the same data written otherwise), [`refusal`] (forged callbacks),
//! [`limits`] (an oversized body, a `GET`) and [`informational`] (never failing the run).
//! [`result`] holds what a check produced and [`describe`] tells an answer in words; this file
//! runs the suite.

use std::process::ExitCode;

use bytes::Bytes;
use kukuruku_proto::{Order, OrderNumber, OrderStatus};
use kukuruku_sign::{SecretKey, Signer};

use super::body::{self, Template};
use super::exchange::{Exchange, Http, Outgoing, Target};
use super::report::Report;
use super::{CheckArgs, USAGE, load_secret, usage};
use crate::error_chain::chain;
use refusal::Forgery;

mod acceptance;
mod describe;
mod informational;
mod limits;
mod refusal;
mod result;
mod serialisation;

pub(super) use acceptance::{Accepting, accept};
pub(super) use describe::{excerpt, got, millis};
pub(super) use result::{CheckResult, Judgement, Outcome, Step};

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
            "kukuruku callback check: cannot reach {target}: {}; is the endpoint running?",
            chain(&err)
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
        eprintln!(
            "kukuruku callback check: cannot write the report: {}",
            chain(&err)
        );
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
        let forged_key = SecretKey::new(body::random_hex(32)?).map_err(|err| chain(&err))?;
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
        for style in body::STYLES {
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
            informational::timing(&answered, self.http.timeout()),
        ));
        results.push(info(
            "plain-http",
            "whether the endpoint answers over plain HTTP on a non-loopback host",
            Vec::new(),
            informational::plain_http(&self.target, !answered.is_empty()),
        ));
        Ok(results)
    }

    /// A fresh order of the template (new uuid, new order number).
    fn order(&mut self, status: OrderStatus, number_separator: char) -> Result<Order, String> {
        self.count += 1;
        let sep = number_separator;
        let number = format!("kukuruku-check{sep}{}{sep}{:02}", self.run, self.count);
        let number = OrderNumber::new(number).map_err(|err| chain(&err))?;
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

/// Answers and failures to judge, for the unit tests of each group.
#[cfg(test)]
mod fixtures {
    use std::time::Duration;

    use bytes::Bytes;
    use http::{HeaderMap, StatusCode};

    use super::Judgement;
    use crate::callback::exchange::{Answer, Exchange, ExchangeError};

    pub(super) fn answer(status: u16, body: &'static str) -> Exchange {
        Exchange {
            elapsed: Duration::from_millis(3),
            result: Ok(Answer {
                status: StatusCode::from_u16(status).unwrap(),
                headers: HeaderMap::new(),
                body: Bytes::from_static(body.as_bytes()),
                too_large: false,
            }),
        }
    }

    pub(super) fn error(err: ExchangeError) -> Exchange {
        Exchange {
            elapsed: Duration::from_millis(3),
            result: Err(err),
        }
    }

    pub(super) fn timeout() -> Exchange {
        error(ExchangeError::Timeout {
            timeout: Duration::from_secs(1),
        })
    }

    pub(super) fn closed() -> Exchange {
        error(ExchangeError::Closed {
            detail: "connection reset by peer".into(),
        })
    }

    pub(super) fn message(judgement: Judgement) -> String {
        judgement.1.unwrap_or_default()
    }
}

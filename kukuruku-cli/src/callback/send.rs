//! `kukuruku callback send URL`: one signed callback, as Kukuruku sends it (PROTOCOL 1.5), with
//! the request and the answer printed like `curl -v` does.

use std::io::{self, Write};
use std::process::ExitCode;

use kukuruku_proto::{OrderId, OrderNumber, OrderStatus};
use kukuruku_sign::Signer;

use super::body::{self, Template};
use super::check::{self, Accepting, Outcome, millis};
use super::exchange::{Answer, ExchangeError, Http, Outgoing, Target, printable};
use super::{FAILED, OK, SendArgs, load_secret, usage};
use crate::error_chain::chain;

/// Sends the callback and prints the exchange.
pub(crate) async fn run(args: SendArgs) -> ExitCode {
    let target = match Target::parse(&args.url) {
        Ok(target) => target,
        Err(err) => return usage("send", &err),
    };
    let order = match order(&args) {
        Ok(order) => order,
        Err(message) => return usage("send", &message),
    };
    let key = match load_secret("send", &args.secret) {
        Ok(key) => key,
        Err(code) => return code,
    };
    let http = match Http::new(args.timeout) {
        Ok(http) => http,
        Err(message) => return usage("send", &message),
    };
    let body = body::compact(&order);
    let signature = body::sign(&Signer::new(&key), &body);
    let outgoing = Outgoing::signed(body, signature);
    if let Err(err) = print_request(&target, &outgoing) {
        return usage("send", &err);
    }
    if let Err(err) = target.reachable(args.timeout).await {
        return usage("send", &format!("cannot reach {target}: {}", chain(&err)));
    }
    let exchange = http.send(&target, &outgoing).await;
    match &exchange.result {
        Ok(answer) => {
            if let Err(err) = print_answer(answer, &millis(exchange.elapsed)) {
                return usage("send", &err);
            }
            let (outcome, message) = if order.status.is_known() || answer.status.is_success() {
                check::accept(&exchange, Accepting::Valid)
            } else {
                (
                    Outcome::Fail,
                    Some(format!(
                        "refused the unknown status `{}` ({}): that is what an endpoint should do \
                         with a status it does not know (Kukuruku delivers it again later)",
                        order.status,
                        answer.status.as_u16()
                    )),
                )
            };
            if let Some(message) = message {
                let what = if outcome == Outcome::Fail {
                    "not accepted"
                } else {
                    "warning"
                };
                eprintln!("kukuruku callback send: {what}: {message}");
            }
            ExitCode::from(if answer.status.is_success() {
                OK
            } else {
                FAILED
            })
        }
        Err(err @ ExchangeError::Connect { .. }) => {
            usage("send", &format!("{target}: {}", chain(err)))
        }
        Err(_) => {
            // The same explanation as the suite's (a timeout, a broken or non-HTTP answer).
            let (_, message) = check::accept(&exchange, Accepting::Valid);
            eprintln!(
                "kukuruku callback send: {target}: {}",
                message.unwrap_or_default()
            );
            ExitCode::from(FAILED)
        }
    }
}

/// The order to send, from the flags (fresh ids where none is given).
fn order(args: &SendArgs) -> Result<kukuruku_proto::Order, String> {
    let status = args.status.trim();
    if status.is_empty() {
        return Err("--status is empty: e.g. paid, created, cancelled".to_owned());
    }
    let id = match &args.order_id {
        Some(id) => {
            OrderId::new(id.trim()).map_err(|err| format!("--order-id: {}", chain(&err)))?
        }
        None => body::fresh_uuid()?,
    };
    let number = match &args.order_number {
        Some(number) => number.clone(),
        None => format!("kukuruku-send-{}", body::random_hex(4)?),
    };
    let number =
        OrderNumber::new(number).map_err(|err| format!("--order-number: {}", chain(&err)))?;
    let template = Template {
        merchant_id: args.fields.merchant_id.clone(),
        amount: args.fields.amount,
        currency: args.fields.currency.clone(),
        order_type: args.fields.order_type(),
    };
    Ok(template.order(id, number, OrderStatus::parse(status)))
}

fn print_request(target: &Target, outgoing: &Outgoing) -> Result<(), String> {
    let headers = outgoing.headers().map_err(|err| chain(&err))?;
    let body = outgoing.body.clone().unwrap_or_default();
    let mut out = io::stdout().lock();
    let mut write = || -> io::Result<()> {
        writeln!(out, "> {} {target}", outgoing.method)?;
        for (name, value) in &headers {
            writeln!(out, "> {name}: {}", printable(value.as_bytes()))?;
        }
        writeln!(out, "> content-length: {}", body.len())?;
        writeln!(out, ">")?;
        writeln!(out, "> {}", printable(&body))?;
        out.flush()
    };
    write().map_err(|err| format!("cannot write to stdout: {}", chain(&err)))
}

fn print_answer(answer: &Answer, elapsed: &str) -> Result<(), String> {
    let mut out = io::stdout().lock();
    let mut write = || -> io::Result<()> {
        writeln!(
            out,
            "< {} {} (in {elapsed})",
            answer.status.as_u16(),
            answer.status.canonical_reason().unwrap_or_default()
        )?;
        for (name, value) in &answer.headers {
            writeln!(out, "< {name}: {}", printable(value.as_bytes()))?;
        }
        writeln!(out, "<")?;
        if answer.too_large {
            writeln!(out, "< (a body over 64 KiB, not shown)")?;
        } else {
            for line in String::from_utf8_lossy(&answer.body).lines() {
                writeln!(out, "< {}", printable(line.as_bytes()))?;
            }
        }
        out.flush()
    };
    write().map_err(|err| format!("cannot write to stdout: {}", chain(&err)))
}

//! An answer in words, for the report and for the judges' messages: what came back, a status
//! code with its reason, an excerpt of an untrusted body, the failures common to every check.

use std::time::Duration;

use http::StatusCode;

use crate::callback::exchange::{Answer, Exchange, ExchangeError, printable};

/// What came back, in a few words: `200 {"success":true}`, `no answer within 5 s`…
pub(crate) fn got(exchange: &Exchange) -> String {
    match &exchange.result {
        Ok(answer) => {
            let mut text = status_text(answer.status);
            if let Some(location) = answer.location().filter(|_| answer.status.is_redirection()) {
                text.push_str(" → ");
                text.push_str(&printable(location.as_bytes()));
            }
            if answer.too_large {
                text.push_str(" (body over 64 KiB, not read)");
            } else if answer.body.is_empty() {
                text.push_str(" (empty body)");
            } else {
                text.push(' ');
                text.push_str(&excerpt(&answer.body));
            }
            text
        }
        Err(err) => err.to_string(),
    }
}

pub(super) fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// At most 64 characters of an untrusted body, on one line.
pub(crate) fn excerpt(body: &[u8]) -> String {
    kukuruku_proto::Excerpt(printable(body).trim()).to_string()
}

/// The message for an exchange that produced no answer, in any check.
pub(super) fn no_answer(err: &ExchangeError) -> String {
    match err {
        ExchangeError::Timeout { .. } => format!(
            "{err}: a callback not answered within Kukuruku's timeout (5 s, PROTOCOL D8) counts as \
             failed and is delivered again, so record the update and answer at once, and do slow \
             work (e-mails, fulfilment, other APIs) after answering"
        ),
        ExchangeError::Connect { .. } => format!(
            "{err}: the endpoint stopped taking connections during the suite (did an earlier \
             request crash it?); look at its log"
        ),
        ExchangeError::NotHttp { .. } | ExchangeError::Closed { .. } => format!(
            "{err}: the endpoint must answer every request with a complete HTTP response; look at \
             its log for a crash"
        ),
        ExchangeError::Request { .. } => err.to_string(),
    }
}

pub(super) fn redirect(answer: &Answer) -> String {
    let location = answer
        .location()
        .map_or_else(|| "another address".to_owned(), |l| printable(l.as_bytes()));
    format!(
        "redirected ({}) to {location}: a callback is not followed to another address, so use the \
         final URL as the callback URL (mind http:// vs https:// and a trailing slash)",
        status_text(answer.status)
    )
}

/// `3.2 ms`.
pub(crate) fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

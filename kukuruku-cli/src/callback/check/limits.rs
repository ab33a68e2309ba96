//! What an endpoint must not serve: a body over 1 MiB (refused at once) and a `GET`.

use http::Method;
use kukuruku_proto::OrderStatus;

use super::describe::{no_answer, redirect, status_text};
use super::result::{CheckResult, Judgement, Outcome};
use super::{Suite, required};
use crate::callback::body;
use crate::callback::exchange::{Exchange, ExchangeError, Outgoing};

impl Suite {
    pub(super) async fn oversized(&mut self) -> Result<CheckResult, String> {
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
        let judgement = oversized(&step.exchange);
        Ok(required(
            "refuses-oversized-body",
            "a body over 1 MiB is refused (413 or another 4xx) or the connection closed, without waiting for the timeout",
            vec![step],
            judgement,
        ))
    }

    pub(super) async fn get(&mut self) -> CheckResult {
        let outgoing = Outgoing {
            method: Method::GET,
            body: None,
            signatures: Vec::new(),
        };
        let step = self.send("GET, no body".to_owned(), outgoing).await;
        let judgement = get(&step.exchange);
        required(
            "refuses-get",
            "GET on the URL is not answered 2xx",
            vec![step],
            judgement,
        )
    }
}

/// A signed body over 1 MiB: refused (413 or another 4xx) or the connection closed, at once.
pub(crate) fn oversized(exchange: &Exchange) -> Judgement {
    let answer = match &exchange.result {
        Ok(answer) => answer,
        Err(ExchangeError::Closed { .. } | ExchangeError::NotHttp { .. }) => {
            return (Outcome::Pass, None);
        }
        Err(err @ ExchangeError::Timeout { .. }) => {
            return (
                Outcome::Fail,
                Some(format!(
                    "{err} to a body over 1 MiB: the endpoint waits for or reads the whole body; \
                     refuse a body over a limit by its Content-Length, at once, with 413"
                )),
            );
        }
        Err(err) => return (Outcome::Fail, Some(no_answer(err))),
    };
    let status = answer.status;
    let code = status_text(status);
    if status.is_client_error() {
        (Outcome::Pass, None)
    } else if status.is_success() {
        (
            Outcome::Fail,
            Some(format!(
                "accepted ({code}) a signed body over 1 MiB: without a size limit anyone can make \
                 the endpoint read and keep any amount of data; refuse bodies over a limit (a \
                 callback is under 1 KiB, 64 KiB is plenty) with 413, by their Content-Length, \
                 before reading them"
            )),
        )
    } else if status.is_redirection() {
        (Outcome::Fail, Some(redirect(answer)))
    } else {
        (
            Outcome::Fail,
            Some(format!(
                "failed with {code} on a body over 1 MiB (a crash?): refuse a body over a limit \
                 with 413 before reading it"
            )),
        )
    }
}

/// `GET` on the URL: anything but 2xx.
pub(crate) fn get(exchange: &Exchange) -> Judgement {
    match &exchange.result {
        Ok(answer) if answer.status.is_success() => (
            Outcome::Fail,
            Some(format!(
                "answered GET with {}: a callback endpoint takes signed POSTs only; a 2xx to GET \
                 suggests that something else serves this URL (a catch-all page, a framework's \
                 default route) or that the handler accepts anything; route only POST to the \
                 callback handler",
                status_text(answer.status)
            )),
        ),
        Ok(_) | Err(ExchangeError::Closed { .. } | ExchangeError::NotHttp { .. }) => {
            (Outcome::Pass, None)
        }
        Err(err @ ExchangeError::Timeout { .. }) => (
            Outcome::Warn,
            Some(format!("{err} to GET: answer it at once, with 405")),
        ),
        Err(err) => (Outcome::Fail, Some(no_answer(err))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback::check::fixtures::{answer, closed, message, timeout};

    #[test]
    fn oversized_and_get() {
        assert_eq!(oversized(&answer(413, "")).0, Outcome::Pass);
        assert_eq!(oversized(&answer(400, "")).0, Outcome::Pass);
        assert_eq!(oversized(&closed()).0, Outcome::Pass);
        assert!(message(oversized(&answer(200, ""))).contains("size limit"));
        assert!(message(oversized(&timeout())).contains("no answer within"));
        assert_eq!(oversized(&answer(500, "")).0, Outcome::Fail);
        assert_eq!(get(&answer(405, "")).0, Outcome::Pass);
        assert_eq!(get(&answer(401, "")).0, Outcome::Pass);
        assert!(message(get(&answer(200, "hello"))).contains("answered GET with 200 OK"));
        assert_eq!(get(&timeout()).0, Outcome::Warn);
    }
}

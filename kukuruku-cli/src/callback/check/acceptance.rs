//! The callbacks an endpoint must acknowledge: a valid one (`accepts-valid`), the same one
//! again (`repeat`) and a stale status after a final one (`stale-after-final`).

use http::StatusCode;
use kukuruku_proto::{CALLBACK_ACK, OrderStatus};
use serde_json::Value;

use super::describe::{excerpt, got, no_answer, redirect, status_text};
use super::result::{CheckResult, Judgement, Outcome};
use super::{Suite, acknowledged, required};
use crate::callback::body;
use crate::callback::exchange::{Exchange, Outgoing};

/// What an accepting check sent, for the message when it was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accepting {
    /// A valid callback.
    Valid,
    /// The same callback again.
    Repeat,
    /// `created` after `paid`.
    Stale,
    /// The same data in another serialisation (`style`: how it was written), signed over its
    /// own bytes; `valid_accepted`: whether the plain callback was accepted.
    Reserialised {
        style: &'static str,
        valid_accepted: bool,
    },
}

impl Suite {
    pub(super) async fn accepts_valid(&mut self) -> Result<CheckResult, String> {
        let body = body::compact(&self.order(OrderStatus::Paid, '-')?);
        let step = self
            .post_signed(
                format!("POST a `paid` callback ({} B, signed)", body.len()),
                body,
            )
            .await;
        let judgement = accept(&step.exchange, Accepting::Valid);
        Ok(required(
            "accepts-valid",
            "a valid signed callback is answered 2xx with {\"success\":true} within the timeout",
            vec![step],
            judgement,
        ))
    }

    pub(super) async fn repeat(&mut self) -> Result<CheckResult, String> {
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
            let message = first_not_accepted(&first.exchange);
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
        let judgement = accept(&again.exchange, Accepting::Repeat);
        Ok(required("repeat", title, vec![first, again], judgement))
    }

    pub(super) async fn stale_after_final(&mut self) -> Result<CheckResult, String> {
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
            let message = first_not_accepted(&first.exchange);
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
        let judgement = accept(&stale.exchange, Accepting::Stale);
        Ok(required(
            "stale-after-final",
            title,
            vec![first, stale],
            judgement,
        ))
    }
}

/// `true` when the body is `{"success":true}` (any JSON layout).
fn is_ack(body: &[u8]) -> bool {
    let ack: Value = serde_json::from_slice(CALLBACK_ACK).unwrap_or(Value::Null);
    serde_json::from_slice::<Value>(body).is_ok_and(|value| value == ack)
}

/// A callback that must be acknowledged with 2xx (and `{"success":true}`) within the timeout.
pub(crate) fn accept(exchange: &Exchange, accepting: Accepting) -> Judgement {
    let answer = match &exchange.result {
        Ok(answer) => answer,
        Err(err) => return (Outcome::Fail, Some(no_answer(err))),
    };
    let status = answer.status;
    if status.is_success() {
        if answer.too_large || !is_ack(&answer.body) {
            let body = if answer.too_large {
                "a body over 64 KiB".to_owned()
            } else {
                excerpt(&answer.body)
            };
            return (
                Outcome::Warn,
                Some(format!(
                    "acknowledged with {}, but with {body} instead of {{\"success\":true}} \
                     (PROTOCOL 1.5); any 2xx counts, the body is for humans and logs",
                    status_text(status)
                )),
            );
        }
        return (Outcome::Pass, None);
    }
    if status.is_redirection() {
        return (Outcome::Fail, Some(redirect(answer)));
    }
    (Outcome::Fail, Some(not_accepted(status, accepting)))
}

fn not_accepted(status: StatusCode, accepting: Accepting) -> String {
    let code = status_text(status);
    match accepting {
        Accepting::Repeat => format!(
            "refused a repeat with {code}: Kukuruku delivers at least once and sends a callback \
             again when it missed the answer, so treat a repeat as success (answer 2xx \
             {{\"success\":true}} without applying it twice)"
        ),
        Accepting::Stale => format!(
            "refused `created` after `paid` with {code}: callbacks can arrive out of order, so keep \
             the later status, ignore the stale one and answer 2xx (an error only makes Kukuruku \
             send it again)"
        ),
        Accepting::Reserialised {
            style,
            valid_accepted: true,
        } if status.is_client_error() => format!(
            "refused ({code}) the same order written {style}, signed over its own exact bytes: \
             the endpoint verifies a re-serialisation of the parsed JSON instead of the bytes it \
             received; it must verify the raw bytes received (php://input; express.raw() or the \
             `verify` option of express.json(); self.rfile.read() or request.get_data() in \
             Python), before parsing them"
        ),
        Accepting::Reserialised {
            style,
            valid_accepted,
        } => format!(
            "did not accept the same order written {style} ({code}){}",
            if valid_accepted {
                ": the handler fails on valid JSON of another layout; look at its log"
            } else {
                "; the plain callback was not accepted either (see accepts-valid)"
            }
        ),
        Accepting::Valid => match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => format!(
                "refused a correctly signed callback with {code}: the endpoint's secret key is not \
                 this one, or it verifies other bytes than those received; verify HMAC-SHA512 of \
                 the raw request body with the merchant's secret key"
            ),
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => format!(
                "answered {code}: check the URL (path, trailing slash) and that the route takes POST"
            ),
            _ if status.is_client_error() => format!(
                "refused a valid callback with {code}: if the endpoint refuses orders it does not \
                 know, it must not (this suite sends fresh order ids, and a callback can come \
                 before your own record is written); otherwise look at its log"
            ),
            _ => format!(
                "failed with {code} on a valid callback: the handler crashed or could not record \
                 it; look at its log (Kukuruku retries, but the update arrives late)"
            ),
        },
    }
}

/// A check that needs a first callback accepted before it can try its point (a repeat, a stale
/// status): the failure when it was not.
pub(crate) fn first_not_accepted(exchange: &Exchange) -> String {
    format!(
        "the first delivery was not accepted ({}), so this could not be tried; see accepts-valid",
        got(exchange)
    )
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::HeaderMap;
    use http::header::LOCATION;
    use std::time::Duration;

    use super::*;
    use crate::callback::check::fixtures::{answer, message, timeout};
    use crate::callback::exchange::Answer;

    #[test]
    fn accepting() {
        let ack = r#"{"success":true}"#;
        assert_eq!(
            accept(&answer(200, ack), Accepting::Valid),
            (Outcome::Pass, None)
        );
        assert_eq!(
            accept(&answer(204, "{ \"success\": true }\n"), Accepting::Valid).0,
            Outcome::Pass
        );
        let (outcome, text) = accept(&answer(200, "OK"), Accepting::Valid);
        assert_eq!(outcome, Outcome::Warn);
        assert!(text.unwrap().contains("instead of {\"success\":true}"));

        let slow = message(accept(&timeout(), Accepting::Valid));
        assert!(slow.contains("no answer within 1 s"), "{slow}");
        assert!(slow.contains("answer at once"), "{slow}");
        assert!(message(accept(&answer(401, ""), Accepting::Valid)).contains("secret key"));
        assert!(message(accept(&answer(404, ""), Accepting::Valid)).contains("check the URL"));
        assert!(message(accept(&answer(422, ""), Accepting::Valid)).contains("fresh order ids"));
        assert!(message(accept(&answer(500, ""), Accepting::Valid)).contains("crashed"));
        assert!(message(accept(&answer(500, ""), Accepting::Repeat)).contains("treat a repeat"));
        assert!(message(accept(&answer(409, ""), Accepting::Stale)).contains("out of order"));
        let style = "with '/' escaped as '\\/'";
        let raw = message(accept(
            &answer(401, ""),
            Accepting::Reserialised {
                style,
                valid_accepted: true,
            },
        ));
        assert!(raw.contains("must verify the raw bytes received"), "{raw}");
        let neither = message(accept(
            &answer(401, ""),
            Accepting::Reserialised {
                style,
                valid_accepted: false,
            },
        ));
        assert!(neither.contains("see accepts-valid"), "{neither}");

        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, "https://shop.example/cb/".parse().unwrap());
        let moved = Exchange {
            elapsed: Duration::ZERO,
            result: Ok(Answer {
                status: StatusCode::PERMANENT_REDIRECT,
                headers,
                body: Bytes::new(),
                too_large: false,
            }),
        };
        let text = message(accept(&moved, Accepting::Valid));
        assert!(text.contains("https://shop.example/cb/"), "{text}");
        assert!(got(&moved).contains("308 Permanent Redirect → https://shop.example/cb/"));
    }
}

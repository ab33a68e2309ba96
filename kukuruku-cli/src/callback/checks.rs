//! What each check expects, and what a merchant should make of an answer: pure functions from
//! an [`Exchange`] to an [`Outcome`] and, for a failure or a warning, one sentence with the
//! likely cause and the fix. [`crate::callback::check`] sends; this file judges.

use std::time::Duration;

use http::StatusCode;
use kukuruku_proto::CALLBACK_ACK;
use serde::Serialize;
use serde_json::Value;

use super::exchange::{Answer, Exchange, ExchangeError, Outgoing, Target, human, printable};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Outcome {
    /// Informational: printed, never failing the run.
    Info,
    /// Passed.
    Pass,
    /// Passed, with a warning.
    Warn,
    /// Failed.
    Fail,
}

/// An outcome and, for a warning, a failure or an informational line, what it means.
pub(crate) type Judgement = (Outcome, Option<String>);

/// One request of a check and what came of it.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    /// What was sent, in words.
    pub(crate) sent: String,
    /// The method sent.
    pub(crate) method: http::Method,
    /// The size of the body sent.
    pub(crate) body_bytes: usize,
    /// How many `signature` headers were sent.
    pub(crate) signature_headers: usize,
    pub(crate) exchange: Exchange,
}

impl Step {
    /// The step of sending `outgoing`, described as `sent`.
    pub(crate) fn new(sent: String, outgoing: &Outgoing, exchange: Exchange) -> Self {
        Self {
            sent,
            method: outgoing.method.clone(),
            body_bytes: outgoing.body.as_ref().map_or(0, bytes::Bytes::len),
            signature_headers: outgoing.signatures.len(),
            exchange,
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone)]
pub(crate) struct CheckResult {
    pub(crate) id: &'static str,
    /// What the check expects.
    pub(crate) title: &'static str,
    /// A required check fails the run when it fails; an informational one never does.
    pub(crate) required: bool,
    pub(crate) outcome: Outcome,
    pub(crate) steps: Vec<Step>,
    /// For a failure: the likely cause and the fix; for a warning: what is off; for an
    /// informational line: the finding.
    pub(crate) message: Option<String>,
}

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

/// A forged callback that must be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forgery {
    ChangedBody,
    OtherKey,
    Missing,
    Short,
    Doubled { valid_first: bool },
}

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

fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// At most 64 characters of an untrusted body, on one line.
pub(crate) fn excerpt(body: &[u8]) -> String {
    kukuruku_proto::Excerpt(printable(body).trim()).to_string()
}

/// `true` when the body is `{"success":true}` (any JSON layout).
fn is_ack(body: &[u8]) -> bool {
    let ack: Value = serde_json::from_slice(CALLBACK_ACK).unwrap_or(Value::Null);
    serde_json::from_slice::<Value>(body).is_ok_and(|value| value == ack)
}

/// The message for an exchange that produced no answer, in any check.
fn no_answer(err: &ExchangeError) -> String {
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

fn redirect(answer: &Answer) -> String {
    let location = answer
        .location()
        .map_or_else(|| "another address".to_owned(), |l| printable(l.as_bytes()));
    format!(
        "redirected ({}) to {location}: a callback is not followed to another address, so use the \
         final URL as the callback URL (mind http:// vs https:// and a trailing slash)",
        status_text(answer.status)
    )
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

/// A forged callback that must be refused: 401 (PROTOCOL D2), a warning for another refusal.
pub(crate) fn refuse(exchange: &Exchange, forgery: Forgery) -> Judgement {
    let answer = match &exchange.result {
        Ok(answer) => answer,
        Err(err @ (ExchangeError::Closed { .. } | ExchangeError::NotHttp { .. })) => {
            return (
                Outcome::Warn,
                Some(format!(
                    "not accepted, but {err}, instead of an answer 401 (PROTOCOL D2)"
                )),
            );
        }
        Err(err @ ExchangeError::Timeout { timeout }) => {
            return (
                Outcome::Fail,
                Some(format!(
                    "{err} to a forged callback: refuse it with 401 at once, before any other work \
                     (no answer within {} counts as a failure)",
                    human(*timeout)
                )),
            );
        }
        Err(err) => return (Outcome::Fail, Some(no_answer(err))),
    };
    let status = answer.status;
    let code = status_text(status);
    if status.is_success() {
        return (Outcome::Fail, Some(forged_accepted(&code, forgery)));
    }
    if status == StatusCode::UNAUTHORIZED {
        return (Outcome::Pass, None);
    }
    let what = if status.is_client_error() {
        format!("refused with {code}, not 401")
    } else if status.is_server_error() {
        format!(
            "not accepted, but with {code} (a crash?) instead of a refusal with 401; look at the \
             endpoint's log"
        )
    } else {
        format!("not accepted, but with {code} instead of a refusal with 401")
    };
    (
        Outcome::Warn,
        Some(format!(
            "{what}: PROTOCOL D2 answers a missing or wrong signature with 401 \
             {{\"success\":false,\"err\":\"Invalid signature\"}}"
        )),
    )
}

fn forged_accepted(code: &str, forgery: Forgery) -> String {
    match forgery {
        Forgery::ChangedBody => format!(
            "accepted ({code}) a body changed after signing: the endpoint does not verify the \
             signature, or verifies something other than the bytes received; compute HMAC-SHA512 \
             of the raw body with the secret key and compare it with the header, in constant time, \
             before using the body"
        ),
        Forgery::OtherKey => format!(
            "accepted ({code}) a signature made with another key: the endpoint does not compare \
             the header with a signature computed with its own secret key; refuse a mismatch with 401"
        ),
        Forgery::Missing => format!(
            "accepted ({code}) a callback without a signature header: anyone who knows the URL can \
             forge callbacks; refuse a request without the header with 401"
        ),
        Forgery::Short => format!(
            "accepted ({code}) the right signature with its last digit cut off (127 digits): the \
             comparison does not check the whole value; compare all 128 digits in constant time \
             (hash_equals, hmac.compare_digest, crypto.timingSafeEqual)"
        ),
        Forgery::Doubled { valid_first } => format!(
            "accepted ({code}) two signature headers that disagree, the valid one {}: the endpoint \
             reads one and ignores the other; refuse a request with more than one signature \
             header with 401 (which one would Kukuruku have meant?)",
            if valid_first { "first" } else { "last" }
        ),
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

/// Informational: what an unknown status got.
pub(crate) fn unknown_status(exchange: &Exchange, status: &str) -> String {
    match &exchange.result {
        Ok(answer) if answer.status.is_success() => format!(
            "acknowledged the unknown status `{status}` ({}): Kukuruku will not send it again, so \
             once you learn what it means that update is lost; answer a status you do not know \
             with an error (e.g. 422) so that it is delivered again after an upgrade",
            status_text(answer.status)
        ),
        Ok(answer) => format!(
            "refused the unknown status `{status}` with {}: good, Kukuruku delivers it again later",
            status_text(answer.status)
        ),
        Err(err) => format!("no conclusion about an unknown status: {err}"),
    }
}

/// Informational: plain HTTP off loopback.
pub(crate) fn plain_http(target: &Target, answered: bool) -> String {
    if target.is_https() {
        "the endpoint is served over HTTPS".to_owned()
    } else if target.is_loopback() {
        "plain HTTP on a loopback host: fine for development; the real callback URL should be \
         https://"
            .to_owned()
    } else if answered {
        "the endpoint answered over plain HTTP on a non-loopback host: callbacks (order data, \
         replayable signed bodies) would cross the network unencrypted; use https://"
            .to_owned()
    } else {
        "plain HTTP on a non-loopback host, though nothing answered; use https://".to_owned()
    }
}

/// Informational: the median and worst answer time.
pub(crate) fn timing(answered: &[Duration], timeout: Duration) -> String {
    let mut times = answered.to_vec();
    times.sort_unstable();
    let (Some(worst), Some(median)) = (times.last(), times.get(times.len() / 2)) else {
        return "nothing answered: no time to report".to_owned();
    };
    let median = if times.len() % 2 == 0 {
        (times[times.len() / 2 - 1] + *median) / 2
    } else {
        *median
    };
    format!(
        "answer times over {} answers: median {}, worst {} (the timeout: {})",
        times.len(),
        millis(median),
        millis(*worst),
        human(timeout)
    )
}

/// `3.2 ms`.
pub(crate) fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::HeaderMap;
    use http::header::LOCATION;

    use super::*;

    fn answer(status: u16, body: &'static str) -> Exchange {
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

    fn error(err: ExchangeError) -> Exchange {
        Exchange {
            elapsed: Duration::from_millis(3),
            result: Err(err),
        }
    }

    fn timeout() -> Exchange {
        error(ExchangeError::Timeout {
            timeout: Duration::from_secs(1),
        })
    }

    fn closed() -> Exchange {
        error(ExchangeError::Closed {
            detail: "connection reset by peer".into(),
        })
    }

    fn message(judgement: Judgement) -> String {
        judgement.1.unwrap_or_default()
    }

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

    #[test]
    fn refusing() {
        assert_eq!(
            refuse(&answer(401, ""), Forgery::Missing),
            (Outcome::Pass, None)
        );
        let (outcome, text) = refuse(&answer(403, ""), Forgery::OtherKey);
        assert_eq!(outcome, Outcome::Warn);
        assert!(text.unwrap().contains("not 401"));
        assert_eq!(refuse(&answer(500, ""), Forgery::Short).0, Outcome::Warn);
        assert_eq!(refuse(&closed(), Forgery::Short).0, Outcome::Warn);
        assert_eq!(refuse(&timeout(), Forgery::Short).0, Outcome::Fail);
        for (forgery, needle) in [
            (Forgery::ChangedBody, "changed after signing"),
            (Forgery::OtherKey, "another key"),
            (Forgery::Missing, "without a signature header"),
            (Forgery::Short, "127 digits"),
            (
                Forgery::Doubled { valid_first: true },
                "the valid one first",
            ),
            (
                Forgery::Doubled { valid_first: false },
                "the valid one last",
            ),
        ] {
            let (outcome, text) = refuse(&answer(200, "{}"), forgery);
            assert_eq!(outcome, Outcome::Fail);
            assert!(text.unwrap().contains(needle), "{forgery:?}");
        }
    }

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

    #[test]
    fn informational() {
        assert!(unknown_status(&answer(422, ""), "refunded").contains("good"));
        assert!(unknown_status(&answer(200, ""), "refunded").contains("lost"));
        let remote = Target::parse("http://shop.example/cb").unwrap();
        assert!(plain_http(&remote, true).contains("use https://"));
        let local = Target::parse("http://127.0.0.1:1/cb").unwrap();
        assert!(plain_http(&local, true).contains("fine for development"));
        let https = Target::parse("https://shop.example/cb").unwrap();
        assert!(plain_http(&https, true).contains("HTTPS"));
        let ms = Duration::from_millis;
        assert_eq!(
            timing(&[ms(4), ms(1), ms(2), ms(30)], Duration::from_secs(5)),
            "answer times over 4 answers: median 3.0 ms, worst 30.0 ms (the timeout: 5 s)"
        );
        assert!(timing(&[ms(2), ms(9), ms(1)], Duration::from_secs(5)).contains("median 2.0 ms"));
        assert!(timing(&[], Duration::from_secs(5)).contains("nothing answered"));
    }
}

//! Forged callbacks an endpoint must refuse with 401: a body changed after signing, another
//! key's signature, no signature, a signature cut short, two signatures that disagree.

use http::{Method, StatusCode};
use kukuruku_proto::OrderStatus;

use super::describe::{no_answer, status_text};
use super::result::{CheckResult, Judgement, Outcome};
use super::{Suite, required};
use crate::callback::body;
use crate::callback::exchange::{Exchange, ExchangeError, Outgoing, human};

/// A forged callback that must be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forgery {
    ChangedBody,
    OtherKey,
    Missing,
    Short,
    Doubled { valid_first: bool },
}

impl Suite {
    pub(super) async fn forged(&mut self, forgery: Forgery) -> Result<CheckResult, String> {
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
        let judgement = refuse(&step.exchange, forgery);
        Ok(required(id, title, vec![step], judgement))
    }

    pub(super) async fn two_signatures(&mut self) -> Result<CheckResult, String> {
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
            let judgement = refuse(&step.exchange, Forgery::Doubled { valid_first });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback::check::fixtures::{answer, closed, timeout};

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
}

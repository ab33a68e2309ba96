//! The informational checks, never failing the run: whether an unknown status is refused, the
//! answer times, plain HTTP off loopback.

use std::time::Duration;

use kukuruku_proto::OrderStatus;

use super::describe::{millis, status_text};
use super::result::CheckResult;
use super::{Suite, info};
use crate::callback::body;
use crate::callback::exchange::{Exchange, Target, human};

/// The unknown status of the informational check (the example the SDK's docs use).
const UNKNOWN_STATUS: &str = "refunded";

impl Suite {
    pub(super) async fn unknown_status(&mut self) -> Result<CheckResult, String> {
        let status = OrderStatus::parse(UNKNOWN_STATUS);
        let body = body::compact(&self.order(status, '-')?);
        let step = self
            .post_signed(
                format!("POST a callback with the unknown status `{UNKNOWN_STATUS}`, signed"),
                body,
            )
            .await;
        let message = unknown_status(&step.exchange, UNKNOWN_STATUS);
        Ok(info(
            "unknown-status",
            "whether an unknown status is refused (it should be: Kukuruku delivers it again later)",
            vec![step],
            message,
        ))
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
    let median = if times.len().is_multiple_of(2) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback::check::fixtures::answer;

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

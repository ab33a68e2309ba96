//! The same order written otherwise (`\/`, `\u00e9` escapes, spaces), each signed over its
//! own bytes, must be accepted: the endpoint verifies the raw bytes it received.

use kukuruku_proto::OrderStatus;
use serde_json::Value;

use super::acceptance::{Accepting, accept};
use super::result::CheckResult;
use super::{Suite, required};
use crate::callback::body::{self, DESCRIPTION};
use crate::json_style::Style;

impl Suite {
    pub(super) async fn reserialised(
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
        let judgement = accept(
            &step.exchange,
            Accepting::Reserialised {
                style: how,
                valid_accepted,
            },
        );
        Ok(required(id, title, vec![step], judgement))
    }
}

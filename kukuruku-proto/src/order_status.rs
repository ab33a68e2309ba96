//! The order status call: `GET /api/v1/orders/{uuid}?merchant_id=…`, answered with the signed
//! order object, which must be the order asked for ([`AnswerMismatch`] otherwise).

use bytes::Bytes;
use http::{Method, Response};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::config::ApiConfig;
use crate::endpoint::{Endpoint, parse_json_response};
use crate::error::{RequestError, ResponseError};
use crate::ids::{MerchantId, OrderId};
use crate::order::Order;
use crate::text::Excerpt;

/// The characters percent-encoded in a path segment: the URL standard's path-segment set, plus
/// `%` so that an id is never decoded twice.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']');

/// The status of one order: `GET /api/v1/orders/{uuid}?merchant_id=…` (D1), answered with the
/// order ([`Order`]) and a `signature` header over the answer's body.
///
/// It has no body; its signature is over [`ApiConfig::bodyless_signing_input`] (D1).
///
/// A signature proves that Kukuruku wrote the body, not that it answers this request: callbacks
/// and status answers share one signed shape, so any signed body captured earlier would verify.
/// [`Endpoint::parse_response`] therefore refuses ([`ResponseError::Mismatch`]) an answer whose
/// order id (D4: `uuid`, else `token`, `order_id` or `id`) is not exactly the id asked for, or
/// whose `merchant_id`, when it has one, is not the configured merchant's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderStatusRequest {
    /// KukuPay's id of the order (`token` of the payin, `uuid` of the payout).
    pub id: OrderId,
}

impl OrderStatusRequest {
    /// The status call for order `id`.
    pub fn new(id: OrderId) -> Self {
        Self { id }
    }
}

impl Endpoint for OrderStatusRequest {
    type Output = Order;
    const METHOD: Method = Method::GET;
    const RESPONSE_SIGNED: bool = true;

    fn path(&self) -> String {
        format!(
            "/api/v1/orders/{}",
            utf8_percent_encode(self.id.as_str(), SEGMENT)
        )
    }

    fn query(&self, config: &ApiConfig) -> Result<Option<String>, RequestError> {
        Ok(Some(
            form_urlencoded::Serializer::new(String::new())
                .append_pair("merchant_id", config.merchant_id().as_str())
                .finish(),
        ))
    }

    fn body(&self, _config: &ApiConfig) -> Result<Option<Bytes>, RequestError> {
        Ok(None)
    }

    fn parse_response(
        &self,
        config: &ApiConfig,
        response: Response<Bytes>,
    ) -> Result<Order, ResponseError> {
        let status = response.status();
        let body = response.body().clone();
        let order: Order = parse_json_response(response)?;
        match self.mismatch(config, &order) {
            None => Ok(order),
            Some(source) => Err(ResponseError::Mismatch {
                status,
                body,
                source,
            }),
        }
    }
}

impl OrderStatusRequest {
    /// What makes `order` not the answer to this call, if anything: another id, or another
    /// merchant (a missing `merchant_id` is accepted).
    fn mismatch(&self, config: &ApiConfig, order: &Order) -> Option<AnswerMismatch> {
        if order.id != self.id {
            return Some(AnswerMismatch::Order {
                asked: self.id.clone(),
                answered: order.id.clone(),
            });
        }
        match &order.merchant_id {
            Some(answered) if answered != config.merchant_id() => Some(AnswerMismatch::Merchant {
                expected: config.merchant_id().clone(),
                answered: answered.clone(),
            }),
            _ => None,
        }
    }
}

/// How an order status answer differs from the request it was read against: it is a
/// correctly signed body, but not the answer to this request (replayed or misrouted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AnswerMismatch {
    /// The answer is about another order.
    #[error(
        "it is about order {:?}, not order {:?} that was asked for: a replayed or misrouted answer",
        Excerpt(answered.as_str()),
        Excerpt(asked.as_str())
    )]
    Order {
        /// The id the request asked for.
        asked: OrderId,
        /// The id in the answer.
        answered: OrderId,
    },
    /// The answer names another merchant.
    #[error(
        "it is an order of merchant {:?}, not of merchant {:?} that asked: a replayed or misrouted answer",
        Excerpt(answered.as_str()),
        Excerpt(expected.as_str())
    )]
    Merchant {
        /// This client's merchant id.
        expected: MerchantId,
        /// The `merchant_id` in the answer.
        answered: MerchantId,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::OrderStatus;
    use http::header::CONTENT_TYPE;

    fn config() -> ApiConfig {
        ApiConfig::new(MerchantId::new("1").unwrap())
    }

    #[test]
    fn order_id_is_encoded_in_the_path() {
        let call = OrderStatusRequest::new(OrderId::new("a/b?c#d%e f").unwrap());
        assert_eq!(call.path(), "/api/v1/orders/a%2Fb%3Fc%23d%25e%20f");
        let request = call.to_request(&config()).unwrap();
        assert_eq!(request.uri().path(), "/api/v1/orders/a%2Fb%3Fc%23d%25e%20f");
        let call = OrderStatusRequest::new(OrderId::new("заказ").unwrap());
        assert!(call.to_request(&config()).is_ok());
    }

    #[test]
    fn merchant_id_query_is_encoded() {
        let c = ApiConfig::new(MerchantId::new("a&b=c d").unwrap());
        let request = OrderStatusRequest::new(OrderId::new("x").unwrap())
            .to_request(&c)
            .unwrap();
        assert_eq!(request.uri().query(), Some("merchant_id=a%26b%3Dc+d"));
        assert!(request.body().is_empty());
        assert!(request.headers().get(CONTENT_TYPE).is_none());
    }

    fn response(status: u16, body: &'static [u8]) -> Response<Bytes> {
        let mut response = Response::new(Bytes::from_static(body));
        *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
        response
    }

    fn call(id: &str) -> OrderStatusRequest {
        OrderStatusRequest::new(OrderId::new(id).unwrap())
    }

    #[test]
    fn response_parsing() {
        let u = call("u");
        let order = u
            .parse_response(&config(), response(200, br#"{"uuid":"u","status":"paid"}"#))
            .unwrap();
        assert_eq!(order.status, OrderStatus::Paid);

        let error = u
            .parse_response(
                &config(),
                response(404, br#"{"success":false,"err":"Order not found"}"#),
            )
            .unwrap_err();
        let api = error.api_error().unwrap();
        assert_eq!(api.status(), 404);
        assert_eq!(api.message(), Some("Order not found"));
        assert_eq!(
            error.body().as_ref(),
            br#"{"success":false,"err":"Order not found"}"#
        );

        let error = u
            .parse_response(
                &config(),
                response(200, br#"{"success":false,"err":"nope"}"#),
            )
            .unwrap_err();
        assert_eq!(error.api_error().unwrap().message(), Some("nope"));
        assert_eq!(error.status(), 200);

        let error = u
            .parse_response(&config(), response(200, b"<html>oops</html>"))
            .unwrap_err();
        assert!(matches!(error, ResponseError::Malformed { .. }));
        assert_eq!(error.body().as_ref(), b"<html>oops</html>");

        let error = u
            .parse_response(&config(), response(200, br#"{"uuid":"u"}"#))
            .unwrap_err();
        match error {
            ResponseError::Malformed { message, body, .. } => {
                assert!(message.contains("status"), "{message}");
                assert_eq!(body.as_ref(), br#"{"uuid":"u"}"#);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_answer_about_another_order_is_refused() {
        let body: &[u8] = br#"{"uuid":"B","status":"paid","merchant_id":"1"}"#;
        let error = call("A")
            .parse_response(&config(), response(200, body))
            .unwrap_err();
        match &error {
            ResponseError::Mismatch {
                status,
                body: kept,
                source: AnswerMismatch::Order { asked, answered },
            } => {
                assert_eq!(*status, 200);
                assert_eq!(kept.as_ref(), body);
                assert_eq!((asked.as_str(), answered.as_str()), ("A", "B"));
            }
            other => panic!("{other:?}"),
        }
        let cause = std::error::Error::source(&error).unwrap().to_string();
        assert_eq!(
            cause,
            "it is about order \"B\", not order \"A\" that was asked for: a replayed or misrouted answer"
        );
        assert!(!error.to_string().contains(&cause), "{error}");
        // Exact: no trimming, no case folding.
        for other in ["a", "A ", "A/"] {
            assert!(
                call(other)
                    .parse_response(&config(), response(200, body))
                    .is_err()
            );
        }
    }

    #[test]
    fn every_id_name_is_compared() {
        for name in ["uuid", "token", "order_id", "id"] {
            let mine = format!(r#"{{"{name}":"A","status":"paid"}}"#);
            let theirs = format!(r#"{{"{name}":"B","status":"paid"}}"#);
            let parse =
                |body: String| call("A").parse_response(&config(), Response::new(body.into()));
            assert!(parse(mine).is_ok(), "{name}");
            assert!(
                matches!(parse(theirs), Err(ResponseError::Mismatch { .. })),
                "{name}"
            );
        }
        let numeric =
            call("42").parse_response(&config(), response(200, br#"{"id":42,"status":"paid"}"#));
        assert!(numeric.is_ok(), "{numeric:?}");
    }

    #[test]
    fn an_answer_for_another_merchant_is_refused() {
        let a = call("A");
        for same in [
            &br#"{"uuid":"A","status":"paid","merchant_id":"1"}"#[..],
            br#"{"uuid":"A","status":"paid","merchant_id":1}"#,
            br#"{"uuid":"A","status":"paid"}"#,
            br#"{"uuid":"A","status":"paid","merchant_id":null}"#,
        ] {
            assert!(
                a.parse_response(&config(), response(200, same)).is_ok(),
                "{}",
                String::from_utf8_lossy(same)
            );
        }
        let error = a
            .parse_response(
                &config(),
                response(200, br#"{"uuid":"A","status":"paid","merchant_id":"2"}"#),
            )
            .unwrap_err();
        match error {
            ResponseError::Mismatch {
                source: AnswerMismatch::Merchant { expected, answered },
                ..
            } => assert_eq!((expected.as_str(), answered.as_str()), ("1", "2")),
            other => panic!("{other:?}"),
        }
    }
}

//! The order status call: `GET /api/v1/orders/{uuid}?merchant_id=…`, answered with the signed
//! order object.

use bytes::Bytes;
use http::{Method, Response};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::config::ApiConfig;
use crate::endpoint::{Endpoint, parse_json_response};
use crate::error::{RequestError, ResponseError};
use crate::ids::OrderId;
use crate::order::Order;

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

    fn parse_response(response: Response<Bytes>) -> Result<Order, ResponseError> {
        parse_json_response(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MerchantId;
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

    #[test]
    fn response_parsing() {
        let order =
            OrderStatusRequest::parse_response(response(200, br#"{"uuid":"u","status":"paid"}"#))
                .unwrap();
        assert_eq!(order.status, OrderStatus::Paid);

        let error = OrderStatusRequest::parse_response(response(
            404,
            br#"{"success":false,"err":"Order not found"}"#,
        ))
        .unwrap_err();
        let api = error.api_error().unwrap();
        assert_eq!(api.status(), 404);
        assert_eq!(api.message(), Some("Order not found"));
        assert_eq!(
            error.body().as_ref(),
            br#"{"success":false,"err":"Order not found"}"#
        );

        let error =
            OrderStatusRequest::parse_response(response(200, br#"{"success":false,"err":"nope"}"#))
                .unwrap_err();
        assert_eq!(error.api_error().unwrap().message(), Some("nope"));
        assert_eq!(error.status(), 200);

        let error =
            OrderStatusRequest::parse_response(response(200, b"<html>oops</html>")).unwrap_err();
        assert!(matches!(error, ResponseError::Malformed { .. }));
        assert_eq!(error.body().as_ref(), b"<html>oops</html>");

        let error =
            OrderStatusRequest::parse_response(response(200, br#"{"uuid":"u"}"#)).unwrap_err();
        match error {
            ResponseError::Malformed { message, body, .. } => {
                assert!(message.contains("status"), "{message}");
                assert_eq!(body.as_ref(), br#"{"uuid":"u"}"#);
            }
            other => panic!("{other:?}"),
        }
    }
}

//! Creating a payin (the user pays the merchant): `POST /api/v1/orders/payins`.

use bytes::Bytes;
use http::{Method, Response};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::amount::Amount;
use crate::body::{MerchantIdJson, to_json};
use crate::config::ApiConfig;
use crate::currency::Currency;
use crate::deserialize::success_default;
use crate::endpoint::{Endpoint, parse_json_response};
use crate::error::{RequestError, ResponseError};
use crate::ids::{OrderId, OrderNumber};
use crate::validate::{check_email, check_order_amount, check_order_currency, optional_url};

/// A checked payin request. Build it with [`PayinRequest::builder`]; send it as an
/// [`Endpoint`] (the merchant id comes from the [`ApiConfig`]).
///
/// The body is, in this order: `merchant_id, amount, currency, callback_url, order_number,
/// redirect_success_url, redirect_fail_url, customer{client_id}`; absent optional URLs are
/// left out.
///
/// ```
/// use kukuruku_proto::{Amount, ApiConfig, Currency, Endpoint, MerchantId, PayinRequest};
/// let payin = PayinRequest::builder()
///     .amount(Amount::from_decimal("500", &Currency::Rub)?)
///     .currency(Currency::Rub)
///     .order_number("order-123")
///     .callback_url("https://your-site.com/callback")
///     .client_id("user@example.com")
///     .build()?;
/// let request = payin.to_request(&ApiConfig::new(MerchantId::new("1")?))?;
/// assert_eq!(
///     request.body().as_ref(),
///     br#"{"merchant_id":"1","amount":50000,"currency":"RUB","callback_url":"https://your-site.com/callback","order_number":"order-123","customer":{"client_id":"user@example.com"}}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayinRequest {
    amount: Amount,
    currency: Currency,
    callback_url: Option<Url>,
    order_number: OrderNumber,
    redirect_success_url: Option<Url>,
    redirect_fail_url: Option<Url>,
    client_id: String,
}

impl PayinRequest {
    /// Starts a payin request.
    pub fn builder() -> PayinRequestBuilder {
        PayinRequestBuilder::default()
    }

    /// The amount, above zero.
    pub fn amount(&self) -> Amount {
        self.amount
    }

    /// The currency (documented or opted into).
    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    /// Where Kukuruku posts the order's callbacks.
    pub fn callback_url(&self) -> Option<&Url> {
        self.callback_url.as_ref()
    }

    /// The merchant's order number.
    pub fn order_number(&self) -> &OrderNumber {
        &self.order_number
    }

    /// Where the user is sent after paying.
    pub fn redirect_success_url(&self) -> Option<&Url> {
        self.redirect_success_url.as_ref()
    }

    /// Where the user is sent when the payment fails.
    pub fn redirect_fail_url(&self) -> Option<&Url> {
        self.redirect_fail_url.as_ref()
    }

    /// The user's e-mail (`customer.client_id`).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}

/// Builds a [`PayinRequest`]; every check happens in [`PayinRequestBuilder::build`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct PayinRequestBuilder {
    amount: Option<Amount>,
    currency: Option<Currency>,
    callback_url: Option<String>,
    order_number: Option<String>,
    redirect_success_url: Option<String>,
    redirect_fail_url: Option<String>,
    client_id: Option<String>,
}

impl PayinRequestBuilder {
    /// The amount in minor units (required, above zero). See [`Amount::from_decimal`].
    pub fn amount(mut self, amount: Amount) -> Self {
        self.amount = Some(amount);
        self
    }

    /// The currency (required). An unknown currency is refused unless opted into with
    /// [`Currency::custom`] (D3).
    pub fn currency(mut self, currency: Currency) -> Self {
        self.currency = Some(currency);
        self
    }

    /// Where Kukuruku posts the order's callbacks (optional): an `https` URL, or `http` on a
    /// loopback host during development.
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// The merchant's order number (required, unique in the merchant's system). See
    /// [`OrderNumber::new`].
    pub fn order_number(mut self, order_number: impl Into<String>) -> Self {
        self.order_number = Some(order_number.into());
        self
    }

    /// Where the user is sent after paying (optional; same URL rules as the callback).
    pub fn redirect_success_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_success_url = Some(url.into());
        self
    }

    /// Where the user is sent when the payment fails (optional; same URL rules).
    pub fn redirect_fail_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_fail_url = Some(url.into());
        self
    }

    /// The user's e-mail address, sent as `customer.client_id` (required). Trimmed, then
    /// checked to look like an address: one `@`, something before it, a dotted domain after
    /// it, no spaces. The server does the real check.
    pub fn client_id(mut self, email: impl Into<String>) -> Self {
        self.client_id = Some(email.into());
        self
    }

    /// Checks every field, in wire order, and returns the first problem found.
    pub fn build(self) -> Result<PayinRequest, RequestError> {
        let amount = check_order_amount(self.amount)?;
        let currency = check_order_currency(self.currency)?;
        let callback_url = optional_url("callback_url", self.callback_url.as_deref())?;
        let order_number = OrderNumber::new(self.order_number.ok_or(RequestError::Missing {
            field: "order_number",
        })?)?;
        let redirect_success_url =
            optional_url("redirect_success_url", self.redirect_success_url.as_deref())?;
        let redirect_fail_url =
            optional_url("redirect_fail_url", self.redirect_fail_url.as_deref())?;
        let client_id = check_email(
            "client_id",
            &self
                .client_id
                .ok_or(RequestError::Missing { field: "client_id" })?,
        )?;
        Ok(PayinRequest {
            amount,
            currency,
            callback_url,
            order_number,
            redirect_success_url,
            redirect_fail_url,
            client_id,
        })
    }
}

#[derive(Serialize)]
struct PayinBody<'a> {
    merchant_id: MerchantIdJson<'a>,
    amount: Amount,
    currency: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    callback_url: Option<&'a str>,
    order_number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_success_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_fail_url: Option<&'a str>,
    customer: Customer<'a>,
}

#[derive(Serialize)]
struct Customer<'a> {
    client_id: &'a str,
}

impl Endpoint for PayinRequest {
    type Output = PayinCreated;
    const METHOD: Method = Method::POST;

    fn path(&self) -> String {
        "/api/v1/orders/payins".to_owned()
    }

    fn body(&self, config: &ApiConfig) -> Result<Option<Bytes>, RequestError> {
        to_json(&PayinBody {
            merchant_id: config.merchant_id_json()?,
            amount: self.amount,
            currency: self.currency.code(),
            callback_url: self.callback_url.as_ref().map(Url::as_str),
            order_number: self.order_number.as_str(),
            redirect_success_url: self.redirect_success_url.as_ref().map(Url::as_str),
            redirect_fail_url: self.redirect_fail_url.as_ref().map(Url::as_str),
            customer: Customer {
                client_id: &self.client_id,
            },
        })
        .map(Some)
    }

    fn parse_response(
        &self,
        _config: &ApiConfig,
        response: Response<Bytes>,
    ) -> Result<PayinCreated, ResponseError> {
        parse_json_response(response)
    }
}

/// Kukuruku's answer to a payin: the order's id and the page to send the user to.
///
/// Fields not listed are kept in `extra`. A missing `success` reads as `true`; a body with
/// `"success": false` never becomes a `PayinCreated` (it is a
/// [`ResponseError::Api`](crate::ResponseError::Api)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PayinCreated {
    /// `true`.
    #[serde(default = "success_default")]
    pub success: bool,
    /// KukuPay's id of the order: keep it to ask for the status.
    pub token: OrderId,
    /// The payment page: redirect the user there.
    pub url: String,
    /// Every other field of the answer.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl PayinCreated {
    /// An answer (as the sandbox sends it).
    pub fn new(token: OrderId, url: impl Into<String>) -> Self {
        Self {
            success: true,
            token,
            url: url.into(),
            extra: serde_json::Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{IdError, MerchantId};

    fn full() -> PayinRequestBuilder {
        PayinRequest::builder()
            .amount(Amount::new(50_000).unwrap())
            .currency(Currency::Rub)
            .callback_url("https://your-site.com/callback")
            .order_number("order-123")
            .redirect_success_url("https://your-site.com/success")
            .redirect_fail_url("https://your-site.com/fail")
            .client_id("user@example.com")
    }

    #[test]
    fn every_missing_field() {
        assert!(full().build().is_ok());
        let cases = [
            (
                PayinRequestBuilder {
                    amount: None,
                    ..full()
                },
                "amount",
            ),
            (
                PayinRequestBuilder {
                    currency: None,
                    ..full()
                },
                "currency",
            ),
            (
                PayinRequestBuilder {
                    order_number: None,
                    ..full()
                },
                "order_number",
            ),
            (
                PayinRequestBuilder {
                    client_id: None,
                    ..full()
                },
                "client_id",
            ),
        ];
        for (builder, field) in cases {
            assert_eq!(builder.build(), Err(RequestError::Missing { field }));
        }
    }

    #[test]
    fn every_invalid_value() {
        let cases = [
            (full().amount(Amount::ZERO), RequestError::ZeroAmount),
            (
                full().currency(Currency::Unknown("EUR".into())),
                RequestError::UnknownCurrency { code: "EUR".into() },
            ),
            (
                full().callback_url("http://your-site.com/callback"),
                RequestError::InsecureUrl {
                    field: "callback_url",
                    scheme: "http".into(),
                },
            ),
            (
                full().callback_url("your-site.com/callback"),
                RequestError::InvalidUrl {
                    field: "callback_url",
                    source: url::ParseError::RelativeUrlWithoutBase,
                },
            ),
            (
                full().order_number("  "),
                RequestError::InvalidId(IdError::Empty {
                    field: "order_number",
                }),
            ),
            (
                full().redirect_success_url("ftp://your-site.com/ok"),
                RequestError::InsecureUrl {
                    field: "redirect_success_url",
                    scheme: "ftp".into(),
                },
            ),
            (
                full().redirect_fail_url("https://u:p@your-site.com/fail"),
                RequestError::UrlWithCredentials {
                    field: "redirect_fail_url",
                },
            ),
            (
                full().client_id("not-an-email"),
                RequestError::InvalidEmail {
                    field: "client_id",
                    reason: "it must contain exactly one @",
                },
            ),
        ];
        for (builder, expected) in cases {
            assert_eq!(builder.build(), Err(expected));
        }
    }

    #[test]
    fn loopback_http_is_allowed_and_values_are_normalised() {
        let payin = full()
            .callback_url("http://127.0.0.1:3000/cb")
            .order_number(" order-123 ")
            .client_id(" user@example.com ")
            .currency(Currency::custom("EUR", 2).unwrap())
            .build()
            .unwrap();
        assert_eq!(
            payin.callback_url().unwrap().as_str(),
            "http://127.0.0.1:3000/cb"
        );
        assert_eq!(payin.order_number().as_str(), "order-123");
        assert_eq!(payin.client_id(), "user@example.com");
        assert_eq!(payin.currency().code(), "EUR");
        assert_eq!(payin.amount().minor_units(), 50_000);
        assert!(payin.redirect_success_url().is_some());
        assert!(payin.redirect_fail_url().is_some());
    }

    #[test]
    fn optional_urls_are_left_out() {
        let payin = PayinRequest::builder()
            .amount(Amount::new(1).unwrap())
            .currency(Currency::Usd)
            .order_number("n")
            .client_id("a@b.co")
            .build()
            .unwrap();
        let body = payin
            .body(&ApiConfig::new(MerchantId::new("m").unwrap()))
            .unwrap()
            .unwrap();
        assert_eq!(
            body.as_ref(),
            br#"{"merchant_id":"m","amount":1,"currency":"USD","order_number":"n","customer":{"client_id":"a@b.co"}}"#
        );
    }

    #[test]
    fn created_answer() {
        let created: PayinCreated = serde_json::from_str(
            r#"{"success":true,"token":"t-1","url":"https://pay.kukuruku.win/t-1","expires":5}"#,
        )
        .unwrap();
        assert!(created.success);
        assert_eq!(created.token.as_str(), "t-1");
        assert_eq!(created.url, "https://pay.kukuruku.win/t-1");
        assert_eq!(created.extra["expires"], 5);
        let without_success: PayinCreated =
            serde_json::from_str(r#"{"token":"t","url":"u"}"#).unwrap();
        assert!(without_success.success);
        assert!(serde_json::from_str::<PayinCreated>(r#"{"url":"u"}"#).is_err());
        let sent =
            serde_json::to_string(&PayinCreated::new(OrderId::new("t").unwrap(), "u")).unwrap();
        assert_eq!(sent, r#"{"success":true,"token":"t","url":"u"}"#);
    }
}

//! Creating a payout (the merchant pays a KukuPay user): `POST /api/v1/orders/payouts`.

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

/// A checked payout request. Build it with [`PayoutRequest::builder`]; send it as an
/// [`Endpoint`] (the merchant id comes from the [`ApiConfig`]).
///
/// The body is, in this order: `merchant_id, amount, currency, order_number, callback_url,
/// user_email`; an absent `callback_url` is left out. Kukuruku answers 400 when `user_email`
/// is not a KukuPay user.
///
/// ```
/// use kukuruku_proto::{Amount, ApiConfig, Currency, Endpoint, MerchantId, PayoutRequest};
/// let payout = PayoutRequest::builder()
///     .amount(Amount::from_decimal("100", &Currency::Usdt)?)
///     .currency(Currency::Usdt)
///     .order_number("payout-7")
///     .user_email("someuser@gmail.com")
///     .build()?;
/// let request = payout.to_request(&ApiConfig::new(MerchantId::new("1")?))?;
/// assert_eq!(
///     request.body().as_ref(),
///     br#"{"merchant_id":"1","amount":10000,"currency":"USDT","order_number":"payout-7","user_email":"someuser@gmail.com"}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutRequest {
    amount: Amount,
    currency: Currency,
    order_number: OrderNumber,
    callback_url: Option<Url>,
    user_email: String,
}

impl PayoutRequest {
    /// Starts a payout request.
    pub fn builder() -> PayoutRequestBuilder {
        PayoutRequestBuilder::default()
    }

    /// The amount, above zero.
    pub fn amount(&self) -> Amount {
        self.amount
    }

    /// The currency (documented or opted into).
    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    /// The merchant's order number.
    pub fn order_number(&self) -> &OrderNumber {
        &self.order_number
    }

    /// Where Kukuruku posts the order's callbacks.
    pub fn callback_url(&self) -> Option<&Url> {
        self.callback_url.as_ref()
    }

    /// The KukuPay user's e-mail.
    pub fn user_email(&self) -> &str {
        &self.user_email
    }
}

/// Builds a [`PayoutRequest`]; every check happens in [`PayoutRequestBuilder::build`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct PayoutRequestBuilder {
    amount: Option<Amount>,
    currency: Option<Currency>,
    order_number: Option<String>,
    callback_url: Option<String>,
    user_email: Option<String>,
}

impl PayoutRequestBuilder {
    /// The amount in minor units (required, above zero).
    pub fn amount(mut self, amount: Amount) -> Self {
        self.amount = Some(amount);
        self
    }

    /// The currency (required; an unknown one only via [`Currency::custom`], D3).
    pub fn currency(mut self, currency: Currency) -> Self {
        self.currency = Some(currency);
        self
    }

    /// The merchant's order number (required). See [`OrderNumber::new`].
    pub fn order_number(mut self, order_number: impl Into<String>) -> Self {
        self.order_number = Some(order_number.into());
        self
    }

    /// Where Kukuruku posts the order's callbacks (optional): `https`, or `http` on loopback.
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// The e-mail of the KukuPay user to pay (required; trimmed, checked like
    /// [`PayinRequestBuilder::client_id`](crate::PayinRequestBuilder::client_id)).
    pub fn user_email(mut self, email: impl Into<String>) -> Self {
        self.user_email = Some(email.into());
        self
    }

    /// Checks every field, in wire order, and returns the first problem found.
    pub fn build(self) -> Result<PayoutRequest, RequestError> {
        let amount = check_order_amount(self.amount)?;
        let currency = check_order_currency(self.currency)?;
        let order_number = OrderNumber::new(self.order_number.ok_or(RequestError::Missing {
            field: "order_number",
        })?)?;
        let callback_url = optional_url("callback_url", self.callback_url.as_deref())?;
        let user_email = check_email(
            "user_email",
            &self.user_email.ok_or(RequestError::Missing {
                field: "user_email",
            })?,
        )?;
        Ok(PayoutRequest {
            amount,
            currency,
            order_number,
            callback_url,
            user_email,
        })
    }
}

#[derive(Serialize)]
struct PayoutBody<'a> {
    merchant_id: MerchantIdJson<'a>,
    amount: Amount,
    currency: &'a str,
    order_number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    callback_url: Option<&'a str>,
    user_email: &'a str,
}

impl Endpoint for PayoutRequest {
    type Output = PayoutCreated;
    const METHOD: Method = Method::POST;

    fn path(&self) -> String {
        "/api/v1/orders/payouts".to_owned()
    }

    fn body(&self, config: &ApiConfig) -> Result<Option<Bytes>, RequestError> {
        to_json(&PayoutBody {
            merchant_id: config.merchant_id_json()?,
            amount: self.amount,
            currency: self.currency.code(),
            order_number: self.order_number.as_str(),
            callback_url: self.callback_url.as_ref().map(Url::as_str),
            user_email: &self.user_email,
        })
        .map(Some)
    }

    fn parse_response(
        &self,
        _config: &ApiConfig,
        response: Response<Bytes>,
    ) -> Result<PayoutCreated, ResponseError> {
        parse_json_response(response)
    }
}

/// Kukuruku's answer to a payout: the order's id. Fields not listed are kept in `extra`; a
/// missing `success` reads as `true`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PayoutCreated {
    /// `true`.
    #[serde(default = "success_default")]
    pub success: bool,
    /// KukuPay's id of the order.
    pub uuid: OrderId,
    /// Every other field of the answer.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl PayoutCreated {
    /// An answer (as the sandbox sends it).
    pub fn new(uuid: OrderId) -> Self {
        Self {
            success: true,
            uuid,
            extra: serde_json::Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> PayoutRequestBuilder {
        PayoutRequest::builder()
            .amount(Amount::new(500).unwrap())
            .currency(Currency::Rub)
            .order_number("p-1")
            .callback_url("https://your-site.com/callback")
            .user_email("someuser@gmail.com")
    }

    #[test]
    fn every_validation_error() {
        assert!(full().build().is_ok());
        let cases = [
            (
                PayoutRequestBuilder {
                    amount: None,
                    ..full()
                },
                RequestError::Missing { field: "amount" },
            ),
            (full().amount(Amount::ZERO), RequestError::ZeroAmount),
            (
                PayoutRequestBuilder {
                    currency: None,
                    ..full()
                },
                RequestError::Missing { field: "currency" },
            ),
            (
                full().currency(Currency::Unknown("BTC".into())),
                RequestError::UnknownCurrency { code: "BTC".into() },
            ),
            (
                PayoutRequestBuilder {
                    order_number: None,
                    ..full()
                },
                RequestError::Missing {
                    field: "order_number",
                },
            ),
            (
                full().callback_url("http://example.com/cb"),
                RequestError::InsecureUrl {
                    field: "callback_url",
                    scheme: "http".into(),
                },
            ),
            (
                PayoutRequestBuilder {
                    user_email: None,
                    ..full()
                },
                RequestError::Missing {
                    field: "user_email",
                },
            ),
            (
                full().user_email("@gmail.com"),
                RequestError::InvalidEmail {
                    field: "user_email",
                    reason: "there is nothing before the @",
                },
            ),
        ];
        for (builder, expected) in cases {
            assert_eq!(builder.build(), Err(expected));
        }
    }

    #[test]
    fn getters() {
        let payout = full().build().unwrap();
        assert_eq!(payout.amount().minor_units(), 500);
        assert_eq!(payout.currency(), &Currency::Rub);
        assert_eq!(payout.order_number().as_str(), "p-1");
        assert_eq!(
            payout.callback_url().unwrap().as_str(),
            "https://your-site.com/callback"
        );
        assert_eq!(payout.user_email(), "someuser@gmail.com");
    }

    #[test]
    fn created_answer() {
        let created: PayoutCreated =
            serde_json::from_str(r#"{"success":true,"uuid":"p-uuid","fee":3}"#).unwrap();
        assert_eq!(created.uuid.as_str(), "p-uuid");
        assert_eq!(created.extra["fee"], 3);
        assert!(serde_json::from_str::<PayoutCreated>(r#"{"success":true}"#).is_err());
        assert_eq!(
            serde_json::to_string(&PayoutCreated::new(OrderId::new("u").unwrap())).unwrap(),
            r#"{"success":true,"uuid":"u"}"#
        );
    }
}

//! The widget: a token for the customer's browser, the URL that carries it, the session's end,
//! and [`open_widget`](KunaClient::open_widget), the whole partner flow in one call.

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use kukuruku_tower::BoxError;
use serde::Serialize;
use tower_service::Service;

use super::KunaClient;
use super::wipe::{take_secret_string, wipe};
use crate::customer::{Customer, CustomerQuery, NewCustomer};
use crate::error::Error;
use crate::token::{RampToken, WidgetUrl};
use crate::validate::{self, Problem};

/// What [`KunaClient::open_widget`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WidgetSession {
    /// The customer, found by `externalId` or created.
    pub customer: Customer,
    /// Whether the customer was created by this call.
    pub created: bool,
    /// The widget token (redacted in `Debug`).
    pub token: RampToken,
    /// The URL to send the customer to (redacted in `Debug`).
    pub url: WidgetUrl,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomerRef<'a> {
    customer_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenRequest<'a> {
    customer_id: &'a str,
    user_agent: &'a str,
}

impl<S> KunaClient<S> {
    /// The widget URL for `token` on the configured widget host and institution id.
    pub fn widget_url(&self, token: &RampToken) -> Result<WidgetUrl, Error> {
        let institution = self.institution_id()?;
        Ok(token.widget_url_on(&self.inner.widget, institution)?)
    }

    fn institution_id(&self) -> Result<&str, Error> {
        self.inner.institution_id.as_deref().ok_or_else(|| {
            Error::Config(
                "no institution id: set it with `KunaClientBuilder::institution_id`".into(),
            )
        })
    }
}

impl<S, B> KunaClient<S>
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    /// `POST /v2/ramp/token`: a widget token for the customer. `user_agent` is the
    /// **customer's** browser `User-Agent` (from their request to you), not your server's.
    pub async fn ramp_token(
        &self,
        customer_id: &str,
        user_agent: &str,
    ) -> Result<RampToken, Error> {
        validate::not_blank("customerId", customer_id)?;
        validate::not_blank("userAgent", user_agent)?;
        let body = TokenRequest {
            customer_id,
            user_agent,
        };
        let (status, answer) = self.post_authenticated("v2/ramp/token", &body).await?;
        let token = take_secret_string(&answer, "/data/token");
        wipe(answer);
        match token {
            Ok(Some(token)) => Ok(RampToken::new(token)),
            Ok(None) => Err(Error::UnexpectedBody {
                status,
                reason: "no string at `data.token`".into(),
                body: Bytes::new(),
            }),
            Err(key) => Err(Error::DuplicateKey {
                status,
                key,
                body: Bytes::new(),
            }),
        }
    }

    /// `POST /v2/ramp/invalidate`: ends the customer's widget session; the widget URLs issued so
    /// far stop working. Call it when the customer logs out of your site.
    pub async fn invalidate(&self, customer_id: &str) -> Result<(), Error> {
        validate::not_blank("customerId", customer_id)?;
        self.post_authenticated("v2/ramp/invalidate", &CustomerRef { customer_id })
            .await
            .map(|_| ())
    }

    /// The whole partner flow in one call: find the customer by `externalId` (which
    /// `customer` must have), create it if Kuna has none, issue a widget token for the
    /// customer's browser `user_agent`, and build the widget URL. Call
    /// [`invalidate`](Self::invalidate) with `session.customer.id` on logout.
    pub async fn open_widget(
        &self,
        customer: &NewCustomer,
        user_agent: &str,
    ) -> Result<WidgetSession, Error> {
        customer.validate()?;
        self.institution_id()?;
        validate::not_blank("userAgent", user_agent)?;
        let external_id = customer
            .external_id()
            .ok_or(validate::err("externalId", Problem::Missing))?;
        let page = self
            .find_customers(&CustomerQuery::new().external_id(external_id).take(10))
            .await?;
        // Kuna's search may match loosely: keep the exact match only.
        let found = page
            .customers
            .into_iter()
            .find(|c| c.external_id.as_deref() == Some(external_id));
        let (customer, created) = match found {
            Some(c) => (c, false),
            None => (self.create_customer(customer).await?, true),
        };
        let token = self.ramp_token(&customer.id, user_agent).await?;
        let url = self.widget_url(&token)?;
        Ok(WidgetSession {
            customer,
            created,
            token,
            url,
        })
    }
}

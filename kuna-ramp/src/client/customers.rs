//! The customer calls: `POST /v2/customer/{create,update,details,find}`.

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use kukuruku_tower::BoxError;
use serde::Serialize;
use tower_service::Service;

use super::KunaClient;
use crate::customer::{Customer, CustomerPage, CustomerQuery, CustomerUpdate, NewCustomer};
use crate::error::Error;
use crate::validate;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ById<'a> {
    id: &'a str,
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
    /// `POST /v2/customer/create`: registers a customer with your KYC data.
    ///
    /// Kuna refuses an e-mail address it already has ([`Error::Api`], with Kuna's message).
    pub async fn create_customer(&self, customer: &NewCustomer) -> Result<Customer, Error> {
        customer.validate()?;
        self.call("v2/customer/create", customer).await
    }

    /// `POST /v2/customer/update`: changes the fields set in `update`.
    pub async fn update_customer(&self, update: &CustomerUpdate) -> Result<Customer, Error> {
        update.validate()?;
        self.call("v2/customer/update", update).await
    }

    /// `POST /v2/customer/details`: the customer `id`.
    pub async fn customer(&self, id: &str) -> Result<Customer, Error> {
        validate::not_blank("id", id)?;
        self.call("v2/customer/details", &ById { id }).await
    }

    /// `POST /v2/customer/find`: customers matching `query`, one page (`take`/`skip`).
    pub async fn find_customers(&self, query: &CustomerQuery) -> Result<CustomerPage, Error> {
        query.validate()?;
        self.call("v2/customer/find", query).await
    }
}

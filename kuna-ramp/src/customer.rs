//! Customers: the KYC data a partner ("institution") hands to Kuna, and what Kuna answers.
//!
//! Requests are built with setters and checked before they are sent ([`ValidationError`]);
//! answers are lenient: every field but `id` may be missing or `null`, and statuses keep values
//! this crate does not know.

use serde::{Deserialize, Deserializer, Serialize};

use crate::status::{VerificationStatus, WalletStatus};
use crate::validate::{self, Problem, ValidationError};

macro_rules! setters {
    ($( $(#[$doc:meta])* $name:ident ),+ $(,)?) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $name(mut self, value: impl Into<String>) -> Self {
                self.$name = Some(value.into());
                self
            }
        )+
    };
}

/// A customer to create (`POST /v2/customer/create`).
///
/// Required: `email`, `firstName`, `lastName`, `country`, `verificationDocumentId`,
/// `residenceAddress`. Optional: `phoneNumber`, `comment`, `externalId` (your own id for the
/// customer: set it, [`KunaClient::open_widget`](crate::KunaClient::open_widget) finds customers
/// by it), `referralId`, `itn`.
///
/// ```
/// let customer = kuna_ramp::NewCustomer::builder()
///     .email("viktor@example.com")
///     .first_name("Viktor")
///     .last_name("Tatov")
///     .country("UA")
///     .verification_document_id("1237654")
///     .residence_address("my street ap.12")
///     .external_id("user-42")
///     .build()?;
/// assert_eq!(customer.external_id(), Some("user-42"));
/// # Ok::<(), kuna_ramp::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewCustomer {
    email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<String>,
    first_name: String,
    last_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    referral_id: Option<String>,
    country: String,
    verification_document_id: String,
    residence_address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    itn: Option<String>,
}

impl NewCustomer {
    /// Starts a customer; [`NewCustomerBuilder::build`] checks it.
    pub fn builder() -> NewCustomerBuilder {
        NewCustomerBuilder::default()
    }

    /// The e-mail address.
    pub fn email(&self) -> &str {
        &self.email
    }

    /// Your own id for the customer, if set.
    pub fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }
}

/// Builds a [`NewCustomer`]; see there for the fields.
#[derive(Debug, Clone, Default)]
pub struct NewCustomerBuilder {
    email: Option<String>,
    phone_number: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    comment: Option<String>,
    external_id: Option<String>,
    referral_id: Option<String>,
    country: Option<String>,
    verification_document_id: Option<String>,
    residence_address: Option<String>,
    itn: Option<String>,
}

impl NewCustomerBuilder {
    setters! {
        /// `email` (required): unique per customer at Kuna.
        email,
        /// `phoneNumber`: E.164, e.g. `+380991234567`.
        phone_number,
        /// `firstName` (required).
        first_name,
        /// `lastName` (required).
        last_name,
        /// `comment`: free text for your records.
        comment,
        /// `externalId`: your own id for the customer.
        external_id,
        /// `referralId`.
        referral_id,
        /// `country` (required): ISO 3166-1 alpha-2, upper case (`UA`).
        country,
        /// `verificationDocumentId` (required): the id of the document you verified.
        verification_document_id,
        /// `residenceAddress` (required).
        residence_address,
        /// `itn`: the individual tax number.
        itn,
    }

    /// Checks every field and returns the customer, or the first field that Kuna would refuse.
    pub fn build(self) -> Result<NewCustomer, ValidationError> {
        let customer = NewCustomer {
            email: validate::required("email", self.email.as_deref())?.to_owned(),
            first_name: validate::required("firstName", self.first_name.as_deref())?.to_owned(),
            last_name: validate::required("lastName", self.last_name.as_deref())?.to_owned(),
            country: validate::required("country", self.country.as_deref())?.to_owned(),
            verification_document_id: validate::required(
                "verificationDocumentId",
                self.verification_document_id.as_deref(),
            )?
            .to_owned(),
            residence_address: validate::required(
                "residenceAddress",
                self.residence_address.as_deref(),
            )?
            .to_owned(),
            phone_number: self.phone_number,
            comment: self.comment,
            external_id: self.external_id,
            referral_id: self.referral_id,
            itn: self.itn,
        };
        customer.validate()?;
        Ok(customer)
    }
}

impl NewCustomer {
    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        validate::email("email", &self.email)?;
        validate::not_blank("firstName", &self.first_name)?;
        validate::not_blank("lastName", &self.last_name)?;
        validate::country("country", &self.country)?;
        validate::not_blank("verificationDocumentId", &self.verification_document_id)?;
        validate::not_blank("residenceAddress", &self.residence_address)?;
        if let Some(phone) = &self.phone_number {
            validate::phone("phoneNumber", phone)?;
        }
        validate::optional("comment", self.comment.as_deref())?;
        validate::optional("externalId", self.external_id.as_deref())?;
        validate::optional("referralId", self.referral_id.as_deref())?;
        validate::optional("itn", self.itn.as_deref())
    }
}

/// Changes to a customer (`POST /v2/customer/update`): the customer's `id` and only the fields
/// that change.
///
/// ```
/// let update = kuna_ramp::CustomerUpdate::new("d2f1a123").phone_number("+380991112233");
/// # let _ = update;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerUpdate {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    referral_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification_document_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    residence_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    itn: Option<String>,
}

impl CustomerUpdate {
    /// An update of the customer `id` (Kuna's `id`, the customerId); set the fields that change.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            email: None,
            phone_number: None,
            first_name: None,
            last_name: None,
            comment: None,
            external_id: None,
            referral_id: None,
            country: None,
            verification_document_id: None,
            residence_address: None,
            itn: None,
        }
    }

    setters! {
        /// New `email`.
        email,
        /// New `phoneNumber` (E.164).
        phone_number,
        /// New `firstName`.
        first_name,
        /// New `lastName`.
        last_name,
        /// New `comment`.
        comment,
        /// New `externalId`.
        external_id,
        /// New `referralId`.
        referral_id,
        /// New `country` (ISO 3166-1 alpha-2).
        country,
        /// New `verificationDocumentId`.
        verification_document_id,
        /// New `residenceAddress`.
        residence_address,
        /// New `itn`.
        itn,
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        validate::not_blank("id", &self.id)?;
        if let Some(email) = &self.email {
            validate::email("email", email)?;
        }
        if let Some(phone) = &self.phone_number {
            validate::phone("phoneNumber", phone)?;
        }
        if let Some(country) = &self.country {
            validate::country("country", country)?;
        }
        for (field, value) in [
            ("firstName", &self.first_name),
            ("lastName", &self.last_name),
            ("comment", &self.comment),
            ("externalId", &self.external_id),
            ("referralId", &self.referral_id),
            ("verificationDocumentId", &self.verification_document_id),
            ("residenceAddress", &self.residence_address),
            ("itn", &self.itn),
        ] {
            validate::optional(field, value.as_deref())?;
        }
        let changes = [
            &self.email,
            &self.phone_number,
            &self.first_name,
            &self.last_name,
            &self.comment,
            &self.external_id,
            &self.referral_id,
            &self.country,
            &self.verification_document_id,
            &self.residence_address,
            &self.itn,
        ];
        if changes.iter().all(|c| c.is_none()) {
            return Err(validate::err("id", Problem::NothingToUpdate));
        }
        Ok(())
    }
}

/// A search for customers (`POST /v2/customer/find`); every filter is optional, and `take` /
/// `skip` page through the results.
///
/// ```
/// let query = kuna_ramp::CustomerQuery::new().external_id("user-42").take(1);
/// # let _ = query;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wallet_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    referral_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    take: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skip: Option<u32>,
}

impl CustomerQuery {
    /// A search with no filter (all customers, Kuna's default page).
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// Filter on `email`.
        email,
        /// Filter on `walletId`.
        wallet_id,
        /// Filter on `phoneNumber`.
        phone_number,
        /// Filter on `fullName` (first and last name).
        full_name,
        /// Filter on `comment`.
        comment,
        /// Filter on `externalId`.
        external_id,
        /// Filter on `referralId`.
        referral_id,
        /// Created at or after this ISO 8601 time (`createdFrom`).
        created_from,
        /// Created at or before this ISO 8601 time (`createdTo`).
        created_to,
    }

    /// At most this many customers (`take`, at least 1).
    #[must_use]
    pub fn take(mut self, take: u32) -> Self {
        self.take = Some(take);
        self
    }

    /// Skip this many customers first (`skip`).
    #[must_use]
    pub fn skip(mut self, skip: u32) -> Self {
        self.skip = Some(skip);
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        for (field, value) in [
            ("email", &self.email),
            ("walletId", &self.wallet_id),
            ("phoneNumber", &self.phone_number),
            ("fullName", &self.full_name),
            ("comment", &self.comment),
            ("externalId", &self.external_id),
            ("referralId", &self.referral_id),
            ("createdFrom", &self.created_from),
            ("createdTo", &self.created_to),
        ] {
            validate::optional(field, value.as_deref())?;
        }
        if self.take == Some(0) {
            return Err(validate::err("take", Problem::ZeroTake));
        }
        Ok(())
    }
}

/// A customer as Kuna answers it. `id` is the customerId used by the other calls; ids are opaque
/// strings. Fields Kuna leaves out or sends as `null` are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Customer {
    /// The customerId.
    pub id: String,
    /// `email`.
    #[serde(default)]
    pub email: Option<String>,
    /// `walletId`.
    #[serde(default)]
    pub wallet_id: Option<String>,
    /// `phoneNumber`.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// `firstName`.
    #[serde(default)]
    pub first_name: Option<String>,
    /// `lastName`.
    #[serde(default)]
    pub last_name: Option<String>,
    /// `comment`.
    #[serde(default)]
    pub comment: Option<String>,
    /// `externalId`: your id for the customer.
    #[serde(default)]
    pub external_id: Option<String>,
    /// `createdAt`, ISO 8601 as Kuna sent it.
    #[serde(default)]
    pub created_at: Option<String>,
    /// `referralId`.
    #[serde(default)]
    pub referral_id: Option<String>,
    /// `verificationStatus`.
    #[serde(default)]
    pub verification_status: Option<VerificationStatus>,
    /// `walletStatus`.
    #[serde(default)]
    pub wallet_status: Option<WalletStatus>,
}

/// One page of a [`CustomerQuery`].
///
/// Kuna does not publish the shape of `find`'s `data`: this accepts a bare array of customers,
/// or an object holding one under `items`, `customers`, `rows`, `data` or `list`, with an
/// optional `total` or `count`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CustomerPage {
    /// The customers on this page.
    pub customers: Vec<Customer>,
    /// How many customers match in all, when Kuna says.
    pub total: Option<u64>,
}

impl<'de> Deserialize<'de> for CustomerPage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Shape {
            List(Vec<Customer>),
            Wrapped {
                #[serde(alias = "customers", alias = "rows", alias = "data", alias = "list")]
                items: Vec<Customer>,
                #[serde(default, alias = "count")]
                total: Option<u64>,
            },
        }
        Ok(match Shape::deserialize(deserializer)? {
            Shape::List(customers) => Self {
                customers,
                total: None,
            },
            Shape::Wrapped { items, total } => Self {
                customers: items,
                total,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> NewCustomerBuilder {
        NewCustomer::builder()
            .email("viktor@example.com")
            .phone_number("+380991234567")
            .first_name("Viktor")
            .last_name("Tatov")
            .comment("Customer of our test program")
            .external_id("abc12345-def6-7890-ghij-klmnopqrstuv")
            .referral_id("wxzy9876-5432-1abc-def0-ghijklmnopqr")
            .country("UA")
            .verification_document_id("1237654")
            .residence_address("my street ap.12")
            .itn("1237654")
    }

    #[test]
    fn create_body_is_the_documented_camel_case() {
        let body = serde_json::to_value(full().build().unwrap()).unwrap();
        let seed = serde_json::json!({ "email": "viktor@example.com", "phoneNumber": "+380991234567",
            "firstName": "Viktor", "lastName": "Tatov", "comment": "Customer of our test program",
            "externalId": "abc12345-def6-7890-ghij-klmnopqrstuv",
            "referralId": "wxzy9876-5432-1abc-def0-ghijklmnopqr", "country": "UA",
            "verificationDocumentId": "1237654", "residenceAddress": "my street ap.12", "itn": "1237654" });
        assert_eq!(body, seed);
    }

    #[test]
    fn optional_fields_are_left_out_not_null() {
        let c = NewCustomer::builder()
            .email("a@b.co")
            .first_name("A")
            .last_name("B")
            .country("PL")
            .verification_document_id("1")
            .residence_address("x")
            .build()
            .unwrap();
        let text = serde_json::to_string(&c).unwrap();
        assert!(
            !text.contains("null") && !text.contains("phoneNumber"),
            "{text}"
        );
    }

    #[test]
    fn each_required_field_is_reported_missing() {
        type Drop = fn(NewCustomerBuilder) -> NewCustomerBuilder;
        let cases: [(&str, Drop); 6] = [
            ("email", |b| NewCustomerBuilder { email: None, ..b }),
            ("firstName", |b| NewCustomerBuilder {
                first_name: None,
                ..b
            }),
            ("lastName", |b| NewCustomerBuilder {
                last_name: None,
                ..b
            }),
            ("country", |b| NewCustomerBuilder { country: None, ..b }),
            ("verificationDocumentId", |b| NewCustomerBuilder {
                verification_document_id: None,
                ..b
            }),
            ("residenceAddress", |b| NewCustomerBuilder {
                residence_address: None,
                ..b
            }),
        ];
        for (field, drop) in cases {
            let err = drop(full()).build().unwrap_err();
            assert_eq!(err, validate::err(field, Problem::Missing));
        }
    }

    #[test]
    fn update_and_query_checks() {
        assert_eq!(
            CustomerUpdate::new("id-1").validate(),
            Err(validate::err("id", Problem::NothingToUpdate))
        );
        assert_eq!(
            CustomerUpdate::new("").comment("x").validate(),
            Err(validate::err("id", Problem::Empty))
        );
        assert_eq!(
            CustomerUpdate::new("id-1").country("Ukraine").validate(),
            Err(validate::err("country", Problem::InvalidCountry))
        );
        let body = serde_json::to_value(CustomerUpdate::new("id-1").phone_number("+380991112233"))
            .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"id": "id-1", "phoneNumber": "+380991112233"})
        );
        assert_eq!(
            CustomerQuery::new().take(0).validate(),
            Err(validate::err("take", Problem::ZeroTake))
        );
        let q = serde_json::to_value(
            CustomerQuery::new()
                .full_name("Viktor Tatov")
                .take(5)
                .skip(10),
        )
        .unwrap();
        assert_eq!(
            q,
            serde_json::json!({"fullName": "Viktor Tatov", "take": 5, "skip": 10})
        );
    }

    #[test]
    fn customer_parses_the_seed_answer_nulls_and_unknown_statuses() {
        let seed = r#"{ "id": "d2f1a123-4567-8901-bcde-f23456789abc", "email": "[email protected]", "walletId": "d2f1a123-4567-8901-bcde-f23456789abc", "phoneNumber": "+380991112233", "firstName": "Viktor", "lastName": "Tatov", "comment": "Customer of our test program", "externalId": "mnopqr12-3456-7890-abcd-efghijklmnop", "createdAt": "2024-11-01T08:01:19.952Z", "referralId": "stu56789-0123-4abc-def4-ghijklmnopqr", "verificationStatus": "ACCEPTED", "walletStatus": "Active" }"#;
        let c: Customer = serde_json::from_str(seed).unwrap();
        assert_eq!(c.id, "d2f1a123-4567-8901-bcde-f23456789abc");
        assert_eq!(c.verification_status, Some(VerificationStatus::Accepted));
        assert_eq!(c.wallet_status, Some(WalletStatus::Active));

        let odd = r#"{"id":"x","comment":null,"phoneNumber":null,"referralId":null,
            "walletStatus":"Frozen","verificationStatus":"PENDING_REVIEW","newField":1}"#;
        let c: Customer = serde_json::from_str(odd).unwrap();
        assert_eq!(c.comment, None);
        assert_eq!(
            c.wallet_status,
            Some(WalletStatus::Unknown("Frozen".into()))
        );
        assert_eq!(
            c.verification_status,
            Some(VerificationStatus::Unknown("PENDING_REVIEW".into()))
        );
    }

    #[test]
    fn pages_in_either_shape() {
        let list: CustomerPage = serde_json::from_str(r#"[{"id":"a"},{"id":"b"}]"#).unwrap();
        assert_eq!(list.customers.len(), 2);
        assert_eq!(list.total, None);
        let wrapped: CustomerPage =
            serde_json::from_str(r#"{"items":[{"id":"a"}],"total":7}"#).unwrap();
        assert_eq!(
            (wrapped.customers[0].id.as_str(), wrapped.total),
            ("a", Some(7))
        );
        let rows: CustomerPage = serde_json::from_str(r#"{"rows":[],"count":0}"#).unwrap();
        assert_eq!(rows.total, Some(0));
    }
}

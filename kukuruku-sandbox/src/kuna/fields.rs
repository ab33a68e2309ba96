//! The fields of a customer request body: a JSON object, string fields, the required ones, and
//! their formats (e-mail, phone number, country code).

use http::StatusCode;
use serde_json::{Map, Value};

use super::answer::{Fail, fail};
use crate::json_object::{JsonObjectError, json_object};

/// Fields a partner sends on create/update.
pub(super) const INPUT_FIELDS: [&str; 11] = [
    "email",
    "phoneNumber",
    "firstName",
    "lastName",
    "comment",
    "externalId",
    "referralId",
    "country",
    "verificationDocumentId",
    "residenceAddress",
    "itn",
];
/// Fields a new customer must have.
pub(super) const REQUIRED: [&str; 6] = [
    "email",
    "firstName",
    "lastName",
    "country",
    "verificationDocumentId",
    "residenceAddress",
];

/// The JSON object body, or a 400 (a key given twice is refused, naming it).
pub(super) fn object(body: &[u8]) -> Result<Map<String, Value>, Fail> {
    match json_object(body) {
        Ok(map) => Ok(map),
        Err(err @ JsonObjectError::DuplicateKey(_)) => {
            Err(fail(StatusCode::BAD_REQUEST, &err.to_string()))
        }
        Err(_) => Err(fail(StatusCode::BAD_REQUEST, "Body must be a JSON object")),
    }
}

/// A string field: `Ok(None)` when absent or null; 400 when not a string.
pub(super) fn string<'a>(
    body: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, Fail> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(fail(
            StatusCode::BAD_REQUEST,
            &format!("{field} must be a string"),
        )),
    }
}

/// A string field that must be there and not blank; 400 otherwise.
pub(super) fn required<'a>(body: &'a Map<String, Value>, field: &str) -> Result<&'a str, Fail> {
    match string(body, field)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(fail(
            StatusCode::BAD_REQUEST,
            &format!("{field} should not be empty"),
        )),
    }
}

/// Format checks on whichever input fields are present.
pub(super) fn check_formats(body: &Map<String, Value>) -> Result<(), Fail> {
    for field in INPUT_FIELDS {
        if let Some(value) = string(body, field)?
            && value.trim().is_empty()
        {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                &format!("{field} should not be empty"),
            ));
        }
    }
    if let Some(email) = string(body, "email")? {
        let valid = email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
        if !valid {
            return Err(fail(StatusCode::BAD_REQUEST, "email must be an email"));
        }
    }
    if let Some(phone) = string(body, "phoneNumber")? {
        let digits = phone.strip_prefix('+').unwrap_or("");
        if !(7..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "phoneNumber must be a valid phone number",
            ));
        }
    }
    if let Some(country) = string(body, "country")?
        && (country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "country must be a valid ISO31661 Alpha2 code",
        ));
    }
    Ok(())
}

//! The payments API (PROTOCOL 1.3): create payin, create payout, order status.
//!
//! Request signatures are verified over the raw bytes received, before parsing, with the SDK's
//! own `kukuruku_sign::Verifier` (one key per merchant: the key that matched says which merchant
//! signed); the GET is verified over its D1 input.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use http::header::HeaderValue;
use http::{HeaderMap, Request, StatusCode, Uri};
use kukuruku_proto::{
    Amount, Currency, IdError, MAX_ID_LEN, MerchantId, OrderNumber, OrderType, PayinCreated,
    PayoutCreated,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{documented_currency, email_problem};
use crate::routes::signed::{bodyless_input, invalid_signature, read_signed, signature_header};
use crate::state::{CreateError, MerchantEntry, NewOrder, Shared};
use crate::util::{json_error, json_response};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/v1/orders/payins", post(create_payin))
        .route("/api/v1/orders/payouts", post(create_payout))
        .route("/api/v1/orders/{uuid}", get(order_status))
}

/// `POST /api/v1/orders/payins`.
async fn create_payin(State(shared): State<Arc<Shared>>, request: Request<Body>) -> Response {
    let (key_index, body) = match read_signed(&shared, request).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let new = match parse_payin(&shared, key_index, &body) {
        Ok(new) => new,
        Err(message) => return bad_request(&message),
    };
    match shared.create_order(new) {
        Ok(created) => {
            if created.repeat {
                tracing::info!(uuid = %created.order.uuid, "repeated request: the same order is returned");
            }
            let url = format!("{}/pay/{}", shared.base_url, created.order.uuid);
            let answer = PayinCreated::new(created.order.uuid, url);
            json_response(StatusCode::OK, to_json(&answer))
        }
        Err(err) => create_error(&err),
    }
}

/// `POST /api/v1/orders/payouts`.
async fn create_payout(State(shared): State<Arc<Shared>>, request: Request<Body>) -> Response {
    let (key_index, body) = match read_signed(&shared, request).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let new = match parse_payout(&shared, key_index, &body) {
        Ok(new) => new,
        Err(message) => return bad_request(&message),
    };
    match shared.create_order(new) {
        Ok(created) => {
            if created.repeat {
                tracing::info!(uuid = %created.order.uuid, "repeated request: the same order is returned");
            }
            let answer = PayoutCreated::new(created.order.uuid);
            json_response(StatusCode::OK, to_json(&answer))
        }
        Err(err) => create_error(&err),
    }
}

/// `GET /api/v1/orders/{uuid}?merchant_id=...`, signed as PROTOCOL D1 says; the answer is the
/// order object, signed with the merchant's secret over the exact bytes sent.
async fn order_status(
    State(shared): State<Arc<Shared>>,
    Path(uuid): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let query_id = uri.query().and_then(|query| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "merchant_id")
            .map(|(_, value)| value.into_owned())
    });
    let Some(header) = signature_header(&headers) else {
        return invalid_signature();
    };
    let claimed = query_id.as_deref().and_then(|id| MerchantId::new(id).ok());
    let Some(input) = bodyless_input(&shared, claimed.as_ref()) else {
        return invalid_signature();
    };
    let Ok(matched) = shared.verifier.verify(&input, header) else {
        return invalid_signature();
    };
    let Some(query_id) = query_id else {
        return bad_request(
            "merchant_id is missing: send it as a query parameter, GET /api/v1/orders/{uuid}?merchant_id=ID (PROTOCOL D1)",
        );
    };
    let merchant = match signing_merchant(&shared, matched.index(), &query_id) {
        Ok(merchant) => merchant,
        Err(message) => return bad_request(&message),
    };
    let order = shared
        .order(&uuid)
        .filter(|order| order.merchant_id == merchant.id);
    let Some(order) = order else {
        return json_error(
            StatusCode::NOT_FOUND,
            &format!("no order {uuid:?} for merchant {:?}", merchant.id.as_str()),
        );
    };
    let body = order.to_json();
    let signature = merchant.signer.sign(&body).to_hex();
    let mut response = json_response(StatusCode::OK, body);
    if let Ok(value) = HeaderValue::from_str(signature.as_str()) {
        response
            .headers_mut()
            .insert(kukuruku_sign::HEADER_NAME, value);
    }
    response
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Plain structs of strings and booleans (their `extra` maps are empty): serialising cannot
    // fail.
    serde_json::to_vec(value).unwrap_or_default()
}

fn bad_request(message: &str) -> Response {
    json_error(StatusCode::BAD_REQUEST, message)
}

fn create_error(err: &CreateError) -> Response {
    match err {
        CreateError::Conflict(existing) => json_error(
            StatusCode::CONFLICT,
            &format!(
                "order_number {:?} is already used by {} {} with different content: use a new order_number, or repeat the original request exactly",
                existing.order_number.as_str(),
                existing.order_type,
                existing.uuid
            ),
        ),
        CreateError::UnknownUser(email) => bad_request(&format!(
            "user_email {email:?} is not a KukuPay user: payouts go to registered KukuPay users only"
        )),
        CreateError::Id(err) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("the sandbox could not make an order id: {err}"),
        ),
    }
}

/// The merchant whose key signed the request, checked against the `merchant_id` it sent.
fn signing_merchant<'a>(
    shared: &'a Shared,
    index: usize,
    claimed: &str,
) -> Result<&'a MerchantEntry, String> {
    let signer = shared
        .merchant(index)
        .ok_or_else(|| "the signing key belongs to no merchant".to_owned())?;
    if let Ok(claimed_id) = MerchantId::new(claimed) {
        if signer.id == claimed_id {
            return Ok(signer);
        }
        // Two merchants may share a secret (unusual, but possible in a sandbox): accept the
        // claimed one when its key is the one that verified.
        if let Some(claimed_merchant) = shared.merchant_by_id(&claimed_id) {
            if claimed_merchant.key == signer.key {
                return Ok(claimed_merchant);
            }
        }
    }
    Err(format!(
        "merchant_id {claimed:?} does not match the secret key that signed the request (that key is merchant {:?}'s)",
        signer.id.as_str()
    ))
}

pub(crate) fn parse_object(body: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the body must be a JSON object".to_owned()),
        Err(err) => Err(format!("the body is not valid JSON: {err}")),
    }
}

fn parse_payin(shared: &Shared, key_index: usize, body: &[u8]) -> Result<NewOrder, String> {
    let map = parse_object(body)?;
    let merchant_id = merchant_id(&map)?;
    let merchant = signing_merchant(shared, key_index, merchant_id.as_str())?;
    let amount = amount(&map)?;
    let currency = currency(&map)?;
    let callback_url = optional_url(&map, "callback_url")?;
    let order_number = order_number(&map)?;
    let redirect_success_url = optional_url(&map, "redirect_success_url")?;
    let redirect_fail_url = optional_url(&map, "redirect_fail_url")?;
    let customer = match map.get("customer") {
        None | Some(Value::Null) => {
            return Err(
                "customer is missing: send \"customer\":{\"client_id\":\"<the user's e-mail>\"}"
                    .to_owned(),
            );
        }
        Some(Value::Object(customer)) => customer,
        Some(_) => {
            return Err(
                "customer must be an object: \"customer\":{\"client_id\":\"<the user's e-mail>\"}"
                    .to_owned(),
            );
        }
    };
    let email = email(customer.get("client_id"), "customer.client_id")?;
    Ok(NewOrder {
        order_type: OrderType::Payin,
        merchant_id: merchant.id.clone(),
        order_number,
        amount,
        currency,
        callback_url,
        redirect_success_url,
        redirect_fail_url,
        email,
    })
}

fn parse_payout(shared: &Shared, key_index: usize, body: &[u8]) -> Result<NewOrder, String> {
    let map = parse_object(body)?;
    let merchant_id = merchant_id(&map)?;
    let merchant = signing_merchant(shared, key_index, merchant_id.as_str())?;
    let amount = amount(&map)?;
    let currency = currency(&map)?;
    let order_number = order_number(&map)?;
    let callback_url = optional_url(&map, "callback_url")?;
    let email = email(map.get("user_email"), "user_email")?;
    Ok(NewOrder {
        order_type: OrderType::Payout,
        merchant_id: merchant.id.clone(),
        order_number,
        amount,
        currency,
        callback_url,
        redirect_success_url: None,
        redirect_fail_url: None,
        email,
    })
}

/// `merchant_id`: a string (PROTOCOL D7), or an integer as older clients send it; a valid
/// [`MerchantId`].
fn merchant_id(map: &Map<String, Value>) -> Result<MerchantId, String> {
    match map.get("merchant_id") {
        None | Some(Value::Null) => {
            Err("merchant_id is missing: every request body carries the merchant's id".to_owned())
        }
        Some(value) => MerchantId::deserialize(value).map_err(|err| {
            format!("merchant_id must be the merchant's id as a string, got {value} ({err})")
        }),
    }
}

/// `amount`: a JSON integer above zero, at most [`Amount::MAX`] (never text, never a fraction).
pub(crate) fn amount(map: &Map<String, Value>) -> Result<Amount, String> {
    const HINT: &str =
        "an integer number of the smallest currency unit (e.g. 50000 for 500.00 RUB)";
    let value = match map.get("amount") {
        None | Some(Value::Null) => return Err(format!("amount is missing: send {HINT}")),
        Some(value) => value,
    };
    let Value::Number(number) = value else {
        return Err(format!("amount must be {HINT}, got {value}"));
    };
    if let Some(units) = number.as_u64() {
        if units == 0 {
            return Err(format!("amount must be greater than 0, got {number}"));
        }
        return Amount::new(units).map_err(|_| {
            format!(
                "amount must be at most {} (2^53 - 1, JavaScript's safe integer range), got {number}",
                Amount::MAX.minor_units()
            )
        });
    }
    if number.as_i64().is_some() {
        return Err(format!("amount must be greater than 0, got {number}"));
    }
    Err(format!(
        "amount must be {HINT}, not a fraction, got {number}"
    ))
}

/// `currency`: one of the documented codes, exactly (`RUB`, `USD`, `USDT`).
pub(crate) fn currency(map: &Map<String, Value>) -> Result<Currency, String> {
    match map.get("currency") {
        None | Some(Value::Null) => Err("currency is missing: send RUB, USD or USDT".to_owned()),
        Some(Value::String(code)) => documented_currency(code)
            .ok_or_else(|| format!("currency {code:?} is not supported: use RUB, USD or USDT")),
        Some(other) => Err(format!(
            "currency must be a string (RUB, USD or USDT), got {other}"
        )),
    }
}

/// `order_number`: a string, a valid [`OrderNumber`].
fn order_number(map: &Map<String, Value>) -> Result<OrderNumber, String> {
    match map.get("order_number") {
        None | Some(Value::Null) => {
            Err("order_number is missing: send your own unique number for this order".to_owned())
        }
        Some(Value::String(number)) => OrderNumber::new(number).map_err(|err| match err {
            IdError::Empty { .. } => "order_number must not be empty".to_owned(),
            IdError::TooLong { .. } => {
                format!("order_number must be at most {MAX_ID_LEN} bytes long")
            }
            other => other.to_string(),
        }),
        Some(other) => Err(format!("order_number must be a string, got {other}")),
    }
}

pub(crate) fn optional_url(
    map: &Map<String, Value>,
    field: &str,
) -> Result<Option<String>, String> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => match url::Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
                Ok(Some(text.clone()))
            }
            _ => Err(format!(
                "{field} must be an absolute http(s) URL, got {text:?}"
            )),
        },
        Some(other) => Err(format!("{field} must be a URL string, got {other}")),
    }
}

fn email(value: Option<&Value>, field: &str) -> Result<String, String> {
    match value {
        None | Some(Value::Null) => Err(format!(
            "{field} is missing: send the user's e-mail address"
        )),
        Some(Value::String(text)) => match email_problem(text) {
            None => Ok(text.clone()),
            Some(problem) => Err(format!(
                "{field} must be the user's e-mail address, got {text:?}: {problem}"
            )),
        },
        Some(other) => Err(format!(
            "{field} must be an e-mail address string, got {other}"
        )),
    }
}

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
use kukuruku_proto::{MerchantId, OrderType, PayinCreated, PayoutCreated};
use serde::Serialize;
use serde_json::Value;

use super::fields::{
    amount, currency, email, merchant_id, optional_url, order_number, parse_object,
};
use super::signed::{bodyless_input, invalid_signature, read_signed, signature_header};
use super::state::{CreateError, MerchantEntry, NewOrder, PaymentsState};
use crate::response::{json_error, json_response};

pub(super) fn routes() -> Router<Arc<PaymentsState>> {
    Router::new()
        .route("/api/v1/orders/payins", post(create_payin))
        .route("/api/v1/orders/payouts", post(create_payout))
        .route("/api/v1/orders/{uuid}", get(order_status))
}

/// `POST /api/v1/orders/payins`.
async fn create_payin(
    State(shared): State<Arc<PaymentsState>>,
    request: Request<Body>,
) -> Response {
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
async fn create_payout(
    State(shared): State<Arc<PaymentsState>>,
    request: Request<Body>,
) -> Response {
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
    State(shared): State<Arc<PaymentsState>>,
    Path(uuid): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let mut query_ids = uri.query().into_iter().flat_map(|query| {
        form_urlencoded::parse(query.as_bytes())
            .filter(|(name, _)| name == "merchant_id")
            .map(|(_, value)| value.into_owned())
    });
    let query_id = query_ids.next();
    // Readers disagree on which of two values counts (first, last, both): refuse, as for a
    // duplicate JSON key.
    if query_ids.next().is_some() {
        return bad_request(
            "merchant_id is given more than once in the query: send it once, GET /api/v1/orders/{uuid}?merchant_id=ID (PROTOCOL D1)",
        );
    }
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
    shared: &'a PaymentsState,
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
        if let Some(claimed_merchant) = shared.merchant_by_id(&claimed_id)
            && claimed_merchant.key == signer.key
        {
            return Ok(claimed_merchant);
        }
    }
    Err(format!(
        "merchant_id {claimed:?} does not match the secret key that signed the request (that key is merchant {:?}'s)",
        signer.id.as_str()
    ))
}

fn parse_payin(shared: &PaymentsState, key_index: usize, body: &[u8]) -> Result<NewOrder, String> {
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

fn parse_payout(shared: &PaymentsState, key_index: usize, body: &[u8]) -> Result<NewOrder, String> {
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

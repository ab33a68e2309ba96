//! The "Play" button (PROTOCOL 3): `POST /sandbox/play` (unsigned, test control), which does what
//! the button on kukuruku.win does, and the redirect it answers, where the browser lands on the
//! merchant (the auto-login parameters, [`play_redirect_url`]). It creates **and pays** a payin
//! for a user to a merchant, sends its callback, and answers the merchant's URL with the
//! auto-login parameters.
//!
//! Body: `{"email","amount","currency","merchant_url"}`, and optionally `"merchant_id"` (needed
//! when the sandbox has several merchants) and `"callback_url"` (default: the merchant's
//! [`Merchant::callback_url`](crate::Merchant::callback_url)). Answer 200:
//! `{"order_id":"<uuid>","redirect":"<merchant_url>?auto_login=true&joker_login=true&custom4=<issuer>&order_id=<uuid>&custom2=<uuid>&sub_id5=<user uuid>&custom1=true&custom3=true"}`.
//! A user who is not a KukuPay user, a bad URL, amount or currency: 400 with a D6 body.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use http::StatusCode;
use kukuruku_proto::{MerchantId, OrderNumber, OrderStatus, OrderType};
use serde_json::{Map, Value, json};
use url::Url;

use super::fields::{amount, currency, optional_url, parse_object};
use super::state::{MerchantEntry, NewOrder, PaymentsState};
use crate::body_limit::LimitedBody;
use crate::idp::IdpError;
use crate::random::new_uuid;
use crate::response::{json_error, json_response};

pub(super) fn routes() -> Router<Arc<PaymentsState>> {
    Router::new().route("/sandbox/play", post(play))
}

async fn play(
    State(shared): State<Arc<PaymentsState>>,
    LimitedBody(body): LimitedBody,
) -> Response {
    match run(&shared, &body) {
        Ok(answer) => json_response(StatusCode::OK, answer.to_string()),
        Err((status, message)) => json_error(status, &message),
    }
}

type Refusal = (StatusCode, String);

fn bad(message: String) -> Refusal {
    (StatusCode::BAD_REQUEST, message)
}

fn run(shared: &Arc<PaymentsState>, body: &[u8]) -> Result<Value, Refusal> {
    let map = parse_object(body).map_err(bad)?;
    let email = text(&map, "email")?;
    let user = shared.users.find(email).ok_or_else(|| {
        bad(format!(
            "email {email:?} is not a KukuPay user: add it first (POST /sandbox/users)"
        ))
    })?;
    let amount = amount(&map).map_err(bad)?;
    let currency = currency(&map).map_err(bad)?;
    let merchant_url = text(&map, "merchant_url")?;
    if optional_url(&map, "merchant_url").is_err() {
        return Err(bad(format!(
            "merchant_url must be an absolute http(s) URL, got {merchant_url:?}"
        )));
    }
    let merchant = merchant(shared, &map)?;
    let callback_url = optional_url(&map, "callback_url")
        .map_err(bad)?
        .or_else(|| merchant.callback_url.clone())
        .ok_or_else(|| {
            bad(format!(
                "callback_url is missing: send one, or configure merchant {:?}'s default \
                 (Merchant::callback_url, or `kukuruku sandbox --callback-url`): the paid \
                 order is credited only from its callback",
                merchant.id.as_str()
            ))
        })?;
    let order_number = OrderNumber::new(format!("play-{}", new_uuid()))
        .map_err(|err| (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()))?;
    let created = shared
        .create_order(NewOrder {
            order_type: OrderType::Payin,
            merchant_id: merchant.id.clone(),
            order_number,
            amount,
            currency,
            callback_url: Some(callback_url),
            redirect_success_url: Some(merchant_url.to_owned()),
            redirect_fail_url: None,
            email: user.email.clone(),
        })
        .map_err(|err| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the Play order could not be created: {err:?}"),
            )
        })?;
    let order_id = created.order.uuid.to_string();
    // Play pays at once; this sends the `paid` callback.
    shared
        .change_status(&order_id, OrderStatus::Paid)
        .map_err(|err| (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()))?;
    let tracking = PlayTracking {
        test: true,
        ..PlayTracking::default()
    };
    let redirect = play_redirect_url(
        merchant_url,
        &shared.issuer,
        &order_id,
        &user.sub,
        &tracking,
    )
    .map_err(|err| bad(err.to_string()))?;
    // The user by their opaque id (KukurukuID `sub`): no personal data at info.
    tracing::info!(order = %order_id, user = %user.sub, "Play: order created and paid");
    Ok(json!({ "order_id": order_id, "redirect": redirect }))
}

fn text<'a>(map: &'a Map<String, Value>, field: &str) -> Result<&'a str, Refusal> {
    match map.get(field) {
        Some(Value::String(text)) => Ok(text),
        None | Some(Value::Null) => Err(bad(format!(
            "{field} is missing: send {{\"email\",\"amount\",\"currency\",\"merchant_url\"}}"
        ))),
        Some(other) => Err(bad(format!("{field} must be a string, got {other}"))),
    }
}

/// The merchant named by `merchant_id`, or the only one.
fn merchant<'a>(
    shared: &'a PaymentsState,
    map: &Map<String, Value>,
) -> Result<&'a MerchantEntry, Refusal> {
    match map.get("merchant_id") {
        None | Some(Value::Null) => match shared.merchants.as_slice() {
            [only] => Ok(only),
            _ => Err(bad(
                "merchant_id is missing: this sandbox has several merchants".to_owned(),
            )),
        },
        Some(Value::String(id)) => MerchantId::new(id)
            .ok()
            .and_then(|id| shared.merchant_by_id(&id))
            .ok_or_else(|| {
                bad(format!(
                    "merchant_id {id:?} is not a merchant of this sandbox"
                ))
            }),
        Some(other) => Err(bad(format!("merchant_id must be a string, got {other}"))),
    }
}

/// The tracking fields of a Play redirect besides the user's UUID.
///
/// Plain data (not `#[non_exhaustive]`): build it with a struct literal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlayTracking {
    /// `sub_id1`..`sub_id4` (`sub_id5` is the user's UUID).
    pub sub_ids: [Option<String>; 4],
    /// `aff_click_id`.
    pub aff_click_id: Option<String>,
    /// `custom1`, the test flag (`true`/`false`).
    pub test: bool,
}

/// The merchant URL with the auto-login parameters of PROTOCOL 3 appended (its own query is
/// kept): `auto_login=true`, `joker_login=true`, `custom4` = the issuer, `order_id` and
/// `custom2` = the order UUID, `sub_id1`..`sub_id4` when given, `sub_id5` = the user's UUID,
/// `aff_click_id` when given, `custom1` = the test flag, `custom3=true`.
pub fn play_redirect_url(
    merchant_url: &str,
    issuer: &str,
    order_id: &str,
    user_uuid: &str,
    tracking: &PlayTracking,
) -> Result<String, IdpError> {
    let mut url = Url::parse(merchant_url)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
        .ok_or_else(|| IdpError::InvalidMerchantUrl(merchant_url.to_owned()))?;
    url.set_fragment(None);
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("auto_login", "true")
            .append_pair("joker_login", "true")
            .append_pair("custom4", issuer)
            .append_pair("order_id", order_id)
            .append_pair("custom2", order_id);
        for (index, sub_id) in tracking.sub_ids.iter().enumerate() {
            if let Some(value) = sub_id {
                query.append_pair(&format!("sub_id{}", index + 1), value);
            }
        }
        query.append_pair("sub_id5", user_uuid);
        if let Some(click) = &tracking.aff_click_id {
            query.append_pair("aff_click_id", click);
        }
        query
            .append_pair("custom1", if tracking.test { "true" } else { "false" })
            .append_pair("custom3", "true");
    }
    Ok(url.into())
}

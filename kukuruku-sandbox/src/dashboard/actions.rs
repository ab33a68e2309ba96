//! The order page's buttons: `POST /sandbox/dashboard/orders/{uuid}/status` (`status=paid`, a
//! form) moves the order as `POST /sandbox/orders/{uuid}/status` does, and
//! `POST /sandbox/dashboard/orders/{uuid}/resend` re-sends its last callback now. Done: a 303
//! back to the order page. Refused: the order page again (409, or 400/404) with the reason.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::{HeaderValue, LOCATION};

use super::order_page::page;
use super::{Dashboard, order_path};
use crate::StatusChangeError;
use crate::html_escape::html_escape;
use crate::payments::known_status;

fn back_to(uuid: &str) -> Response {
    let location = HeaderValue::from_str(&order_path(uuid))
        .unwrap_or_else(|_| HeaderValue::from_static("/sandbox"));
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(LOCATION, location);
    response
}

fn refused(dashboard: &Dashboard, uuid: &str, status: StatusCode, reason: &str) -> Response {
    let notice = format!(
        "<div class=\"refused\" id=\"refused\" role=\"alert\"><strong>Refused:</strong> {}</div>",
        html_escape(reason)
    );
    page(dashboard, uuid, status, notice)
}

/// `POST /sandbox/dashboard/orders/{uuid}/status`.
pub(super) async fn move_order(
    State(dashboard): State<Dashboard>,
    Path(uuid): Path<String>,
    body: Bytes,
) -> Response {
    let asked = form_urlencoded::parse(&body)
        .find(|(name, _)| name == "status")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let status = match known_status(&asked) {
        Ok(status) => status,
        Err(error) => {
            return refused(
                &dashboard,
                &uuid,
                StatusCode::BAD_REQUEST,
                &error.to_string(),
            );
        }
    };
    match dashboard.payments.change_status(&uuid, status) {
        Ok(_) => back_to(&uuid),
        Err(error @ StatusChangeError::NotFound(_)) => {
            refused(&dashboard, &uuid, StatusCode::NOT_FOUND, &error.to_string())
        }
        Err(error) => refused(&dashboard, &uuid, StatusCode::CONFLICT, &error.to_string()),
    }
}

/// `POST /sandbox/dashboard/orders/{uuid}/resend`.
pub(super) async fn resend(
    State(dashboard): State<Dashboard>,
    Path(uuid): Path<String>,
) -> Response {
    if dashboard.payments.order(&uuid).is_none() {
        let reason = format!("no order with uuid {uuid:?}");
        return refused(&dashboard, &uuid, StatusCode::NOT_FOUND, &reason);
    }
    match dashboard.payments.callbacks.resend_last(&uuid) {
        Some(_) => back_to(&uuid),
        None => refused(
            &dashboard,
            &uuid,
            StatusCode::CONFLICT,
            "no callback was sent for this order yet (or the log no longer holds it)",
        ),
    }
}

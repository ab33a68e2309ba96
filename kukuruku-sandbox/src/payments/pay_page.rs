//! The KukuPay pay page: where a payin's `url` sends the user.
//!
//! `GET /pay/{uuid}` shows the order with "Pay" and "Decline" buttons, two forms that POST
//! `action=pay` or `action=decline` to `/pay/{uuid}`. Paying moves the order to `paid`,
//! declining to `cancelled`; either sends the callback and answers 303 to the order's
//! `redirect_success_url` / `redirect_fail_url`, or to `/pay/{uuid}/result` without one.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use http::StatusCode;
use http::header::{HeaderValue, LOCATION};
use kukuruku_proto::{OrderStatus, OrderType};

use super::order::Order;
use super::state::PaymentsState;
use crate::StatusChangeError;
use crate::body_limit::LimitedBody;
use crate::html_escape::html_escape;
use crate::response::html_response;

pub(super) fn routes() -> Router<Arc<PaymentsState>> {
    Router::new()
        .route("/pay/{uuid}", get(show).post(submit))
        .route("/pay/{uuid}/result", get(result))
}

fn payin(shared: &PaymentsState, uuid: &str) -> Option<Order> {
    shared
        .order(uuid)
        .filter(|order| order.order_type == OrderType::Payin)
}

fn page(title: &str, content: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · KukuPay sandbox</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}\
         table{{border-collapse:collapse}}td{{padding:.2rem .8rem .2rem 0}}\
         form{{display:inline-block;margin:1rem .5rem 0 0}}button{{font-size:1.1rem;padding:.4rem 1.2rem}}\
         .note{{color:#666;font-size:.9rem}}</style></head>\n\
         <body><h1>KukuPay <small>sandbox</small></h1>\n{content}\n\
         <p class=\"note\">This is the Kukuruku sandbox: no money moves.</p></body></html>\n",
        title = html_escape(title),
    )
}

fn order_table(order: &Order) -> String {
    let mut out = String::from("<table>\n");
    for (name, value) in [
        ("Merchant", order.merchant_id.as_str()),
        ("Order", order.order_number.as_str()),
        ("Amount", order.display_amount().as_str()),
        ("Payer", order.email.as_str()),
        ("Status", order.status.as_str()),
    ] {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td id=\"{}\">{}</td></tr>",
            name,
            name.to_ascii_lowercase(),
            html_escape(value)
        );
    }
    out.push_str("</table>");
    out
}

fn not_found(uuid: &str) -> Response {
    html_response(
        StatusCode::NOT_FOUND,
        page(
            "No such payment",
            &format!(
                "<p>There is no payment <code>{}</code> in this sandbox.</p>",
                html_escape(uuid)
            ),
        ),
    )
}

/// `GET /pay/{uuid}`.
async fn show(State(shared): State<Arc<PaymentsState>>, Path(uuid): Path<String>) -> Response {
    let Some(order) = payin(&shared, &uuid) else {
        return not_found(&uuid);
    };
    let mut content = order_table(&order);
    if matches!(order.status, OrderStatus::Created | OrderStatus::Processing) {
        let action = format!("/pay/{}", html_escape(order.uuid.as_str()));
        let _ = write!(
            content,
            "\n<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"action\" value=\"pay\">\
             <button type=\"submit\" id=\"pay\">Pay</button></form>\
             <form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"action\" value=\"decline\">\
             <button type=\"submit\" id=\"decline\">Decline</button></form>"
        );
    } else {
        let _ = write!(
            content,
            "\n<p>This payment is {} already.</p>",
            html_escape(order.status.as_str())
        );
    }
    html_response(StatusCode::OK, page("Pay", &content))
}

/// `POST /pay/{uuid}` with `action=pay` or `action=decline`.
async fn submit(
    State(shared): State<Arc<PaymentsState>>,
    Path(uuid): Path<String>,
    LimitedBody(body): LimitedBody,
) -> Response {
    let Some(order) = payin(&shared, &uuid) else {
        return not_found(&uuid);
    };
    let mut actions = form_urlencoded::parse(&body).filter(|(name, _)| name == "action");
    let action = actions.next().map(|(_, value)| value.into_owned());
    if actions.next().is_some() {
        return html_response(
            StatusCode::BAD_REQUEST,
            page(
                "Bad request",
                "<p>The form sends <code>action</code> more than once: send it once.</p>",
            ),
        );
    }
    let (next, redirect) = match action.as_deref() {
        Some("pay") => (OrderStatus::Paid, order.redirect_success_url.clone()),
        Some("decline") => (OrderStatus::Cancelled, order.redirect_fail_url.clone()),
        _ => {
            return html_response(
                StatusCode::BAD_REQUEST,
                page(
                    "Bad request",
                    "<p>The form must send <code>action=pay</code> or <code>action=decline</code>.</p>",
                ),
            );
        }
    };
    match shared.change_status(&uuid, next) {
        Ok(order) => {
            let fallback = format!("/pay/{}/result", order.uuid);
            let location = redirect
                .and_then(|url| url::Url::parse(&url).ok())
                .map_or(fallback.clone(), String::from);
            let value = HeaderValue::from_str(&location)
                .or_else(|_| HeaderValue::from_str(&fallback))
                .unwrap_or_else(|_| HeaderValue::from_static("/"));
            let mut response = html_response(
                StatusCode::SEE_OTHER,
                page(
                    "Redirecting",
                    &format!("<p><a href=\"{0}\">{0}</a></p>", html_escape(&location)),
                ),
            );
            response.headers_mut().insert(LOCATION, value);
            response
        }
        Err(StatusChangeError::NotAllowed { from, .. }) => html_response(
            StatusCode::CONFLICT,
            page(
                "Already done",
                &format!(
                    "{}\n<p>This payment is {} already: nothing was changed.</p>",
                    order_table(&order),
                    html_escape(from.as_str())
                ),
            ),
        ),
        Err(_) => not_found(&uuid),
    }
}

/// `GET /pay/{uuid}/result`: where the pay page lands without a redirect URL.
async fn result(State(shared): State<Arc<PaymentsState>>, Path(uuid): Path<String>) -> Response {
    let Some(order) = payin(&shared, &uuid) else {
        return not_found(&uuid);
    };
    let headline = match order.status {
        OrderStatus::Paid => "Payment complete",
        OrderStatus::Created | OrderStatus::Processing => "Payment pending",
        _ => "Payment not completed",
    };
    html_response(
        StatusCode::OK,
        page(
            headline,
            &format!(
                "<h2>{}</h2>\n{}",
                html_escape(headline),
                order_table(&order)
            ),
        ),
    )
}

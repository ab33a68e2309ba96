//! `GET /sandbox/dashboard/orders/{uuid}`: one order, its status moves with their times, every
//! callback with every try (time, duration, HTTP status or the connection error, the start of
//! the merchant's answer), the exact body sent and its `signature`; buttons for the moves
//! PROTOCOL 1.4 allows (the others disabled, with the reason), and one that re-sends the last
//! callback now.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::response::Response;
use http::StatusCode;
use kukuruku_proto::OrderStatus;

use super::layout::{Page, cell, render, status_badge};
use super::{Dashboard, order_path};
use crate::StatusChangeError;
use crate::html_escape::html_escape;
use crate::payments::{CallbackDelivery, DeliveryAttempt, DeliveryOutcome, Order};

/// How much of a merchant's answer a try's row shows (the log keeps 512 characters).
const ANSWER_SHOWN: usize = 200;

/// The buttons: a status and its label.
const MOVES: [(OrderStatus, &str); 5] = [
    (OrderStatus::Paid, "Pay"),
    (OrderStatus::Failed, "Fail"),
    (OrderStatus::Cancelled, "Cancel (decline)"),
    (OrderStatus::Expired, "Expire"),
    (OrderStatus::Processing, "Processing"),
];

fn summary(order: &Order) -> String {
    let mut out = String::from("<table class=\"cards\" id=\"summary\"><tbody>");
    let callback = order.callback_url.as_deref().map_or_else(
        || "none".to_owned(),
        |url| html_escape(&crate::log_url::loggable_url(url)),
    );
    for (label, value) in [
        ("Merchant", html_escape(order.merchant_id.as_str())),
        ("Order number", html_escape(order.order_number.as_str())),
        ("UUID", html_escape(order.uuid.as_str())),
        ("Type", html_escape(&order.order_type.to_string())),
        ("Amount", html_escape(&order.display_amount())),
        ("Status", status_badge(order.status.as_str())),
        ("User", html_escape(&order.email)),
        ("Callback URL", callback),
        ("Created", html_escape(&order.created_at)),
        ("Updated", html_escape(&order.updated_at)),
    ] {
        let _ = write!(out, "<tr><th>{label}</th>{}</tr>", cell(label, &value));
    }
    out.push_str("</tbody></table>");
    out
}

fn moves(dashboard: &Dashboard, order: &Order) -> String {
    let mut out = String::from("<h2>Status moves</h2><ol id=\"moves\">");
    for step in dashboard.payments.live.moves_of(order.uuid.as_str()) {
        let _ = write!(
            out,
            "<li>{} at {}</li>",
            status_badge(step.status.as_str()),
            html_escape(&step.at)
        );
    }
    out.push_str("</ol>");
    out
}

fn buttons(order: &Order, deliveries: &[CallbackDelivery]) -> String {
    let uuid = html_escape(order.uuid.as_str());
    let mut out = String::from("<h2>Move it</h2><div id=\"moves-buttons\">");
    for (status, label) in MOVES {
        let name = status.as_str();
        let refusal = (!order.status.can_move_to(&status)).then(|| {
            StatusChangeError::NotAllowed {
                uuid: order.uuid.to_string(),
                from: order.status.clone(),
                to: status.clone(),
            }
            .to_string()
        });
        // The why without the order's uuid, which the page shows once above.
        let refusal = refusal.map(|reason| match reason.split_once(": ") {
            Some((_, why)) => format!("{} → {name}: {why}", order.status),
            None => reason,
        });
        let (disabled, why) = refusal.map_or((String::new(), String::new()), |reason| {
            let reason = html_escape(&reason);
            (
                format!(" disabled title=\"{reason}\""),
                format!("<span class=\"why\">{reason}</span>"),
            )
        });
        let _ = write!(
            out,
            "<form class=\"inline\" method=\"post\" action=\"/sandbox/dashboard/orders/{uuid}/status\">\
             <input type=\"hidden\" name=\"status\" value=\"{name}\">\
             <button type=\"submit\" id=\"move-{name}\"{disabled}>{label}</button>{why}</form>"
        );
    }
    let (disabled, why) = if deliveries.is_empty() {
        (
            " disabled",
            "<span class=\"why\">no callback was sent for this order yet</span>",
        )
    } else {
        ("", "")
    };
    let _ = write!(
        out,
        "<form class=\"inline\" method=\"post\" action=\"/sandbox/dashboard/orders/{uuid}/resend\">\
         <button type=\"submit\" id=\"resend\"{disabled}>Re-send last callback now</button>{why}</form></div>"
    );
    out
}

fn attempt_row(attempt: &DeliveryAttempt) -> String {
    let answer = match (&attempt.http_status, &attempt.error) {
        (Some(status), _) => {
            let class = if (200..300).contains(status) {
                "ok"
            } else {
                "bad"
            };
            format!("<span class=\"{class}\">HTTP {status}</span>")
        }
        (None, Some(error)) => format!("<span class=\"bad\">{}</span>", html_escape(error)),
        (None, None) => String::new(),
    };
    let start: String = attempt
        .response
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(ANSWER_SHOWN)
        .collect();
    [
        cell("Try", &attempt.number.to_string()),
        cell("Started", &html_escape(&attempt.started_at)),
        cell("Took", &format!("{} ms", attempt.duration_ms)),
        cell("Result", &answer),
        cell("Answer", &format!("<code>{}</code>", html_escape(&start))),
    ]
    .concat()
}

fn delivery(delivery: &CallbackDelivery) -> String {
    let (outcome, class) = match delivery.outcome {
        DeliveryOutcome::Delivered => ("delivered", "ok"),
        DeliveryOutcome::Failed => ("given up", "bad"),
        _ => ("pending", "pending"),
    };
    let mut out = format!(
        "<div class=\"delivery\" id=\"delivery-{id}\" data-outcome=\"{outcome}\">\
         <p><strong>Callback #{id}</strong> announcing {status} to <code>{url}</code>: \
         <span class=\"outcome {class}\">{outcome}</span></p>\
         <p>Body sent:</p><pre class=\"body\">{body}</pre><p>signature: <code class=\"signature\">{signature}</code></p>\
         <table class=\"cards attempts\"><thead><tr><th>Try</th><th>Started</th><th>Took</th>\
         <th>Result</th><th>Answer</th></tr></thead><tbody>",
        id = delivery.id,
        status = status_badge(delivery.status.as_str()),
        url = html_escape(&delivery.url_for_logs()),
        body = html_escape(&delivery.body),
        signature = html_escape(&delivery.signature),
    );
    for attempt in &delivery.attempts {
        let _ = write!(out, "<tr>{}</tr>", attempt_row(attempt));
    }
    out.push_str("</tbody></table></div>");
    out
}

/// The order page, with `notice` (already escaped) above its live part.
pub(super) fn page(
    dashboard: &Dashboard,
    uuid: &str,
    status: StatusCode,
    notice: String,
) -> Response {
    let refresh = order_path(uuid);
    let Some(order) = dashboard.payments.order(uuid) else {
        return render(
            StatusCode::NOT_FOUND,
            &Page {
                title: "No such order",
                refresh: &refresh,
                order: Some(uuid),
                notice,
                live: format!(
                    "<p>There is no order <code>{}</code> in this sandbox (or it was dropped: \
                     the sandbox keeps the newest orders only).</p>",
                    html_escape(uuid)
                ),
            },
        );
    };
    let deliveries: Vec<CallbackDelivery> = dashboard
        .payments
        .callbacks
        .deliveries()
        .into_iter()
        .rev()
        .filter(|delivery| delivery.order_uuid == uuid)
        .collect();
    let mut live = summary(&order);
    live.push_str(&moves(dashboard, &order));
    live.push_str(&buttons(&order, &deliveries));
    let _ = write!(live, "<h2>Callbacks ({})</h2>", deliveries.len());
    if deliveries.is_empty() {
        live.push_str("<p id=\"no-callbacks\">None yet.</p>");
    }
    for each in &deliveries {
        live.push_str(&delivery(each));
    }
    let title = format!("Order {}", order.order_number);
    render(
        status,
        &Page {
            title: &title,
            refresh: &refresh,
            order: Some(uuid),
            notice,
            live,
        },
    )
}

/// `GET /sandbox/dashboard/orders/{uuid}`.
pub(super) async fn show(State(dashboard): State<Dashboard>, Path(uuid): Path<String>) -> Response {
    page(&dashboard, &uuid, StatusCode::OK, String::new())
}

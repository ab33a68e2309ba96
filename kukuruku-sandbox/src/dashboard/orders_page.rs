//! `GET /sandbox`: the orders, newest first (at most [`SHOWN`]), filtered on the server by
//! `?status=` and `?merchant=`, each linking to its order page; a live feed of what happens.

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use http::StatusCode;
use kukuruku_proto::OrderStatus;

use super::layout::{Page, cell, render, status_badge};
use super::{Dashboard, order_path};
use crate::html_escape::html_escape;
use crate::payments::Order;

/// How many orders the list shows.
const SHOWN: usize = 500;

/// The list's filters, from the query string.
#[derive(Debug, Default, PartialEq, Eq)]
struct Filters {
    status: String,
    merchant: String,
}

impl Filters {
    fn parse(query: Option<&str>) -> Self {
        let mut filters = Self::default();
        for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match name.as_ref() {
                "status" => value.trim().clone_into(&mut filters.status),
                "merchant" => value.trim().clone_into(&mut filters.merchant),
                _ => {}
            }
        }
        filters
    }

    fn keeps(&self, order: &Order) -> bool {
        (self.status.is_empty() || order.status.as_str() == self.status)
            && (self.merchant.is_empty() || order.merchant_id.as_str() == self.merchant)
    }

    /// The query string that gives these filters back (for the live refresh).
    fn query(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("status", &self.status)
            .append_pair("merchant", &self.merchant)
            .finish()
    }
}

fn options(selected: &str, values: &[String]) -> String {
    let mut out = String::from("<option value=\"\">any</option>");
    for value in values {
        let mark = if value == selected { " selected" } else { "" };
        let value = html_escape(value);
        let _ = write!(out, "<option value=\"{value}\"{mark}>{value}</option>");
    }
    out
}

fn filter_form(dashboard: &Dashboard, filters: &Filters) -> String {
    let statuses: Vec<String> = OrderStatus::KNOWN
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    let merchants: Vec<String> = dashboard
        .payments
        .merchants
        .iter()
        .map(|m| m.id.to_string())
        .collect();
    format!(
        "<form class=\"filters\" method=\"get\" action=\"/sandbox\">\
         <label>Status<br><select name=\"status\" id=\"filter-status\">{}</select></label>\
         <label>Merchant<br><select name=\"merchant\" id=\"filter-merchant\">{}</select></label>\
         <button type=\"submit\">Filter</button></form>",
        options(&filters.status, &statuses),
        options(&filters.merchant, &merchants),
    )
}

fn row(order: &Order) -> String {
    let uuid = order.uuid.as_str();
    let link = format!(
        "<a href=\"{}\">{}</a>",
        html_escape(&order_path(uuid)),
        html_escape(order.order_number.as_str())
    );
    [
        cell("Merchant", &html_escape(order.merchant_id.as_str())),
        cell("Order", &link),
        cell("Type", &html_escape(&order.order_type.to_string())),
        cell("Amount", &html_escape(&order.display_amount())),
        cell("Status", &status_badge(order.status.as_str())),
        cell("Created", &html_escape(&order.created_at)),
        cell("Updated", &html_escape(&order.updated_at)),
    ]
    .concat()
}

fn table(orders: &[Order], total: usize) -> String {
    if orders.is_empty() {
        return "<p id=\"no-orders\">No orders match. Create one with the SDK, \
                <code>kukuruku send</code> or <code>POST /sandbox/play</code>.</p>"
            .to_owned();
    }
    let mut out = String::from(
        "<table class=\"cards\" id=\"orders\"><thead><tr><th>Merchant</th><th>Order</th>\
         <th>Type</th><th>Amount</th><th>Status</th><th>Created</th><th>Updated</th></tr></thead><tbody>",
    );
    for order in orders {
        let _ = write!(
            out,
            "<tr data-uuid=\"{}\">{}</tr>",
            html_escape(order.uuid.as_str()),
            row(order)
        );
    }
    out.push_str("</tbody></table>");
    if total > orders.len() {
        let _ = write!(
            out,
            "<p>Showing the newest {} of {total} matching orders.</p>",
            orders.len()
        );
    }
    out
}

/// `GET /sandbox`.
pub(super) async fn show(
    State(dashboard): State<Dashboard>,
    RawQuery(query): RawQuery,
) -> Response {
    let filters = Filters::parse(query.as_deref());
    let matching: Vec<Order> = dashboard
        .payments
        .orders()
        .into_iter()
        .rev()
        .filter(|order| filters.keeps(order))
        .collect();
    let shown = &matching[..matching.len().min(SHOWN)];
    let refresh = format!("/sandbox?{}", filters.query());
    let notice = format!(
        "{}<details open><summary>Live feed</summary><ol id=\"feed\"></ol></details>",
        filter_form(&dashboard, &filters)
    );
    render(
        StatusCode::OK,
        &Page {
            title: "Orders",
            refresh: &refresh,
            order: None,
            notice,
            live: table(shown, matching.len()),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_through_the_query() {
        let filters = Filters::parse(Some("status=paid&merchant=%3Cb%3E&other=1"));
        assert_eq!(filters.status, "paid");
        assert_eq!(filters.merchant, "<b>");
        assert_eq!(Filters::parse(Some(&filters.query())), filters);
        assert_eq!(Filters::parse(None), Filters::default());
    }
}

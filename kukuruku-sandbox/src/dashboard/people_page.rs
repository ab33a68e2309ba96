//! `GET /sandbox/dashboard/people`: the KukurukuID users (who are KukuPay's too) and their
//! recent logins, and the Kuna customers with whether their widget session is valid.

use std::fmt::Write as _;

use axum::extract::State;
use axum::response::Response;
use http::StatusCode;

use super::Dashboard;
use super::layout::{Page, cell, render};
use crate::html_escape::html_escape;
use crate::timestamp::rfc3339_from_unix_millis;

fn users(dashboard: &Dashboard) -> String {
    let mut out = String::from(
        "<h2>KukurukuID users</h2><table class=\"cards\" id=\"users\"><thead><tr><th>E-mail</th>\
         <th>Name</th><th>Currency</th><th>sub</th></tr></thead><tbody>",
    );
    for user in dashboard.idp.users().all() {
        let _ = write!(
            out,
            "<tr>{}{}{}{}</tr>",
            cell("E-mail", &html_escape(&user.email)),
            cell("Name", &html_escape(&user.name)),
            cell(
                "Currency",
                &html_escape(user.currency.as_deref().unwrap_or(""))
            ),
            cell("sub", &format!("<code>{}</code>", html_escape(&user.sub))),
        );
    }
    out.push_str("</tbody></table>");
    out
}

fn logins(dashboard: &Dashboard) -> String {
    let logins = dashboard.idp.recent_logins();
    if logins.is_empty() {
        return "<h2>Recent logins</h2><p id=\"no-logins\">None yet.</p>".to_owned();
    }
    let mut out = String::from(
        "<h2>Recent logins</h2><table class=\"cards\" id=\"logins\"><thead><tr><th>When</th>\
         <th>User</th><th>Client</th></tr></thead><tbody>",
    );
    for login in logins {
        let _ = write!(
            out,
            "<tr>{}{}{}</tr>",
            cell("When", &html_escape(&login.at)),
            cell("User", &html_escape(&login.email)),
            cell("Client", &html_escape(&login.client_id)),
        );
    }
    out.push_str("</tbody></table>");
    out
}

fn customers(dashboard: &Dashboard) -> String {
    let rows = dashboard.kuna.customer_rows();
    if rows.is_empty() {
        return "<h2>Kuna customers</h2><p id=\"no-customers\">None yet.</p>".to_owned();
    }
    let mut out = String::from(
        "<h2>Kuna customers</h2><table class=\"cards\" id=\"customers\"><thead><tr><th>Name</th>\
         <th>E-mail</th><th>Id</th><th>Widget session</th></tr></thead><tbody>",
    );
    for row in rows {
        let session = row.session_ends.map_or_else(
            || "<span class=\"bad\">none valid</span>".to_owned(),
            |ends| {
                let until = rfc3339_from_unix_millis(ends.saturating_mul(1000));
                format!(
                    "<span class=\"ok\">valid until {}</span>",
                    html_escape(&until)
                )
            },
        );
        let _ = write!(
            out,
            "<tr>{}{}{}{}</tr>",
            cell("Name", &html_escape(&row.name)),
            cell("E-mail", &html_escape(&row.email)),
            cell("Id", &format!("<code>{}</code>", html_escape(&row.id))),
            cell("Widget session", &session),
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// `GET /sandbox/dashboard/people`.
pub(super) async fn show(State(dashboard): State<Dashboard>) -> Response {
    let live = [users(&dashboard), logins(&dashboard), customers(&dashboard)].concat();
    render(
        StatusCode::OK,
        &Page {
            title: "Users & Kuna",
            refresh: "/sandbox/dashboard/people",
            order: Some("-"),
            notice: String::new(),
            live,
        },
    )
}

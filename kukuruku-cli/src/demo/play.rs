//! Steps 12–16: Play: an order created and paid by Kukuruku, the auto-login landing, the
//! login, the callback that credits it; a forged landing refused.

use std::time::Instant;

use http::StatusCode;
use kukuruku_proto::{OrderId, OrderStatus};

use super::BUYER;
use super::format::rub;
use super::identity::{choose_user, finish_at_merchant, to_login_page};
use super::merchant::LoggedIn;
use super::setup::Demo;
use super::transcript::{Step, Transcript, step};
use crate::error_chain::chain;

/// What the Play order is worth, in minor units (250.00 RUB).
const PLAY_AMOUNT: u64 = 25_000;

/// Steps 12–16, in order.
pub(super) async fn play(t: &mut Transcript, demo: &mut Demo) -> Result<(), ()> {
    let merchant_url = demo.merchant_url.clone();
    let credited_before = demo.merchant.books(|books| books.balance);
    let started = Instant::now();
    let (order_id, redirect) = step(
        t,
        "Play: Kukuruku creates and pays an order",
        create_and_pay(demo),
    )
    .await?;
    let page = step(t, "Play: land on the merchant", async {
        let mut lines = vec![
            format!("→ GET {redirect}"),
            format!(
                "  merchant: auto_login: custom4 = {} is this client's issuer; login bound to order {order_id}; the query credits nothing",
                demo.sandbox.issuer()
            ),
        ];
        let page = to_login_page(&demo.browser, &redirect, &mut lines).await?;
        Ok((page, lines))
    })
    .await?;
    let location = step(
        t,
        "Play: log in",
        choose_user(&demo.browser, &page, BUYER, &merchant_url),
    )
    .await?;
    let login = step(
        t,
        "Play: finish the login",
        finish_bound_login(demo, &location, &order_id),
    )
    .await?;
    step(
        t,
        "Play: the callback credits the order",
        callback_credits(demo, &order_id, credited_before, started, &login),
    )
    .await?;
    step(
        t,
        "Play: a forged landing is refused",
        forged_landing(demo, &order_id),
    )
    .await
}

/// `POST {control}/play`: Kukuruku creates the order and pays it; returns its id and the
/// merchant URL the user is sent to.
async fn create_and_pay(demo: &Demo) -> Step<(String, String)> {
    let body = serde_json::json!({
        "email": BUYER,
        "amount": PLAY_AMOUNT,
        "currency": "RUB",
        "merchant_url": format!("{}/play", demo.merchant_url),
    })
    .to_string();
    let url = format!("{}/play", demo.sandbox.control_url());
    let answer = demo.browser.post_json(&url, &body).await?;
    let json: serde_json::Value = serde_json::from_slice(&answer.body)
        .map_err(|err| format!("{} {}: {}", answer.status, answer.text(), chain(&err)))?;
    let (Some(order_id), Some(redirect)) = (json["order_id"].as_str(), json["redirect"].as_str())
    else {
        return Err(format!("{} {}", answer.status, answer.text()));
    };
    let lines = vec![
        format!("→ POST {url} {body}"),
        format!(
            "← {} order_id {order_id} (created and paid: its callback is on its way)",
            answer.status
        ),
        format!("      redirect {redirect}"),
    ];
    Ok(((order_id.to_owned(), redirect.to_owned()), lines))
}

/// Finishes the login and checks that its session is bound to the Play order.
async fn finish_bound_login(demo: &mut Demo, location: &str, order_id: &str) -> Step<LoggedIn> {
    let (login, mut lines) = finish_at_merchant(demo, location).await?;
    if login.order_id.as_deref() != Some(order_id) {
        return Err(format!(
            "the session is bound to {:?}, expected the Play order {order_id}",
            login.order_id
        ));
    }
    lines.push(format!(
        "  session.order_id() = {order_id}; the order was {} when the login finished",
        if login.order_paid {
            "already credited by its callback"
        } else {
            "not yet credited (its callback had not arrived)"
        }
    ));
    Ok((login, lines))
}

/// The callback credits the order once (the balance was `before`), whichever came first, it
/// or the login; times are printed from `started`.
async fn callback_credits(
    demo: &Demo,
    order_id: &str,
    before: u64,
    started: Instant,
    login: &LoggedIn,
) -> Step<()> {
    let order = OrderId::new(order_id).map_err(|err| chain(&err))?;
    let arrival = demo.callback_for(&order).await?;
    if arrival.callback.status != OrderStatus::Paid {
        return Err(format!("the callback says {}", arrival.callback.status));
    }
    let credited = demo.merchant.books(|books| books.balance) - before;
    if credited != PLAY_AMOUNT {
        return Err(format!(
            "credited {}, expected 250.00 RUB once",
            rub(credited)
        ));
    }
    let ms = |at: Instant| at.duration_since(started).as_secs_f64() * 1000.0;
    let first = if arrival.at <= login.at {
        "the callback came before the login"
    } else {
        "the login came before the callback"
    };
    Ok((
        (),
        vec![
            format!(
                "← POST /kukuruku/callback status paid for {order_id} at +{:.1} ms: signature verified, recorded in the ledger ({})",
                ms(arrival.at),
                arrival.outcome
            ),
            format!("  login finished at +{:.1} ms: {first}", ms(login.at)),
            format!(
                "  credited {} once, from the verified callback only (never from the landing query or the login)",
                rub(credited)
            ),
        ],
    ))
}

/// A landing whose issuer is not ours: refused before any request is made.
async fn forged_landing(demo: &Demo, order_id: &str) -> Step<()> {
    let evil = "https://auth.evil.example/realms/public";
    let url = format!(
        "{}/play?auto_login=true&joker_login=true&custom4={}&order_id={order_id}&custom2={order_id}",
        demo.merchant_url,
        form_urlencoded::byte_serialize(evil.as_bytes()).collect::<String>()
    );
    let page = demo.browser.get(&url).await?;
    if page.status != StatusCode::BAD_REQUEST {
        return Err(format!("expected 400, got {} {}", page.status, page.text()));
    }
    Ok((
        (),
        vec![
            format!("→ GET {url}"),
            format!("← {} \"{}\"", page.status, page.text()),
        ],
    ))
}

//! Steps 1–8: a payin through the pay page to its callback and its signed status, then a
//! payout and its callback.

use http::StatusCode;
use kukuruku_proto::{
    Amount, CALLBACK_ACK, Currency, OrderId, OrderStatus, PayinCreated, PayinRequest, PayoutRequest,
};
use kukuruku_sandbox::DeliveryOutcome;
use kukuruku_sandbox::merchant::Received;

use super::format::{body_text, rub};
use super::setup::{Demo, random_hex};
use super::transcript::{Step, Transcript, step};
use super::{BUYER, MERCHANT_ID, PAYEE, STEP_TIMEOUT};
use crate::error_chain::chain;

/// Steps 1–8: payin, pay page, callback, status, payout.
pub(super) async fn payments(t: &mut Transcript, demo: &Demo) -> Result<(), ()> {
    let order_number = format!("demo-{}", random_hex(4).unwrap_or_default());
    let created = step(t, "create a payin", create_payin(demo, &order_number)).await?;
    step(
        t,
        "open the pay page",
        open_pay_page(demo, &created, &order_number),
    )
    .await?;
    let location = step(t, "press Pay", press_pay(demo, &created)).await?;
    step(
        t,
        "follow the redirect to the merchant",
        follow_to_merchant(demo, &location),
    )
    .await?;
    step(
        t,
        "receive the payin callback",
        payin_callback(demo, &created.token),
    )
    .await?;
    step(
        t,
        "query the order status",
        order_status(demo, &created.token),
    )
    .await?;
    let payout = step(t, "create a payout", create_payout(demo, &order_number)).await?;
    step(
        t,
        "receive the payout callback",
        payout_callback(demo, &payout),
    )
    .await
}

/// 1. Create a payin.
async fn create_payin(demo: &Demo, order_number: &str) -> Step<PayinCreated> {
    let merchant_url = &demo.merchant_url;
    let payin = PayinRequest::builder()
        .amount(Amount::new(50_000).map_err(|err| chain(&err))?)
        .currency(Currency::Rub)
        .callback_url(demo.merchant.callback_url())
        .order_number(order_number.to_owned())
        .redirect_success_url(format!("{merchant_url}/shop/success"))
        .redirect_fail_url(format!("{merchant_url}/shop/fail"))
        .client_id(BUYER)
        .build()
        .map_err(|err| chain(&err))?;
    let body = body_text(&payin, demo.client.config());
    let created = demo
        .client
        .create_payin(&payin)
        .await
        .map_err(|err| chain(&err))?;
    let lines = vec![
        format!("→ POST /api/v1/orders/payins (signed) {body}"),
        format!("← 200 token {}", created.token.as_str()),
        format!("      url   {}", created.url),
    ];
    Ok((created, lines))
}

/// 2. The user opens the pay page.
async fn open_pay_page(demo: &Demo, created: &PayinCreated, order_number: &str) -> Step<()> {
    let page = demo.browser.get(&created.url).await?;
    let html = page.text();
    if page.status != StatusCode::OK {
        return Err(format!("the pay page answered {}", page.status));
    }
    if !html.contains("value=\"pay\"") || !html.contains("value=\"decline\"") {
        return Err("the pay page has no Pay / Decline forms".to_owned());
    }
    if !html.contains("500.00 RUB") || !html.contains(order_number) {
        return Err("the pay page does not show the order".to_owned());
    }
    Ok((
        (),
        vec![
            format!("→ GET {}", created.url),
            format!(
                "← {}, text/html, {} bytes: order {order_number}, 500.00 RUB, buttons Pay / Decline",
                page.status,
                page.body.len()
            ),
        ],
    ))
}

/// 3. The user presses Pay.
async fn press_pay(demo: &Demo, created: &PayinCreated) -> Step<String> {
    let page = demo.browser.post_form(&created.url, "action=pay").await?;
    if page.status != StatusCode::SEE_OTHER {
        return Err(format!("expected 303 See Other, got {}", page.status));
    }
    let location = page.location().ok_or("the 303 has no Location")?;
    Ok((
        location.clone(),
        vec![
            format!("→ POST {} action=pay", created.url),
            format!("← {}, Location: {location}", page.status),
        ],
    ))
}

/// 4. The browser follows the redirect to the merchant.
async fn follow_to_merchant(demo: &Demo, location: &str) -> Step<()> {
    let page = demo.browser.get(location).await?;
    if page.status != StatusCode::OK || !location.starts_with(&demo.merchant_url) {
        return Err(format!("{location} answered {}", page.status));
    }
    Ok((
        (),
        vec![
            format!("→ GET {location}"),
            format!("← {} \"{}\"", page.status, page.text()),
        ],
    ))
}

/// 5. The callback arrives at the merchant.
async fn payin_callback(demo: &Demo, order: &OrderId) -> Step<()> {
    let Received {
        callback: update,
        outcome,
        ..
    } = demo.callback_for(order).await?;
    if update.status != OrderStatus::Paid {
        return Err(format!(
            "the callback says {}, expected paid",
            update.status
        ));
    }
    let credited = demo.merchant.books(|books| books.balance);
    Ok((
        (),
        vec![
            format!(
                "← POST /kukuruku/callback status {} for {}",
                update.status,
                update.id.as_str()
            ),
            format!(
                "  signature verified over the raw bytes; recorded in the ledger ({outcome}); answered 200 {}",
                String::from_utf8_lossy(CALLBACK_ACK)
            ),
            format!("  merchant balance credited: {}", rub(credited)),
        ],
    ))
}

/// 6. The merchant asks for the status (the answer is signed; the client verifies it).
async fn order_status(demo: &Demo, order: &OrderId) -> Step<()> {
    let answer = demo.client.order(order).await.map_err(|err| chain(&err))?;
    if answer.status != OrderStatus::Paid {
        return Err(format!("status {}, expected paid", answer.status));
    }
    Ok((
        (),
        vec![
            format!(
                "→ GET /api/v1/orders/{}?merchant_id={MERCHANT_ID} (signed over {{}}, D1)",
                order.as_str()
            ),
            format!(
                "← 200 status {} (the answer's signature verified)",
                answer.status
            ),
        ],
    ))
}

/// 7. A payout to a KukuPay user.
async fn create_payout(demo: &Demo, order_number: &str) -> Step<OrderId> {
    let payout = PayoutRequest::builder()
        .amount(Amount::new(10_000).map_err(|err| chain(&err))?)
        .currency(Currency::Rub)
        .order_number(format!("{order_number}-payout"))
        .callback_url(demo.merchant.callback_url())
        .user_email(PAYEE)
        .build()
        .map_err(|err| chain(&err))?;
    let body = body_text(&payout, demo.client.config());
    let created = demo
        .client
        .create_payout(&payout)
        .await
        .map_err(|err| chain(&err))?;
    Ok((
        created.uuid.clone(),
        vec![
            format!("→ POST /api/v1/orders/payouts (signed) {body}"),
            format!("← 200 uuid {}", created.uuid.as_str()),
        ],
    ))
}

/// 8. Its callback.
async fn payout_callback(demo: &Demo, payout: &OrderId) -> Step<()> {
    let update = demo.callback_for(payout).await?.callback;
    if update.status != OrderStatus::Paid {
        return Err(format!(
            "the callback says {}, expected paid",
            update.status
        ));
    }
    let log = demo.sandbox.settled_callbacks(STEP_TIMEOUT).await;
    let delivered = log
        .iter()
        .filter(|d| d.outcome == DeliveryOutcome::Delivered)
        .count();
    Ok((
        (),
        vec![
            format!(
                "← POST /kukuruku/callback status {} for the payout",
                update.status
            ),
            format!(
                "  sandbox delivery log: {delivered} of {} callbacks delivered",
                log.len()
            ),
        ],
    ))
}

//! The last step: a callback lost for good, recovered by the ledger's reconciler.
//!
//! The payin is created through `kukuruku_ledger::LedgerClient` (recorded before it is sent,
//! then completed with its KukuPay id); the merchant is closed while it is paid, so every try
//! of its callback fails and the sandbox gives up; the reconciler then asks the status API,
//! records the answer through the same path as a callback, and the worker credits it once.

use kukuruku_ledger::{LedgerClient, OrderKey, Source};
use kukuruku_proto::{Amount, Currency, OrderStatus, PayinCreated, PayinRequest};
use kukuruku_sandbox::DeliveryOutcome;

use super::format::rub;
use super::setup::{Demo, random_hex};
use super::transcript::{Step, Transcript, step};
use super::{BUYER, STEP_TIMEOUT};
use crate::error_chain::chain;

const LOST_AMOUNT: u64 = 30_000;

/// The reconciler's step.
pub(super) async fn reconcile(t: &mut Transcript, demo: &Demo) -> Result<(), ()> {
    step(t, "Ledger: reconcile a lost callback", recover(demo)).await
}

async fn recover(demo: &Demo) -> Step<()> {
    let merchant = &demo.merchant;
    let order_number = format!("demo-lost-{}", random_hex(4)?);
    let payin = PayinRequest::builder()
        .amount(Amount::new(LOST_AMOUNT).map_err(|err| chain(&err))?)
        .currency(Currency::Rub)
        .callback_url(merchant.callback_url())
        .order_number(order_number.clone())
        .redirect_success_url(format!("{}/shop/success", demo.merchant_url))
        .redirect_fail_url(format!("{}/shop/fail", demo.merchant_url))
        .client_id(BUYER)
        .build()
        .map_err(|err| chain(&err))?;
    let balance_before = merchant.books(|books| books.balance);
    let (created, tries) = lose_callback(demo, &payin).await?;
    let id = created.token.as_str().to_owned();

    let pass = merchant
        .reconcile(demo.client.clone())
        .await
        .map_err(|err| chain(&err))?;
    let order = merchant
        .ledger()
        .order(OrderKey::Id(created.token.clone()))
        .await
        .map_err(|err| chain(&err))?
        .ok_or("the ledger lost the order")?;
    let (credits, credited) = merchant.books(|books| {
        (
            books.credits.get(&id).copied(),
            books.balance - balance_before,
        )
    });
    let from_reconciler = merchant.books(|books| {
        books
            .received
            .iter()
            .any(|r| r.callback.id.as_str() == id && r.source == Source::Reconciler)
    });
    if order.status != Some(OrderStatus::Paid) || credits != Some(1) || !from_reconciler {
        return Err(format!(
            "after reconciling: status {:?}, credits {credits:?}",
            order.status
        ));
    }
    Ok((
        (),
        vec![
            format!(
                "→ LedgerClient::create_payin {order_number}: recorded in the ledger, sent, completed with {id}"
            ),
            format!(
                "  merchant closed while the payin is paid: {} tries answered 500, the sandbox gave up (callback lost)",
                tries
            ),
            format!(
                "→ Reconciler::run_once: {} order(s) asked with GET /api/v1/orders/{{uuid}} (signed), {} moved forward",
                pass.checked, pass.advanced
            ),
            format!(
                "  ledger: {id} status paid (audit source reconciler); credited {} once",
                rub(credited)
            ),
        ],
    ))
}

/// Creates the payin through the ledger and pays it while the merchant is closed: every try of
/// its callback fails and the sandbox gives up. Returns the payin and the number of tries.
async fn lose_callback(demo: &Demo, payin: &PayinRequest) -> Result<(PayinCreated, usize), String> {
    let merchant = &demo.merchant;
    let payments = LedgerClient::new(demo.client.clone(), merchant.ledger());
    let created = payments
        .create_payin(payin)
        .await
        .map_err(|err| chain(&err))?;
    let id = created.token.as_str().to_owned();

    merchant.set_closed(true);
    let paid = demo
        .sandbox
        .set_status(&id, kukuruku_sandbox::OrderStatus::Paid)
        .map_err(|err| chain(&err));
    let log = demo.sandbox.settled_callbacks(STEP_TIMEOUT).await;
    merchant.set_closed(false);
    paid?;
    let delivery = log
        .iter()
        .find(|delivery| delivery.order_uuid == id)
        .ok_or("the sandbox sent no callback")?;
    if delivery.outcome != DeliveryOutcome::Failed {
        return Err(format!(
            "the callback was {:?}, expected lost",
            delivery.outcome
        ));
    }

    Ok((created, delivery.attempts.len()))
}

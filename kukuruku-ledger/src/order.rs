//! Orders as the ledger records them: [`NewOrder`] before it is sent, [`OrderRecord`] as
//! stored, [`OrderKey`] to look one up.

use std::time::SystemTime;

use kukuruku_proto::{
    Amount, Currency, OrderId, OrderNumber, OrderStatus, OrderType, PayinRequest, PayoutRequest,
};

/// An order the merchant is about to send to Kukuruku: recorded **before** the call, so that
/// an order created just before a crash is still known when its callback comes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewOrder {
    /// The merchant's order number (unique in the merchant's system).
    pub order_number: OrderNumber,
    /// Payin or payout.
    pub order_type: OrderType,
    /// The amount in minor units.
    pub amount: Amount,
    /// The currency.
    pub currency: Currency,
}

impl NewOrder {
    /// An order with these details.
    pub fn new(
        order_number: OrderNumber,
        order_type: OrderType,
        amount: Amount,
        currency: Currency,
    ) -> Self {
        Self {
            order_number,
            order_type,
            amount,
            currency,
        }
    }

    /// The order a payin request creates.
    pub fn payin(request: &PayinRequest) -> Self {
        Self::new(
            request.order_number().clone(),
            OrderType::Payin,
            request.amount(),
            request.currency().clone(),
        )
    }

    /// The order a payout request creates.
    pub fn payout(request: &PayoutRequest) -> Self {
        Self::new(
            request.order_number().clone(),
            OrderType::Payout,
            request.amount(),
            request.currency().clone(),
        )
    }
}

/// An order as the ledger holds it.
///
/// An order the merchant created has its number from the start and its KukuPay id once
/// Kukuruku answered (or once its first callback came); an order the merchant did not create
/// (a Play payin) is known from its first callback. `status` is the last status Kukuruku gave
/// that moved it forward; `None` until Kukuruku said anything.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderRecord {
    /// The merchant's order number, when known.
    pub order_number: Option<OrderNumber>,
    /// KukuPay's id, when known.
    pub kukupay_id: Option<OrderId>,
    /// Payin or payout, when known.
    pub order_type: Option<OrderType>,
    /// The amount in minor units, when known.
    pub amount: Option<Amount>,
    /// The currency, when known.
    pub currency: Option<Currency>,
    /// The current status, `None` until Kukuruku gave one.
    pub status: Option<OrderStatus>,
    /// When the ledger first recorded the order.
    pub created_at: SystemTime,
    /// When the ledger last changed the order.
    pub updated_at: SystemTime,
    /// How many times the reconciler asked Kukuruku about it.
    pub checks: u32,
    /// When the reconciler may ask again (`None`: as soon as the order is old enough).
    pub next_check_at: Option<SystemTime>,
}

impl OrderRecord {
    /// `true` once the status is terminal (paid, cancelled, expired, failed).
    pub fn is_final(&self) -> bool {
        self.status.as_ref().is_some_and(OrderStatus::is_terminal)
    }

    /// `true` when what is known of this order agrees with `order` (what is unknown agrees).
    pub(crate) fn agrees_with(&self, order: &NewOrder) -> bool {
        self.order_type
            .as_ref()
            .is_none_or(|t| *t == order.order_type)
            && self.amount.is_none_or(|a| a == order.amount)
            && self
                .currency
                .as_ref()
                .is_none_or(|c| c.code() == order.currency.code())
    }
}

/// Which order to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderKey {
    /// By the merchant's order number.
    Number(OrderNumber),
    /// By KukuPay's id.
    Id(OrderId),
}

//! The payments side's memory: merchants, orders, users; the moves between order statuses.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use kukuruku_proto::{
    Amount, BodylessSigning, Currency, IdError, MerchantId, OrderId, OrderNumber, OrderStatus,
    OrderType, SharedTimeSource,
};
use kukuruku_sign::{SecretKey, Signer, Verifier};

use super::callbacks::Dispatcher;
use super::config::KukuPayUser;
use super::order::Order;
use crate::idp::{IdpUser, IdpUsers};
use crate::live::Live;
use crate::random::new_uuid;
use crate::timestamp::rfc3339;
use crate::{StatusChangeError, UserError};

/// A configured merchant, with its signer ready.
pub(crate) struct MerchantEntry {
    pub(crate) id: MerchantId,
    pub(crate) key: SecretKey,
    pub(crate) signer: Signer,
    /// Where Play orders' callbacks go when the request names none.
    pub(crate) callback_url: Option<String>,
}

/// Everything the payments side's routes share.
pub(crate) struct PaymentsState {
    pub(crate) base_url: String,
    /// The KukurukuID issuer, `{base_url}/realms/public`.
    pub(crate) issuer: String,
    /// The users: KukuPay's, and KukurukuID's (one list, shared with the provider).
    pub(crate) users: IdpUsers,
    /// In the order of `verifier`'s keys: the matched key's index is the merchant's.
    pub(crate) merchants: Vec<MerchantEntry>,
    pub(crate) verifier: Verifier,
    pub(crate) bodyless: BodylessSigning,
    /// How long a client may take to send a request body.
    pub(crate) read_timeout: Duration,
    /// How many orders are kept: the oldest is dropped beyond.
    pub(crate) max_orders: usize,
    pub(crate) store: Mutex<Store>,
    pub(crate) callbacks: Arc<Dispatcher>,
    /// Where order time stamps come from (the sandbox's one time source).
    pub(crate) time_source: SharedTimeSource,
    /// The live feed (dashboard hook): orders created and status moves are published to it.
    pub(crate) live: Arc<Live>,
}

#[derive(Default)]
pub(crate) struct Store {
    orders: HashMap<String, Order>,
    /// (merchant id, order number) → uuid.
    numbers: HashMap<(MerchantId, OrderNumber), String>,
    /// The uuids, oldest first: the order to drop them in.
    created: VecDeque<String>,
}

impl Store {
    /// Keeps `order`, then drops the oldest orders beyond `max` (and their order numbers).
    fn keep(&mut self, key: (MerchantId, OrderNumber), order: Order, max: usize) {
        let uuid = order.uuid.to_string();
        self.numbers.insert(key, uuid.clone());
        self.orders.insert(uuid.clone(), order);
        self.created.push_back(uuid);
        while self.orders.len() > max.max(1) {
            let Some(oldest) = self.created.pop_front() else {
                break;
            };
            if let Some(dropped) = self.orders.remove(&oldest) {
                self.numbers
                    .remove(&(dropped.merchant_id, dropped.order_number));
            }
        }
    }
}

/// An order as asked for, before it has a uuid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewOrder {
    pub(crate) order_type: OrderType,
    pub(crate) merchant_id: MerchantId,
    pub(crate) order_number: OrderNumber,
    pub(crate) amount: Amount,
    pub(crate) currency: Currency,
    pub(crate) callback_url: Option<String>,
    pub(crate) redirect_success_url: Option<String>,
    pub(crate) redirect_fail_url: Option<String>,
    pub(crate) email: String,
}

impl NewOrder {
    fn same_as(&self, order: &Order) -> bool {
        self.order_type == order.order_type
            && self.merchant_id == order.merchant_id
            && self.order_number == order.order_number
            && self.amount == order.amount
            && self.currency == order.currency
            && self.callback_url == order.callback_url
            && self.redirect_success_url == order.redirect_success_url
            && self.redirect_fail_url == order.redirect_fail_url
            && self.email == order.email
    }
}

/// Why an order was not created.
#[derive(Debug)]
pub(crate) enum CreateError {
    /// The order number is taken by an order with different content.
    Conflict(Box<Order>),
    /// A payout to an e-mail that is no KukuPay user.
    UnknownUser(String),
    /// The new order's id is not a valid `OrderId` (cannot happen: it is a UUID).
    Id(IdError),
}

/// A created order, and whether it is new or a repeat of an earlier identical request.
pub(crate) struct Created {
    pub(crate) order: Order,
    pub(crate) repeat: bool,
}

impl PaymentsState {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current time by the sandbox's time source, as an order time stamp.
    fn now_rfc3339(&self) -> String {
        rfc3339(self.time_source.now())
    }

    /// The merchant whose key is at `index` in the verifier.
    pub(crate) fn merchant(&self, index: usize) -> Option<&MerchantEntry> {
        self.merchants.get(index)
    }

    /// The merchant with this id.
    pub(crate) fn merchant_by_id(&self, id: &MerchantId) -> Option<&MerchantEntry> {
        self.merchants.iter().find(|merchant| merchant.id == *id)
    }

    /// Creates an order, or returns the one created earlier by the same request (idempotency on
    /// the merchant's order number). A payout to a known user is paid at once.
    pub(crate) fn create_order(self: &Arc<Self>, new: NewOrder) -> Result<Created, CreateError> {
        let created = {
            let mut store = self.store();
            let key = (new.merchant_id.clone(), new.order_number.clone());
            if let Some(existing) = store
                .numbers
                .get(&key)
                .and_then(|uuid| store.orders.get(uuid))
            {
                if new.same_as(existing) {
                    return Ok(Created {
                        order: existing.clone(),
                        repeat: true,
                    });
                }
                return Err(CreateError::Conflict(Box::new(existing.clone())));
            }
            if new.order_type == OrderType::Payout && self.users.find(&new.email).is_none() {
                return Err(CreateError::UnknownUser(new.email));
            }
            let now = self.now_rfc3339();
            let order = Order {
                uuid: OrderId::new(new_uuid()).map_err(CreateError::Id)?,
                order_number: new.order_number,
                status: OrderStatus::Created,
                amount: new.amount,
                currency: new.currency,
                order_type: new.order_type,
                merchant_id: new.merchant_id,
                created_at: now.clone(),
                updated_at: now,
                callback_url: new.callback_url,
                redirect_success_url: new.redirect_success_url,
                redirect_fail_url: new.redirect_fail_url,
                email: new.email,
            };
            store.keep(key, order.clone(), self.max_orders);
            order
        };
        tracing::info!(uuid = %created.uuid, kind = %created.order_type, order_number = %created.order_number, "order created");
        self.live.order_created(&created);
        if created.order_type == OrderType::Payout {
            // The sandbox's KukuPay pays a known user at once.
            let paid = self
                .change_status(created.uuid.as_str(), OrderStatus::Paid)
                .unwrap_or(created);
            return Ok(Created {
                order: paid,
                repeat: false,
            });
        }
        Ok(Created {
            order: created,
            repeat: false,
        })
    }

    /// Moves an order to `next` if PROTOCOL 1.4 allows it, and sends its callback.
    pub(crate) fn change_status(
        &self,
        uuid: &str,
        next: OrderStatus,
    ) -> Result<Order, StatusChangeError> {
        let (order, from) = {
            let mut store = self.store();
            let order = store
                .orders
                .get_mut(uuid)
                .ok_or_else(|| StatusChangeError::NotFound(uuid.to_owned()))?;
            if !order.status.can_move_to(&next) {
                return Err(StatusChangeError::NotAllowed {
                    uuid: uuid.to_owned(),
                    from: order.status.clone(),
                    to: next,
                });
            }
            let from = std::mem::replace(&mut order.status, next);
            order.updated_at = self.now_rfc3339();
            (order.clone(), from)
        };
        tracing::info!(uuid = %order.uuid, status = %order.status, "order status changed");
        self.live.status_moved(&order, &from);
        if let Some(merchant) = self.merchant_by_id(&order.merchant_id) {
            self.callbacks.send(&order, &merchant.signer);
        }
        Ok(order)
    }

    pub(crate) fn order(&self, uuid: &str) -> Option<Order> {
        self.store().orders.get(uuid).cloned()
    }

    pub(crate) fn orders(&self) -> Vec<Order> {
        let mut orders: Vec<Order> = self.store().orders.values().cloned().collect();
        orders.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.uuid.cmp(&b.uuid)));
        orders
    }

    /// Adds a user, with a new UUID (their KukurukuID `sub`, Play's `sub_id5`): they can pay,
    /// be paid and log in.
    pub(crate) fn add_user(&self, user: &KukuPayUser) -> Result<(), UserError> {
        user.validate()?;
        let person = IdpUser::new(&new_uuid(), user.email(), user.name()).currency(user.currency());
        if self.users.add(person) {
            Ok(())
        } else {
            Err(UserError::Exists(user.email().to_owned()))
        }
    }

    pub(crate) fn users(&self) -> Vec<KukuPayUser> {
        self.users
            .all()
            .into_iter()
            .map(|user| KukuPayUser::new(user.email, user.name, user.currency.unwrap_or_default()))
            .collect()
    }
}

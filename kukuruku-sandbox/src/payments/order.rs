//! What the sandbox keeps about an order. The protocol's own types (statuses and their moves,
//! amounts, currencies, identifiers, the D4 order object) are `kukuruku-proto`'s.

use std::collections::HashSet;
use std::sync::Arc;

use kukuruku_proto::{
    Amount, Currency, EmailAddress, MerchantId, OrderId, OrderNumber, OrderStatus, OrderType,
};

use uuid::Uuid;

use crate::random::random_uuid;
use crate::timestamp::rfc3339_from_unix_millis;

/// A status name that is not one of PROTOCOL 1.4's, as the test-control API refuses it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown order status {0:?}: use one of created, processing, paid, cancelled, expired, failed"
)]
pub(crate) struct UnknownStatus(String);

/// A status the control API may set: one of PROTOCOL 1.4's names, exactly (lower case).
pub(crate) fn known_status(text: &str) -> Result<OrderStatus, UnknownStatus> {
    OrderStatus::KNOWN
        .into_iter()
        .find(|status| status.as_str() == text)
        .ok_or_else(|| UnknownStatus(text.to_owned()))
}

/// One of the currencies Kukuruku documents (RUB, USD, USDT), by its exact upper-case code.
pub(crate) fn documented_currency(code: &str) -> Option<Currency> {
    Currency::DOCUMENTED
        .into_iter()
        .find(|currency| currency.code() == code)
}

/// Why `text` is not an e-mail address the sandbox accepts: the SDK's own check
/// ([`EmailAddress`]), on text given without surrounding whitespace and without
/// `<`, `>`, `"` or `,` (a display name or a list, not one address).
pub(crate) fn email_problem(text: &str) -> Option<&'static str> {
    match EmailAddress::new(text) {
        Err(error) => Some(error.reason()),
        Ok(trimmed) if trimmed.as_str() != text => Some("it has spaces around it"),
        Ok(_) if text.contains(['<', '>', '"', ',']) => {
            Some("it contains <, >, \" or , (give the address alone)")
        }
        Ok(_) => None,
    }
}

/// An order as the sandbox holds it: the D4 fields, and what the sandbox needs besides
/// (where callbacks and the pay page send things, who pays or is paid).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Order {
    /// The order's UUID (the payin `token`, the payout `uuid`).
    pub uuid: OrderId,
    /// The merchant's own number for it.
    pub order_number: OrderNumber,
    /// Its status now (always one of PROTOCOL 1.4's).
    pub status: OrderStatus,
    /// The amount in the smallest unit (above zero).
    pub amount: Amount,
    /// The currency (RUB, USD or USDT).
    pub currency: Currency,
    /// Payin or payout.
    pub order_type: OrderType,
    /// The merchant it belongs to.
    pub merchant_id: MerchantId,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
    /// When its status last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Where its callbacks go, if anywhere.
    pub callback_url: Option<String>,
    /// Where the pay page sends the user after paying.
    pub redirect_success_url: Option<String>,
    /// Where the pay page sends the user after declining.
    pub redirect_fail_url: Option<String>,
    /// The paying user's e-mail (payin `customer.client_id`) or the payee's (payout `user_email`).
    pub email: String,
}

impl Order {
    /// The order object as Kukuruku sends it (status answers and callbacks, PROTOCOL D4):
    /// `kukuruku_proto::Order`, with every documented field set.
    pub fn to_proto(&self) -> kukuruku_proto::Order {
        let mut order = kukuruku_proto::Order::new(self.uuid.clone(), self.status.clone());
        order.order_number = Some(self.order_number.clone());
        order.amount = Some(self.amount);
        order.currency = Some(self.currency.clone());
        order.order_type = Some(self.order_type.clone());
        order.merchant_id = Some(self.merchant_id.clone());
        order.created_at = Some(self.created_at.clone());
        order.updated_at = Some(self.updated_at.clone());
        order
    }

    /// The bytes of the order object (PROTOCOL D4), fields in the documented order:
    /// `uuid, order_number, status, amount, currency, type, merchant_id, created_at, updated_at`.
    pub fn to_json(&self) -> Vec<u8> {
        // Strings and integers only: serialising into a Vec cannot fail.
        serde_json::to_vec(&self.to_proto()).unwrap_or_default()
    }

    /// The amount for people: `50000` RUB is `500.00 RUB`.
    pub fn display_amount(&self) -> String {
        let decimal = self
            .amount
            .to_decimal(&self.currency)
            .unwrap_or_else(|_| self.amount.minor_units().to_string());
        format!("{decimal} {}", self.currency)
    }
}

/// An order as the store keeps it (issue #16: at most 1 KiB per order): its uuid is the
/// store's key (a `u128`, see [`uuid_key`]), its texts are boxed to their length, the texts
/// many orders share (the merchant's id, the URLs) are [`Shared`], and its two times are
/// milliseconds since the epoch (written as [`rfc3339_from_unix_millis`] writes them).
pub(crate) struct StoredOrder {
    pub(crate) order_number: Box<str>,
    pub(crate) status: OrderStatus,
    pub(crate) amount: Amount,
    pub(crate) currency: Currency,
    pub(crate) order_type: OrderType,
    pub(crate) merchant_id: Shared,
    pub(crate) created_ms: u64,
    pub(crate) updated_ms: u64,
    pub(crate) callback_url: Option<Shared>,
    pub(crate) redirect_success_url: Option<Shared>,
    pub(crate) redirect_fail_url: Option<Shared>,
    pub(crate) email: Box<str>,
}

/// A text kept once for every order that has it (see [`Pool`]).
pub(crate) type Shared = Arc<str>;

/// The texts the stored orders share: each kept once, dropped with the last order that has it.
#[derive(Default)]
pub(crate) struct Pool(HashSet<Shared>);

impl Pool {
    /// The pool's copy of `text`, added if new.
    pub(crate) fn share(&mut self, text: &str) -> Shared {
        if let Some(shared) = self.0.get(text) {
            return Arc::clone(shared);
        }
        let shared: Shared = Arc::from(text);
        self.0.insert(Arc::clone(&shared));
        shared
    }

    /// Lets go of `shared`: dropped from the pool when no other order has it.
    pub(crate) fn release(&mut self, shared: Shared) {
        // Two holders: the pool and this order, whose copy goes here.
        if Arc::strong_count(&shared) == 2 {
            self.0.remove(&shared);
        }
        drop(shared);
    }

    /// How many texts the pool holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

impl StoredOrder {
    /// `order` as kept, its times given as milliseconds, its shared texts from `pool`.
    pub(crate) fn new(order: Order, created_ms: u64, updated_ms: u64, pool: &mut Pool) -> Self {
        let mut share = |url: Option<String>| url.map(|url| pool.share(&url));
        Self {
            callback_url: share(order.callback_url),
            redirect_success_url: share(order.redirect_success_url),
            redirect_fail_url: share(order.redirect_fail_url),
            merchant_id: pool.share(order.merchant_id.as_str()),
            order_number: order.order_number.as_str().into(),
            status: order.status,
            amount: order.amount,
            currency: order.currency,
            order_type: order.order_type,
            created_ms,
            updated_ms,
            email: order.email.into_boxed_str(),
        }
    }

    /// Gives its shared texts back to `pool` (the order is being dropped).
    pub(crate) fn release(self, pool: &mut Pool) {
        pool.release(self.merchant_id);
        let urls = [
            self.callback_url,
            self.redirect_success_url,
            self.redirect_fail_url,
        ];
        for url in urls.into_iter().flatten() {
            pool.release(url);
        }
    }

    /// The order with key `uuid`, as the rest of the sandbox sees it. Its texts were valid
    /// identifiers when stored, so reading them back cannot fail; if it did, `None`.
    pub(crate) fn to_order(&self, uuid: u128) -> Option<Order> {
        Some(Order {
            uuid: OrderId::new(uuid_text(uuid)).ok()?,
            order_number: OrderNumber::new(&*self.order_number).ok()?,
            status: self.status.clone(),
            amount: self.amount,
            currency: self.currency.clone(),
            order_type: self.order_type.clone(),
            merchant_id: MerchantId::new(&*self.merchant_id).ok()?,
            created_at: rfc3339_from_unix_millis(self.created_ms),
            updated_at: rfc3339_from_unix_millis(self.updated_ms),
            callback_url: self.callback_url.as_deref().map(str::to_owned),
            redirect_success_url: self.redirect_success_url.as_deref().map(str::to_owned),
            redirect_fail_url: self.redirect_fail_url.as_deref().map(str::to_owned),
            email: self.email.to_string(),
        })
    }

    /// The merchant's id and the order number, as the store's index of order numbers keys them
    /// (ids hold no control character, so the newline between them is unambiguous).
    pub(crate) fn number_key(merchant_id: &str, order_number: &str) -> Box<str> {
        [merchant_id, "\n", order_number].concat().into_boxed_str()
    }
}

/// The key of a uuid in its hyphenated lower-case form (as `new_uuid` writes it); `None` for any
/// other text, which no stored order has.
pub(crate) fn uuid_key(text: &str) -> Option<u128> {
    // The uuid crate also reads upper case, and other forms at other lengths: this store's
    // keys are the 36-character lower-case form only, as the sandbox writes them.
    if text.len() != 36 || text.bytes().any(|byte| byte.is_ascii_uppercase()) {
        return None;
    }
    Uuid::try_parse(text).ok().map(|uuid| uuid.as_u128())
}

/// A new random (version 4) uuid key.
pub(crate) fn new_uuid_key() -> u128 {
    random_uuid().as_u128()
}

/// The hyphenated lower-case form of a uuid key ([`uuid_key`] reversed).
pub(crate) fn uuid_text(key: u128) -> String {
    Uuid::from_u128(key).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_keys_read_exactly_the_text_new_uuid_writes() {
        for _ in 0..100 {
            let text = crate::random::new_uuid();
            let key = uuid_key(&text).unwrap();
            assert_eq!(uuid_text(key), text);
            let made = uuid_text(new_uuid_key());
            assert_eq!(uuid_key(&made).map(uuid_text), Some(made.clone()));
            assert_eq!(&made[14..15], "4", "{made}");
        }
        let good = "8f14e45f-ceea-467a-9575-4e1f0c2d7a11";
        assert!(uuid_key(good).is_some());
        for bad in [
            "8F14E45F-CEEA-467A-9575-4E1F0C2D7A11",
            "8f14e45fceea467a95754e1f0c2d7a11",
            "8f14e45f-ceea-467a-9575-4e1f0c2d7a1",
            "8f14e45f-ceea-467a-9575-4e1f0c2d7a111",
            "8f14e45f-ceea-467a-9575-4e1f0c2d7a1g",
            "8f14e45f-ceea-467a-9575_4e1f0c2d7a11",
            "-8f14e45fceea-467a-9575-4e1f0c2d7a11",
            "",
        ] {
            assert_eq!(uuid_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_stored_order_reads_back_the_same_and_shares_its_texts() {
        let mut pool = Pool::default();
        let mut wanted = order();
        wanted.callback_url = Some("https://shop.example/cb".into());
        wanted.redirect_fail_url = Some("https://shop.example/cb".into());
        wanted.created_at = "2025-01-31T12:00:00.123Z".into();
        wanted.updated_at = "2025-01-31T12:00:01.000Z".into();
        let key = new_uuid_key();
        wanted.uuid = OrderId::new(uuid_text(key)).unwrap();
        let stored = StoredOrder::new(
            wanted.clone(),
            1_738_324_800_123,
            1_738_324_801_000,
            &mut pool,
        );
        assert_eq!(stored.to_order(key), Some(wanted.clone()));
        assert_eq!(pool.len(), 2, "the merchant's id and one URL");
        let again = StoredOrder::new(wanted, 0, 0, &mut pool);
        assert_eq!(pool.len(), 2);
        stored.release(&mut pool);
        assert_eq!(pool.len(), 2, "still used by the other order");
        again.release(&mut pool);
        assert_eq!(pool.len(), 0);
    }

    fn order() -> Order {
        Order {
            uuid: OrderId::new("u").unwrap(),
            order_number: OrderNumber::new("n").unwrap(),
            status: OrderStatus::Paid,
            amount: Amount::new(500).unwrap(),
            currency: Currency::Rub,
            order_type: OrderType::Payin,
            merchant_id: MerchantId::new("1").unwrap(),
            created_at: "c".into(),
            updated_at: "d".into(),
            callback_url: None,
            redirect_success_url: None,
            redirect_fail_url: None,
            email: "a@b.c".into(),
        }
    }

    #[test]
    fn control_statuses_are_the_exact_protocol_names() {
        for status in OrderStatus::KNOWN {
            assert_eq!(known_status(status.as_str()), Ok(status));
        }
        for other in ["PAID", "Paid", "refunded", "", " paid"] {
            assert_eq!(known_status(other), Err(UnknownStatus(other.into())));
        }
    }

    #[test]
    fn emails() {
        for good in [
            "user@example.com",
            "a.b+c@sub.example.org",
            "o'neil&co@example.com",
        ] {
            assert_eq!(email_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "user",
            "user@",
            "@example.com",
            "user@example",
            "a b@example.com",
            "user@example..com",
            "<a>@example.com",
            "a,b@example.com",
            " user@example.com",
            "user@exa_mple.com",
        ] {
            assert!(email_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(email_problem("user"), Some("it must contain exactly one @"));
    }

    #[test]
    fn currencies_are_the_documented_codes_exactly() {
        assert_eq!(documented_currency("RUB"), Some(Currency::Rub));
        assert_eq!(documented_currency("USDT"), Some(Currency::Usdt));
        assert_eq!(documented_currency("rub"), None);
        assert_eq!(documented_currency("EUR"), None);
    }

    #[test]
    fn wire_order_has_d4_fields_in_order() {
        let order = order();
        assert_eq!(
            String::from_utf8(order.to_json()).unwrap(),
            r#"{"uuid":"u","order_number":"n","status":"paid","amount":500,"currency":"RUB","type":"payin","merchant_id":"1","created_at":"c","updated_at":"d"}"#
        );
        assert_eq!(order.display_amount(), "5.00 RUB");
        // What a merchant reads back is what the sandbox holds.
        let read: kukuruku_proto::Order = serde_json::from_slice(&order.to_json()).unwrap();
        assert_eq!(read, order.to_proto());
        assert!(read.extra.is_empty());
    }

    #[test]
    fn display_amount_pads_minor_units() {
        let mut order = order();
        order.amount = Amount::new(5).unwrap();
        order.currency = Currency::Usdt;
        assert_eq!(order.display_amount(), "0.05 USDT");
    }
}

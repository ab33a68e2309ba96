//! Errors of this crate, in words a merchant understands.

use std::net::SocketAddr;

use crate::OrderStatus;

/// Why the sandbox did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The listen address is not a loopback address.
    #[error(
        "the sandbox only listens on loopback: {addr} is not a loopback address (use 127.0.0.1 or [::1])"
    )]
    NotLoopback {
        /// The address refused.
        addr: SocketAddr,
    },
    /// No merchant was configured.
    #[error("the sandbox needs at least one merchant: add one with `SandboxBuilder::merchant`")]
    NoMerchant,
    /// Two merchants share an id.
    #[error("merchant id {0:?} is configured twice")]
    DuplicateMerchant(String),
    /// A configured KukuPay user is not valid.
    #[error(transparent)]
    User(#[from] UserError),
    /// The address could not be bound (in use, or not available on this machine).
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
}

/// Why a KukuPay user could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UserError {
    /// The e-mail address is not one.
    #[error("email {0:?} is not an e-mail address")]
    Email(String),
    /// The name is empty.
    #[error("name must not be empty")]
    Name,
    /// The currency is not one the sandbox knows.
    #[error("currency {0:?} is not supported: use RUB, USD or USDT")]
    Currency(String),
    /// A user with this e-mail exists already.
    #[error("a KukuPay user with e-mail {0:?} exists already")]
    Exists(String),
}

/// Why an order's status could not be changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusChangeError {
    /// No order has this UUID.
    #[error("no order with uuid {0:?}")]
    NotFound(String),
    /// PROTOCOL 1.4 does not allow the move.
    #[error("cannot move order {uuid} from {from} to {to}: {}", why(*.from))]
    NotAllowed {
        /// The order.
        uuid: String,
        /// Its status now.
        from: OrderStatus,
        /// The status asked for.
        to: OrderStatus,
    },
}

fn why(from: OrderStatus) -> &'static str {
    if from.is_terminal() {
        "that status is final (PROTOCOL 1.4)"
    } else if matches!(from, OrderStatus::Processing) {
        "a processing order can only become paid, failed or cancelled (PROTOCOL 1.4)"
    } else {
        "PROTOCOL 1.4 does not allow it"
    }
}

//! Errors of this crate, in words a merchant understands. A cause is behind `source()`, never
//! repeated in the message.

use std::net::SocketAddr;

use kukuruku_proto::{IdError, OrderStatus};

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
    /// A merchant's id is not one (empty, too long, or with control characters).
    #[error("merchant id {id:?} is not valid")]
    InvalidMerchantId {
        /// The id given.
        id: String,
        /// What is wrong with it.
        #[source]
        source: IdError,
    },
    /// A merchant's default callback URL is not an absolute http(s) URL.
    #[error("the callback URL {url:?} of merchant {id:?} is not an absolute http(s) URL")]
    CallbackUrl {
        /// The merchant.
        id: String,
        /// The URL given.
        url: String,
    },
    /// The KukurukuID provider could not start (its RSA key could not be made).
    #[error(transparent)]
    Idp(#[from] crate::idp::IdpError),
    /// A configured KukuPay user is not valid.
    #[error(transparent)]
    User(#[from] UserError),
    /// The address could not be bound (in use, or not available on this machine).
    #[error("could not listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
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
    #[error("cannot move order {uuid} from {from} to {to}: {}", why(.from, .to))]
    NotAllowed {
        /// The order.
        uuid: String,
        /// Its status now.
        from: OrderStatus,
        /// The status asked for.
        to: OrderStatus,
    },
}

fn why(from: &OrderStatus, to: &OrderStatus) -> &'static str {
    if !to.is_known() {
        "it is not a PROTOCOL 1.4 status"
    } else if from.is_terminal() {
        "that status is final (PROTOCOL 1.4)"
    } else if matches!(from, OrderStatus::Processing) {
        "a processing order can only become paid, failed or cancelled (PROTOCOL 1.4)"
    } else {
        "PROTOCOL 1.4 does not allow it"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_moves_say_why() {
        let refused = |from: OrderStatus, to: OrderStatus| {
            StatusChangeError::NotAllowed {
                uuid: "u".into(),
                from,
                to,
            }
            .to_string()
        };
        assert_eq!(
            refused(OrderStatus::Paid, OrderStatus::Failed),
            "cannot move order u from paid to failed: that status is final (PROTOCOL 1.4)"
        );
        assert!(
            refused(OrderStatus::Processing, OrderStatus::Expired).ends_with(
                "a processing order can only become paid, failed or cancelled (PROTOCOL 1.4)"
            )
        );
        assert!(
            refused(OrderStatus::Created, OrderStatus::Created)
                .ends_with("PROTOCOL 1.4 does not allow it")
        );
        assert!(
            refused(
                OrderStatus::Created,
                OrderStatus::Unknown("refunded".into())
            )
            .ends_with("to refunded: it is not a PROTOCOL 1.4 status")
        );
    }
}

//! Statuses Kuna reports. Every one keeps values this crate does not know as `Unknown(text)`
//! instead of failing, so a new status on Kuna's side never breaks a partner's integration.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! status {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know, kept as Kuna sent it.
            Unknown(String),
        }

        impl $name {
            /// The value as Kuna spells it on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(other) => other,
                }
            }

            /// Parses Kuna's spelling (exact, case-sensitive); anything else is `Unknown`.
            pub fn parse(value: &str) -> Self {
                match value {
                    $( $wire => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::parse(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok(Self::parse(&text))
            }
        }
    };
}

status! {
    /// The state of a customer's wallet (`walletStatus`).
    WalletStatus {
        /// `Active`: the customer can use the widget.
        Active = "Active",
        /// `Blocked`: Kuna blocked the wallet.
        Blocked = "Blocked",
        /// `Suspicious`: Kuna flagged the wallet for review.
        Suspicious = "Suspicious",
    }
}

status! {
    /// The state of a customer's verification (`verificationStatus`); Kuna documents only
    /// `ACCEPTED`, others arrive as `Unknown`.
    VerificationStatus {
        /// `ACCEPTED`: the partner's KYC data was accepted.
        Accepted = "ACCEPTED",
    }
}

status! {
    /// The state of an on-ramp operation made in the widget.
    OperationStatus {
        /// `Created`.
        Created = "Created",
        /// `Processing`.
        Processing = "Processing",
        /// `OnHold`: waiting on a check.
        OnHold = "OnHold",
        /// `Declined`: final, not done.
        Declined = "Declined",
        /// `Completed`: final, done.
        Completed = "Completed",
    }
}

impl OperationStatus {
    /// Whether the operation will not change any more (`Declined` or `Completed`); an unknown
    /// status counts as not final.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Declined | Self::Completed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip() {
        for (text, status) in [
            ("Active", WalletStatus::Active),
            ("Blocked", WalletStatus::Blocked),
            ("Suspicious", WalletStatus::Suspicious),
        ] {
            let parsed: WalletStatus = serde_json::from_str(&format!("\"{text}\"")).unwrap();
            assert_eq!(parsed, status);
            assert_eq!(
                serde_json::to_string(&parsed).unwrap(),
                format!("\"{text}\"")
            );
        }
        let ops = ["Created", "Processing", "OnHold", "Declined", "Completed"];
        for text in ops {
            let parsed = OperationStatus::parse(text);
            assert!(!matches!(parsed, OperationStatus::Unknown(_)), "{text}");
            assert_eq!(parsed.as_str(), text);
        }
        assert_eq!(
            VerificationStatus::parse("ACCEPTED"),
            VerificationStatus::Accepted
        );
        assert!(OperationStatus::Completed.is_final() && !OperationStatus::OnHold.is_final());
    }

    #[test]
    fn unknown_values_are_kept_not_refused() {
        let w: WalletStatus = serde_json::from_str("\"Frozen\"").unwrap();
        assert_eq!(w, WalletStatus::Unknown("Frozen".into()));
        assert_eq!(serde_json::to_string(&w).unwrap(), "\"Frozen\"");
        let v: VerificationStatus = serde_json::from_str("\"PENDING\"").unwrap();
        assert_eq!(v.to_string(), "PENDING");
        // Case matters: Kuna spells it `Active`.
        assert_eq!(
            WalletStatus::parse("ACTIVE"),
            WalletStatus::Unknown("ACTIVE".into())
        );
        let o: OperationStatus = serde_json::from_str("\"Refunded\"").unwrap();
        assert!(!o.is_final());
    }
}

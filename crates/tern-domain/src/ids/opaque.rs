//! The ids Tern gives its own records (accounts, orders, tickets, …).
//!
//! Each is random text made when the record is made (a UUID v7 today),
//! so there is nothing to check when one is read back. They are still
//! distinct types: a field or argument typed [`OrderId`] cannot be
//! handed a ticket's id by mistake. Each reads as text
//! (`Deref<Target = str>`) so queries bind it as it is, and serialises
//! as a plain string.

use std::fmt;

macro_rules! opaque_ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

opaque_ids! {
    /// An account: after erasure, the pseudonym the records kept for the
    /// law point to.
    AccountId;
    /// An order: a plan bought from the wallet.
    OrderId;
    /// A support ticket.
    TicketId;
    /// An account closure.
    ClosureId;
    /// A personal-data export.
    ExportId;
    /// A wallet top-up through the payment gateway.
    TopUpId;
    /// A refund a closure owes the traveller.
    RefundId;
    /// A data package bought onto an eSIM.
    PackageId;
    /// An announcement operators publish.
    AnnouncementId;
    /// A message (email or SMS) in the outbox.
    OutboxId;
    /// A signed-in session.
    SessionId;
    /// An operator's API key.
    ApiKeyId;
    /// A posted ledger transaction.
    TransactionId;
    /// A support agent's wallet adjustment.
    AdjustmentId;
    /// One message of a support ticket.
    TicketMessageId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_serialises_as_text() {
        let id = OrderId::from("0190-abc");
        assert_eq!(&*id, "0190-abc");
        assert_eq!(id, "0190-abc");
        assert_eq!(id.to_string(), "0190-abc");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"0190-abc\"");
        let back: OrderId = serde_json::from_str("\"0190-abc\"").unwrap();
        assert_eq!(back, id);
    }
}

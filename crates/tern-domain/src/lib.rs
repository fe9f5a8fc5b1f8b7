//! Tern's domain: the types and rules of the service, with no I/O.
//!
//! Everything here is constructed through a checked parse, so a value of one
//! of these types is always valid. Storage, HTTP and jobs build on top.

/// Gives a closed set of words (a state, a kind) its `ALL` (in the order
/// listed), `as_str` (the stored and wire word), `parse` (the value a word
/// names, exactly) and `Display`, from one list of variants and their
/// words. The enum itself, with its documentation, is written beside it.
macro_rules! words {
    ($t:ident { $($variant:ident = $word:literal,)+ }) => {
        impl $t {
            /// Every value, in order.
            pub const ALL: [$t; [$($word),+].len()] = [$($t::$variant),+];

            /// The word stored and sent for this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($t::$variant => $word,)+
                }
            }

            /// The value `s` names (exactly), if any.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($word => Some($t::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod account;
pub mod activation_code;
pub mod announcement;
pub mod audit;
pub mod calendar;
pub mod catalogue;
pub mod closure;
pub mod device;
pub mod email;
pub mod esim;
pub mod export;
pub mod idempotency_key;
pub mod ids;
pub mod ledger;
pub mod locale;
pub mod money;
pub mod order;
pub mod password;
pub mod payment;
pub mod permission;
pub mod phone;
pub mod retention;
pub mod role;
pub mod ticket;
pub mod usage;
pub mod voucher;

pub use account::{AccountStatus, SessionKind};
pub use email::Email;
pub use idempotency_key::IdempotencyKey;
pub use ids::{
    AccountId, AdjustmentId, AnnouncementId, ApiKeyId, ClosureId, ExportId, OrderId, OutboxId, PackageId, RefundId,
    SessionId, TicketId, TicketMessageId, TopUpId, TransactionId,
};
pub use locale::Locale;
pub use money::{Currency, Money};
pub use password::NewPassword;
pub use permission::Permission;
pub use phone::Phone;
pub use role::{KeyRole, Role};

/// Closed sets (states, kinds) serialise as the same word they are
/// stored and shown as, so JSON never spells one differently, and
/// deserialise only from one of those words.
macro_rules! serde_as_str {
    ($($t:ty),* $(,)?) => {
        $(impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                <$t>::parse(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!("unknown {}: {text:?}", stringify!($t)))
                })
            }
        })*
    };
}

serde_as_str!(
    closure::ClosureState,
    ticket::TicketState,
    ticket::TicketCategory,
    usage::PackageState,
    order::OrderState,
    order::OrderKind,
    esim::EsimState,
    money::Bucket,
    usage::UsageKind,
    announcement::AnnouncementKind,
    announcement::AnnouncementState,
    account::AccountStatus,
    account::SessionKind,
    export::ExportState,
    payment::TopUpState,
    payment::RefundState,
    ledger::TransactionKind,
    ledger::LedgerAccountKind,
    ledger::SystemAccount,
    retention::Erased,
    retention::Kept,
    retention::KeptBecause,
    retention::Retained,
    retention::Hold,
    retention::HoldAction,
);

//! Tern's domain: the types and rules of the service, with no I/O.
//!
//! Everything here is constructed through a checked parse, so a value of one
//! of these types is always valid. Storage, HTTP and jobs build on top.

pub mod activation_code;
pub mod announcement;
pub mod audit;
pub mod calendar;
pub mod catalogue;
pub mod closure;
pub mod device;
pub mod email;
pub mod idempotency_key;
pub mod ids;
pub mod locale;
pub mod money;
pub mod password;
pub mod permission;
pub mod phone;
pub mod role;
pub mod ticket;
pub mod usage;
pub mod voucher;

pub use email::Email;
pub use idempotency_key::IdempotencyKey;
pub use locale::Locale;
pub use money::{Currency, Money};
pub use password::NewPassword;
pub use permission::Permission;
pub use phone::Phone;
pub use role::Role;

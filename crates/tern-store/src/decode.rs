//! Text columns that hold one of the domain's closed sets (states, kinds)
//! decode into the domain's type here, so nothing above the store sees
//! them as strings. A value that does not parse is corruption.

use sqlx::Row;
use sqlx::any::AnyRow;
use tern_domain::announcement::AnnouncementKind;
use tern_domain::closure::ClosureState;
use tern_domain::esim::EsimState;
use tern_domain::export::ExportState;
use tern_domain::ids::Iccid;
use tern_domain::ledger::{LedgerAccountKind, TransactionKind};
use tern_domain::money::Bucket;
use tern_domain::order::{OrderKind, OrderState};
use tern_domain::payment::{RefundState, TopUpState};
use tern_domain::ticket::{TicketCategory, TicketState};
use tern_domain::usage::{PackageState, UsageKind};
use tern_domain::{AccountStatus, KeyRole, Role, SessionKind};
use tern_domain::{Currency, Money};

use crate::{Result, StoreError};

/// A domain value stored as one of a fixed set of words.
pub trait Stored: Sized {
    /// The word for `self` in the database.
    fn stored(&self) -> &'static str;
    /// The value a stored word names.
    fn from_stored(s: &str) -> Option<Self>;
}

/// Reads `column` (a name or an index) as a [`Stored`] value, from an
/// `Any` row or a driver's own (the hot paths read PostgreSQL rows).
pub(crate) fn get<T: Stored, R, I>(r: &R, column: I) -> Result<T>
where
    R: Row,
    I: sqlx::ColumnIndex<R> + std::fmt::Debug + Copy,
    for<'r> &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    // Borrowed from the row: no allocation on the hot read paths.
    let text: &str = r.try_get(column)?;
    T::from_stored(text).ok_or_else(|| StoreError::Corrupt(format!("column {column:?} = {text:?}")))
}

/// Reads an id column into its domain newtype ([`tern_domain::OrderId`],
/// [`tern_domain::AccountId`], …). Ids are random text, so there is
/// nothing to check.
pub(crate) fn id<T, R, I>(r: &R, column: I) -> Result<T>
where
    T: From<String>,
    R: Row,
    I: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(T::from(r.try_get::<String, _>(column)?))
}

/// [`id`] for a column that may be NULL.
pub(crate) fn id_opt<T: From<String>>(r: &AnyRow, column: &str) -> Result<Option<T>> {
    Ok(r.try_get::<Option<String>, _>(column)?.map(T::from))
}

/// Reads an amount stored as minor units in `amount` and an ISO 4217
/// code in `currency`; a code that does not parse is corruption.
pub(crate) fn money(r: &AnyRow, amount: &str, currency: &str) -> Result<Money> {
    let code: String = r.try_get(currency)?;
    let currency =
        Currency::parse(&code).map_err(|_| StoreError::Corrupt(format!("column {currency:?} = {code:?}")))?;
    Ok(Money::new(r.try_get(amount)?, currency))
}

/// Reads an ICCID Tern stored. Every stored ICCID came from the SM-DP+,
/// so its rules apply ([`Iccid::known`]); one that breaks them is
/// corruption.
pub(crate) fn iccid<R, I>(r: &R, column: I) -> Result<Iccid>
where
    R: Row,
    I: sqlx::ColumnIndex<R> + std::fmt::Debug + Copy,
    for<'r> &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    known_iccid(column, r.try_get(column)?)
}

/// [`iccid`] for a column that may be NULL.
pub(crate) fn iccid_opt(r: &AnyRow, column: &str) -> Result<Option<Iccid>> {
    r.try_get::<Option<&str>, _>(column)?
        .map(|text| known_iccid(column, text))
        .transpose()
}

fn known_iccid(column: impl std::fmt::Debug, text: &str) -> Result<Iccid> {
    Iccid::known(text).map_err(|e| StoreError::Corrupt(format!("column {column:?} = {text:?}: {e}")))
}

/// Deserialises an ICCID Tern stored (rows read back as JSON).
pub(crate) fn stored_iccid<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Iccid, D::Error> {
    let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    Iccid::known(&text).map_err(serde::de::Error::custom)
}

macro_rules! stored_by_as_str {
    ($($t:ty),* $(,)?) => {
        $(impl Stored for $t {
            fn stored(&self) -> &'static str {
                self.as_str()
            }
            fn from_stored(s: &str) -> Option<Self> {
                <$t>::parse(s)
            }
        })*
    };
}

stored_by_as_str!(
    ClosureState,
    TicketState,
    TicketCategory,
    PackageState,
    OrderState,
    OrderKind,
    EsimState,
    AccountStatus,
    SessionKind,
    Role,
    KeyRole,
    AnnouncementKind,
    UsageKind,
    Bucket,
    ExportState,
    TopUpState,
    RefundState,
    TransactionKind,
    LedgerAccountKind,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_word() {
        for s in ClosureState::ALL {
            assert_eq!(ClosureState::from_stored(s.stored()), Some(s));
        }
        assert_eq!(ClosureState::from_stored("closing"), None);
    }
}

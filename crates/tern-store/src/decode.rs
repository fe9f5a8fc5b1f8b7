//! Text columns that hold one of the domain's closed sets (states, kinds)
//! decode into the domain's type here, so nothing above the store sees
//! them as strings. A value that does not parse is corruption.

use sqlx::Row;
use tern_domain::closure::ClosureState;
use tern_domain::esim::EsimState;
use tern_domain::order::{OrderKind, OrderState};
use tern_domain::ticket::{TicketCategory, TicketState};
use tern_domain::usage::PackageState;

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
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let text: String = r.try_get(column)?;
    T::from_stored(&text).ok_or_else(|| StoreError::Corrupt(format!("column {column:?} = {text:?}")))
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

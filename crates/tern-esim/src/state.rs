//! The life of a profile at the SM-DP+ (SGP.22 §3.1.2 and the ES2+ function
//! descriptions), as an enum whose transitions are functions that can refuse.
//!
//! ```text
//! Available ─downloadOrder─► Allocated (no EID) ─┐
//!           ─downloadOrder─► Linked (EID)       ─┴─confirmOrder─► Confirmed ─releaseProfile─► Released
//!                                                └─confirmOrder(releaseFlag)──────────────────► Released
//! Released ─phone downloads─► Downloaded ─phone installs─► Installed
//! Released/Downloaded ─failure─► Error
//! Allocated/Linked/Confirmed/Released/Error ─cancelOrder─► Available | Unavailable
//! ```

use serde::{Deserialize, Serialize};

use crate::wire::FinalProfileStatus;

/// Where a profile is in its life; the SM-DP+ allows each ES2+ function
/// only from some of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProfileState {
    /// In the pool, free for an order.
    Available,
    /// Reserved by downloadOrder for no particular eUICC.
    Allocated,
    /// Reserved by downloadOrder for one EID.
    Linked,
    /// Has a matching id, waiting for releaseProfile.
    Confirmed,
    /// Downloadable by a phone presenting the matching id.
    Released,
    /// A phone has downloaded the bound profile package.
    Downloaded,
    /// The profile is installed on the eUICC.
    Installed,
    /// The download or installation failed; cancelOrder recovers it.
    Error,
    /// Out of the pool for good.
    Unavailable,
}

/// A function the current state does not allow, so the caller can answer
/// with "invalid transition".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a profile in state {from:?} cannot be {action}")]
pub struct InvalidTransition {
    /// The state the profile was in.
    pub from: ProfileState,
    /// What was attempted, in words.
    pub action: &'static str,
}

impl ProfileState {
    /// downloadOrder: reserve an available profile, linked when an EID is given.
    pub fn order(self, linked: bool) -> Result<Self, InvalidTransition> {
        match self {
            Self::Available if linked => Ok(Self::Linked),
            Self::Available => Ok(Self::Allocated),
            from => Err(refuse(from, "ordered")),
        }
    }

    /// confirmOrder: fix the matching id; released at once with `release`.
    pub fn confirm(self, release: bool) -> Result<Self, InvalidTransition> {
        match self {
            Self::Allocated | Self::Linked if release => Ok(Self::Released),
            Self::Allocated | Self::Linked => Ok(Self::Confirmed),
            from => Err(refuse(from, "confirmed")),
        }
    }

    /// releaseProfile: make a confirmed order downloadable.
    pub fn release(self) -> Result<Self, InvalidTransition> {
        match self {
            Self::Confirmed => Ok(Self::Released),
            from => Err(refuse(from, "released")),
        }
    }

    /// A phone downloaded the profile package.
    pub fn download(self) -> Result<Self, InvalidTransition> {
        match self {
            Self::Released => Ok(Self::Downloaded),
            from => Err(refuse(from, "downloaded")),
        }
    }

    /// The phone installed the profile.
    pub fn install(self) -> Result<Self, InvalidTransition> {
        match self {
            Self::Downloaded => Ok(Self::Installed),
            from => Err(refuse(from, "installed")),
        }
    }

    /// The download or installation failed.
    pub fn fail(self) -> Result<Self, InvalidTransition> {
        match self {
            Self::Released | Self::Downloaded => Ok(Self::Error),
            from => Err(refuse(from, "marked failed")),
        }
    }

    /// cancelOrder: undo an order that no phone has downloaded.
    pub fn cancel(self, to: FinalProfileStatus) -> Result<Self, InvalidTransition> {
        match self {
            Self::Allocated | Self::Linked | Self::Confirmed | Self::Released | Self::Error => Ok(match to {
                FinalProfileStatus::Available => Self::Available,
                FinalProfileStatus::Unavailable => Self::Unavailable,
            }),
            from => Err(refuse(from, "cancelled")),
        }
    }
}

/// The refusal for `action` from `from`.
fn refuse(from: ProfileState, action: &'static str) -> InvalidTransition {
    InvalidTransition { from, action }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::ProfileState::*;
    use super::*;

    const ALL: [ProfileState; 9] = [
        Available,
        Allocated,
        Linked,
        Confirmed,
        Released,
        Downloaded,
        Installed,
        Error,
        Unavailable,
    ];

    #[test]
    fn the_happy_path() {
        let s = Available.order(false).unwrap();
        assert_eq!(s, Allocated);
        let s = s.confirm(false).unwrap().release().unwrap();
        assert_eq!(s, Released);
        assert_eq!(s.download().unwrap().install().unwrap(), Installed);
        assert_eq!(Available.order(true).unwrap().confirm(true).unwrap(), Released);
    }

    #[test]
    fn cancel_is_refused_once_a_phone_has_the_profile() {
        for s in ALL {
            let ok = s.cancel(FinalProfileStatus::Unavailable).is_ok();
            let expected = !matches!(s, Available | Unavailable | Downloaded | Installed);
            assert_eq!(ok, expected, "{s:?}");
        }
        assert_eq!(Error.cancel(FinalProfileStatus::Available).unwrap(), Available);
    }

    #[test]
    fn only_one_state_allows_each_step() {
        let count = |f: fn(ProfileState) -> bool| ALL.iter().filter(|s| f(**s)).count();
        assert_eq!(count(|s| s.order(false).is_ok()), 1);
        assert_eq!(count(|s| s.release().is_ok()), 1);
        assert_eq!(count(|s| s.download().is_ok()), 1);
        assert_eq!(count(|s| s.install().is_ok()), 1);
        assert_eq!(count(|s| s.confirm(true).is_ok()), 2);
    }
}

//! The emulator's profiles and the rules of each ES2+ function, with no
//! HTTP: handlers parse, lock, call one of these, and answer.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use rand::Rng;
use tern_domain::ids::{Eid, Iccid};

use crate::codes::{self};
pub(crate) use crate::provider::Refusal;
use crate::state::ProfileState;
use crate::wire::{FinalProfileStatus, ProfileStatusEntry};

/// One profile at the SM-DP+.
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    pub iccid: Iccid,
    pub profile_type: String,
    pub state: ProfileState,
    /// Linked at downloadOrder/confirmOrder, or the installing eUICC.
    pub eid: Option<Eid>,
    pub matching_id: Option<String>,
    pub confirmation_code: Option<String>,
    /// The functionRequesterIdentifier that placed the order.
    pub owner: Option<String>,
    /// An order for it was cancelled at least once.
    pub canceled_before: bool,
    pub last_modified: DateTime<Utc>,
}

/// What confirmOrder asks, parsed.
#[derive(Debug, Clone)]
pub(crate) struct Confirm {
    pub iccid: Iccid,
    pub eid: Option<Eid>,
    pub matching_id: Option<String>,
    pub confirmation_code: Option<String>,
    pub smds_address: bool,
    pub release: bool,
}

/// What cancelOrder asks, parsed.
#[derive(Debug, Clone)]
pub(crate) struct Cancel {
    pub iccid: Iccid,
    pub eid: Option<Eid>,
    pub matching_id: Option<String>,
    pub to: FinalProfileStatus,
}

/// Why a phone may not download, for the device endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeviceRefusal {
    MatchingIdUnknown,
    NotReleased,
    AlreadyUsed,
    EidRefused,
    ConfirmationCodeMissing,
    ConfirmationCodeRefused,
}

/// All profiles, plus indexes for picking and for phones.
#[derive(Debug)]
pub(crate) struct Inventory {
    profiles: HashMap<Iccid, Profile>,
    /// Available profiles, lowest ICCID first, so picking is predictable.
    available: BTreeSet<Iccid>,
    by_matching_id: HashMap<String, Iccid>,
    /// Matching ids of cancelled orders: never given to another order, so
    /// an old activation code cannot reach a new customer's profile.
    retired_matching_ids: HashSet<String>,
    profile_type: String,
}

impl Inventory {
    /// An inventory of `iccids`, all available, of one profile type.
    pub fn new(iccids: impl IntoIterator<Item = Iccid>, profile_type: &str) -> Self {
        let now = Utc::now();
        let mut profiles = HashMap::new();
        let mut available = BTreeSet::new();
        for iccid in iccids {
            available.insert(iccid.clone());
            profiles.insert(
                iccid.clone(),
                Profile {
                    iccid,
                    profile_type: profile_type.to_owned(),
                    state: ProfileState::Available,
                    eid: None,
                    matching_id: None,
                    confirmation_code: None,
                    owner: None,
                    canceled_before: false,
                    last_modified: now,
                },
            );
        }
        Self {
            profiles,
            available,
            by_matching_id: HashMap::new(),
            retired_matching_ids: HashSet::new(),
            profile_type: profile_type.to_owned(),
        }
    }

    /// How many profiles are free for an order.
    pub fn available_count(&self) -> usize {
        self.available.len()
    }

    /// One profile.
    pub fn get(&self, iccid: &Iccid) -> Option<&Profile> {
        self.profiles.get(iccid)
    }

    /// downloadOrder.
    pub fn order(
        &mut self,
        requester: &str,
        eid: Option<Eid>,
        iccid: Option<Iccid>,
        profile_type: Option<&str>,
    ) -> Result<Iccid, Refusal> {
        if let Some(t) = profile_type
            && t != self.profile_type
        {
            return Err(Refusal::new(codes::PROFILE_TYPE_UNKNOWN, "unknown profile type"));
        }
        let iccid = match iccid {
            Some(iccid) => {
                let profile = self.known(&iccid)?;
                if profile_type.is_some_and(|t| t != profile.profile_type) {
                    return Err(
                        Refusal::new(codes::PROFILE_TYPE_MISMATCH, "the profile is of another type").about(&iccid),
                    );
                }
                if profile.state != ProfileState::Available {
                    return Err(Refusal::new(codes::ICCID_NOT_AVAILABLE, "the profile is not available").about(&iccid));
                }
                iccid
            }
            None => self
                .available
                .first()
                .cloned()
                .ok_or_else(|| Refusal::new(codes::NO_PROFILE_AVAILABLE, "no more profiles available"))?,
        };
        let profile = self.known_mut(&iccid)?;
        profile.state = profile
            .state
            .order(eid.is_some())
            .map_err(|e| Refusal::new(codes::INVALID_TRANSITION, e.to_string()).about(&iccid))?;
        profile.eid = eid;
        profile.owner = Some(requester.to_owned());
        profile.last_modified = Utc::now();
        self.available.remove(&iccid);
        Ok(iccid)
    }

    /// confirmOrder; returns the linked EID and the matching id.
    pub fn confirm(&mut self, requester: &str, c: Confirm) -> Result<(Option<Eid>, String), Refusal> {
        let profile = self.owned(requester, &c.iccid)?;
        let next = profile
            .state
            .confirm(c.release)
            .map_err(|e| Refusal::new(codes::INVALID_TRANSITION, e.to_string()).about(&c.iccid))?;
        let eid = match (&profile.eid, c.eid) {
            (Some(linked), Some(given)) if *linked != given => {
                return Err(Refusal::new(codes::EID_DIFFERENT, "the order is linked to another EID").about(&c.iccid));
            }
            (linked, given) => given.or_else(|| linked.clone()),
        };
        let wants_default_flow = c.matching_id.as_deref() == Some("") || c.smds_address;
        if wants_default_flow && eid.is_none() {
            return Err(Refusal::new(
                codes::EID_REQUIRED,
                "an EID is needed with an SM-DS address or an empty matching id",
            )
            .about(&c.iccid));
        }
        let matching_id = match c.matching_id.filter(|m| !m.is_empty()) {
            Some(m) => {
                let valid = m.len() <= 255 && m.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                if !valid {
                    return Err(Refusal::new(
                        codes::MATCHING_ID_INVALID,
                        "a matching id has only letters, digits and hyphens",
                    ));
                }
                if self.by_matching_id.contains_key(&m) || self.retired_matching_ids.contains(&m) {
                    return Err(Refusal::new(
                        codes::MATCHING_ID_IN_USE,
                        "the matching id is already in use, or was used by a cancelled order",
                    ));
                }
                m
            }
            // The emulator has no default-SM-DP+ discovery, so it always
            // issues a matching id.
            None => self.fresh_matching_id(),
        };
        self.by_matching_id.insert(matching_id.clone(), c.iccid.clone());
        let profile = self.known_mut(&c.iccid)?;
        profile.state = next;
        profile.eid = eid.clone();
        profile.matching_id = Some(matching_id.clone());
        profile.confirmation_code = c.confirmation_code.filter(|s| !s.is_empty());
        profile.last_modified = Utc::now();
        Ok((eid, matching_id))
    }

    /// releaseProfile.
    pub fn release(&mut self, requester: &str, iccid: &Iccid) -> Result<(), Refusal> {
        let profile = self.owned(requester, iccid)?;
        let next = profile
            .state
            .release()
            .map_err(|e| Refusal::new(codes::INVALID_TRANSITION, e.to_string()).about(iccid))?;
        let profile = self.known_mut(iccid)?;
        profile.state = next;
        profile.last_modified = Utc::now();
        Ok(())
    }

    /// cancelOrder.
    pub fn cancel(&mut self, requester: &str, c: Cancel) -> Result<(), Refusal> {
        let profile = self.owned(requester, &c.iccid)?;
        if let Some(given) = &c.eid
            && profile.eid.as_ref() != Some(given)
        {
            // SGP.22 §5.3.4: a given EID must be the one the order is
            // associated with; an order linked to none has no such EID.
            return Err(Refusal::new(codes::EID_DIFFERENT, "the order is not linked to that EID").about(&c.iccid));
        }
        if let Some(given) = &c.matching_id
            && profile.matching_id.as_ref() != Some(given)
        {
            return Err(
                Refusal::new(codes::MATCHING_ID_DIFFERENT, "the order has another matching id").about(&c.iccid),
            );
        }
        let next = profile
            .state
            .cancel(c.to)
            .map_err(|e| Refusal::new(codes::INVALID_TRANSITION, e.to_string()).about(&c.iccid))?;
        let old_matching_id = profile.matching_id.clone();
        if let Some(m) = old_matching_id {
            self.by_matching_id.remove(&m);
            self.retired_matching_ids.insert(m);
        }
        let profile = self.known_mut(&c.iccid)?;
        profile.state = next;
        profile.eid = None;
        profile.matching_id = None;
        profile.confirmation_code = None;
        profile.owner = None;
        profile.canceled_before = true;
        profile.last_modified = Utc::now();
        if next == ProfileState::Available {
            self.available.insert(c.iccid);
        }
        Ok(())
    }

    /// The emulator's own inventory read (not an ES2+ function): every
    /// profile not in `Available`, or only those in `state`, ICCID order.
    pub fn list(&self, state: Option<ProfileState>) -> Vec<ProfileStatusEntry> {
        let mut out: Vec<ProfileStatusEntry> = self
            .profiles
            .values()
            .filter(|p| match state {
                Some(s) => p.state == s,
                None => p.state != ProfileState::Available,
            })
            .map(entry)
            .collect();
        out.sort_by(|a, b| a.iccid.cmp(&b.iccid));
        out
    }

    /// One profile as [`Inventory::list`] reports it.
    pub fn entry(&self, iccid: &Iccid) -> Option<ProfileStatusEntry> {
        self.profiles.get(iccid).map(entry)
    }

    /// A phone presents `matching_id`: checks it may download and moves the
    /// profile to Downloaded. Returns the profile's ICCID and type.
    pub fn start_download(
        &mut self,
        matching_id: &str,
        eid: &Eid,
        confirmation_code: Option<&str>,
    ) -> Result<(Iccid, String), DeviceRefusal> {
        let iccid = self
            .by_matching_id
            .get(matching_id)
            .cloned()
            .ok_or(DeviceRefusal::MatchingIdUnknown)?;
        let profile = self.profiles.get_mut(&iccid).ok_or(DeviceRefusal::MatchingIdUnknown)?;
        match profile.state {
            ProfileState::Released => {}
            ProfileState::Confirmed => return Err(DeviceRefusal::NotReleased),
            _ => return Err(DeviceRefusal::AlreadyUsed),
        }
        if profile.eid.as_ref().is_some_and(|linked| linked != eid) {
            return Err(DeviceRefusal::EidRefused);
        }
        if let Some(expected) = &profile.confirmation_code {
            match confirmation_code {
                None => return Err(DeviceRefusal::ConfirmationCodeMissing),
                Some(given) if given != expected => {
                    return Err(DeviceRefusal::ConfirmationCodeRefused);
                }
                Some(_) => {}
            }
        }
        profile.state = profile.state.download().map_err(|_| DeviceRefusal::AlreadyUsed)?;
        profile.eid = Some(eid.clone());
        profile.last_modified = Utc::now();
        Ok((iccid, profile.profile_type.clone()))
    }

    /// The phone installed the profile it downloaded, or failed to.
    pub fn finish_download(&mut self, iccid: &Iccid, installed: bool) -> Option<ProfileState> {
        let profile = self.profiles.get_mut(iccid)?;
        let next = if installed {
            profile.state.install()
        } else {
            profile.state.fail()
        };
        profile.state = next.ok()?;
        profile.last_modified = Utc::now();
        Some(profile.state)
    }

    /// The profile `iccid`, or "ICCID unknown".
    fn known(&self, iccid: &Iccid) -> Result<&Profile, Refusal> {
        self.profiles
            .get(iccid)
            .ok_or_else(|| Refusal::new(codes::ICCID_UNKNOWN, "unknown ICCID").about(iccid))
    }

    /// The profile `iccid` for changing.
    fn known_mut(&mut self, iccid: &Iccid) -> Result<&mut Profile, Refusal> {
        self.profiles
            .get_mut(iccid)
            .ok_or_else(|| Refusal::new(codes::ICCID_UNKNOWN, "unknown ICCID").about(iccid))
    }

    /// The profile `iccid`, refused when another requester placed its order.
    fn owned(&self, requester: &str, iccid: &Iccid) -> Result<&Profile, Refusal> {
        let profile = self.known(iccid)?;
        match &profile.owner {
            Some(owner) if owner != requester => Err(Refusal::new(
                codes::ICCID_NOT_ALLOWED,
                "the order belongs to another function requester",
            )
            .about(iccid)),
            _ => Ok(profile),
        }
    }

    /// A matching id no order uses, shaped like `ABCDE-12345-FGHJK-67890`.
    fn fresh_matching_id(&self) -> String {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
        let mut rng = rand::thread_rng();
        loop {
            let id: String = (0..23)
                .map(|i| {
                    if i % 6 == 5 {
                        '-'
                    } else {
                        char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])
                    }
                })
                .collect();
            if !self.by_matching_id.contains_key(&id) {
                return id;
            }
        }
    }
}

/// A profile in the inventory read's form.
fn entry(p: &Profile) -> ProfileStatusEntry {
    ProfileStatusEntry {
        iccid: p.iccid.to_es2_wire(),
        state: p.state,
        eid: p.eid.as_ref().map(|e| e.as_str().to_owned()),
        matching_id: p.matching_id.clone(),
        profile_type: p.profile_type.clone(),
        owner: p.owner.clone(),
        canceled_before: p.canceled_before,
        last_modified: p.last_modified,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn inventory(n: u64) -> Inventory {
        let iccids = (0..n).map(|s| Iccid::from_prefix_and_serial("8988247000", s, 20).unwrap());
        Inventory::new(iccids, "standard")
    }

    #[test]
    fn matching_ids_are_shaped_and_unique() {
        let inv = inventory(0);
        let id = inv.fresh_matching_id();
        assert_eq!(id.len(), 23);
        assert_eq!(id.matches('-').count(), 3);
        assert!(tern_domain::activation_code::ActivationCode::new("smdp.tern.test", &id).is_ok());
    }

    #[test]
    fn orders_pick_the_lowest_available_and_run_out() {
        let mut inv = inventory(2);
        let a = inv.order("op", None, None, None).unwrap();
        let b = inv.order("op", None, None, Some("standard")).unwrap();
        assert!(a < b);
        let err = inv.order("op", None, None, None).unwrap_err();
        assert_eq!(err.code, codes::NO_PROFILE_AVAILABLE);
        let cancel = Cancel {
            iccid: a.clone(),
            eid: None,
            matching_id: None,
            to: FinalProfileStatus::Available,
        };
        inv.cancel("op", cancel).unwrap();
        assert_eq!(inv.order("op", None, None, None).unwrap(), a);
    }

    #[test]
    fn a_cancelled_orders_matching_id_is_never_reused() {
        let mut inv = inventory(2);
        let a = inv.order("op", None, None, None).unwrap();
        let confirm = |iccid: &Iccid| Confirm {
            iccid: iccid.clone(),
            eid: None,
            matching_id: Some("ORDER-1".into()),
            confirmation_code: None,
            smds_address: false,
            release: true,
        };
        inv.confirm("op", confirm(&a)).unwrap();
        let cancel = Cancel {
            iccid: a.clone(),
            eid: None,
            matching_id: Some("ORDER-1".into()),
            to: FinalProfileStatus::Available,
        };
        inv.cancel("op", cancel).unwrap();
        let b = inv.order("op", None, None, None).unwrap();
        assert_eq!(
            inv.confirm("op", confirm(&b)).unwrap_err().code,
            codes::MATCHING_ID_IN_USE
        );
    }

    #[test]
    fn cancel_naming_an_eid_needs_an_order_linked_to_it() {
        let mut inv = inventory(1);
        let a = inv.order("op", None, None, None).unwrap();
        let eid = tern_domain::ids::Eid::with_check_digits("890490320000000000000000000000").unwrap();
        let cancel = Cancel {
            iccid: a.clone(),
            eid: Some(eid),
            matching_id: None,
            to: FinalProfileStatus::Available,
        };
        assert_eq!(inv.cancel("op", cancel).unwrap_err().code, codes::EID_DIFFERENT);
        assert_eq!(inv.get(&a).unwrap().state, ProfileState::Allocated);
    }

    #[test]
    fn another_requester_may_not_touch_the_order() {
        let mut inv = inventory(1);
        let iccid = inv.order("op", None, None, None).unwrap();
        let err = inv.release("intruder", &iccid).unwrap_err();
        assert_eq!(err.code, codes::ICCID_NOT_ALLOWED);
    }
}

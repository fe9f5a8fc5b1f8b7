//! Usage from the mobile network, and how it draws down the allowances of
//! the packages on an eSIM.
//!
//! The network reports usage as records — data in bytes, voice in seconds,
//! SMS as a count — each with an event id, the ICCID, the visited country
//! and when it happened. [`parse_record`] checks one record; [`draw_down`]
//! decides which packages pay for it:
//!
//! 1. Packages already running that cover the country and are valid at the
//!    record's time (`starts_at ≤ t < expires_at`) pay first, the one that
//!    expires soonest first, so nothing is left to lapse unused.
//! 2. When they cannot pay for all of it, packages that start on first use
//!    and cover the country start at the record's time (the shortest
//!    validity first) and pay for the rest. A package that does not start on
//!    first use, or that has nothing of the record's kind, is never started
//!    by usage. (Starting such a package while a running one still has
//!    allowance would burn its validity for nothing.)
//! 3. Whatever no package covers is overage: recorded, never taken from an
//!    allowance, so an allowance never goes below zero.
//!
//! Everything here is pure: the caller loads the packages, applies the
//! result and stores it.

use std::fmt;

use crate::catalogue::{Activation, CountryCode};
use crate::ids::Iccid;

/// A day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;
/// Most records in one batch.
pub const MAX_BATCH: usize = 10_000;
/// Largest quantity of one record (a tebibyte, or 34 000 years of calls):
/// more is a broken record, and refusing it keeps every sum in range.
pub const MAX_QUANTITY: i64 = 1 << 40;
/// Longest event id, in bytes.
pub const MAX_EVENT_ID_LEN: usize = 128;
/// How far in the future a record may claim to be (clocks drift).
pub const FUTURE_TOLERANCE_MS: i64 = 3_600_000;
/// Records from before 2000-01-01 are refused as implausible.
pub const EARLIEST_MS: i64 = 946_684_800_000;
/// How long before expiry a traveller is reminded.
pub const EXPIRY_NOTICE_MS: i64 = DAY_MS;

/// What a record measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UsageKind {
    /// Bytes of mobile data, up and down.
    Data,
    /// Seconds of calls.
    Voice,
    /// Text messages sent.
    Sms,
}

impl UsageKind {
    pub const ALL: [UsageKind; 3] = [UsageKind::Data, UsageKind::Voice, UsageKind::Sms];

    /// Parses `data`, `voice` or `sms` (exactly, as the API documents).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "data" => Some(UsageKind::Data),
            "voice" => Some(UsageKind::Voice),
            "sms" => Some(UsageKind::Sms),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UsageKind::Data => "data",
            UsageKind::Voice => "voice",
            UsageKind::Sms => "sms",
        }
    }
}

impl fmt::Display for UsageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One checked usage record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    pub event_id: String,
    pub iccid: Iccid,
    pub kind: UsageKind,
    /// Bytes, seconds or messages; always positive.
    pub quantity: i64,
    pub country: CountryCode,
    /// Unix milliseconds.
    pub occurred_at: i64,
}

/// The quantity as it arrived: an integer, or something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawQuantity {
    Integer(i64),
    /// A fraction, a string, a boolean, …
    NotInteger,
}

/// A record as it arrived, before checking.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawRecord<'a> {
    pub event_id: Option<&'a str>,
    pub iccid: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub quantity: Option<RawQuantity>,
    pub country: Option<&'a str>,
    pub occurred_at: Option<&'a str>,
}

/// One thing wrong with one field of a record, with a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub code: &'static str,
}

impl FieldProblem {
    const fn new(field: &'static str, code: &'static str) -> Self {
        Self { field, code }
    }
}

/// Checks every field of a record and reports all problems at once.
/// `now_ms` bounds how far in the future `occurred_at` may be.
pub fn parse_record(raw: &RawRecord<'_>, now_ms: i64) -> Result<UsageRecord, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let missing = |field| FieldProblem::new(field, "field_missing");

    let event_id = match raw.event_id.map(str::trim) {
        None => {
            problems.push(missing("event_id"));
            None
        }
        Some(e) if e.is_empty() || e.len() > MAX_EVENT_ID_LEN || e.chars().any(char::is_control) => {
            problems.push(FieldProblem::new("event_id", "event_id_invalid"));
            None
        }
        Some(e) => Some(e.to_owned()),
    };
    let iccid = match raw.iccid {
        None => {
            problems.push(missing("iccid"));
            None
        }
        Some(i) => match Iccid::known(i) {
            Ok(i) => Some(i),
            Err(e) => {
                problems.push(FieldProblem::new("iccid", e.code()));
                None
            }
        },
    };
    let kind = match raw.kind {
        None => {
            problems.push(missing("kind"));
            None
        }
        Some(k) => {
            let kind = UsageKind::parse(k);
            if kind.is_none() {
                problems.push(FieldProblem::new("kind", "kind_invalid"));
            }
            kind
        }
    };
    let quantity = match raw.quantity {
        None => {
            problems.push(missing("quantity"));
            None
        }
        Some(RawQuantity::NotInteger) => {
            problems.push(FieldProblem::new("quantity", "quantity_invalid"));
            None
        }
        Some(RawQuantity::Integer(q)) if q <= 0 => {
            problems.push(FieldProblem::new("quantity", "quantity_not_positive"));
            None
        }
        Some(RawQuantity::Integer(q)) if q > MAX_QUANTITY => {
            problems.push(FieldProblem::new("quantity", "quantity_too_large"));
            None
        }
        Some(RawQuantity::Integer(q)) => Some(q),
    };
    let country = match raw.country {
        None => {
            problems.push(missing("country"));
            None
        }
        Some(c) => match CountryCode::parse(c) {
            Ok(c) => Some(c),
            Err(_) => {
                problems.push(FieldProblem::new("country", "country_unknown"));
                None
            }
        },
    };
    let occurred_at = match raw.occurred_at {
        None => {
            problems.push(missing("occurred_at"));
            None
        }
        Some(t) => match chrono::DateTime::parse_from_rfc3339(t.trim()) {
            Err(_) => {
                problems.push(FieldProblem::new("occurred_at", "occurred_at_invalid"));
                None
            }
            Ok(t) => {
                let ms = t.timestamp_millis();
                if !(EARLIEST_MS..=now_ms.saturating_add(FUTURE_TOLERANCE_MS)).contains(&ms) {
                    problems.push(FieldProblem::new("occurred_at", "occurred_at_out_of_range"));
                    None
                } else {
                    Some(ms)
                }
            }
        },
    };
    match (event_id, iccid, kind, quantity, country, occurred_at) {
        (Some(event_id), Some(iccid), Some(kind), Some(quantity), Some(country), Some(occurred_at))
            if problems.is_empty() =>
        {
            Ok(UsageRecord {
                event_id,
                iccid,
                kind,
                quantity,
                country,
                occurred_at,
            })
        }
        _ => Err(problems),
    }
}

/// Where a package is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackageState {
    /// Bought; validity not started.
    Pending,
    Active,
    Expired,
    Canceled,
}

impl PackageState {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(PackageState::Pending),
            "active" => Some(PackageState::Active),
            "expired" => Some(PackageState::Expired),
            "canceled" => Some(PackageState::Canceled),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PackageState::Pending => "pending",
            PackageState::Active => "active",
            PackageState::Expired => "expired",
            PackageState::Canceled => "canceled",
        }
    }
}

/// How long before a purchase a usage record may be stamped and still start
/// the package: network clocks drift and records arrive in late batches, so
/// usage moments before buying (typically on the same new eSIM) counts, but
/// last week's usage never starts a plan bought today.
pub const PURCHASE_GRACE_MS: i64 = DAY_MS;

/// What a package allows and has used, as far as drawing down needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageBalance {
    pub countries: Vec<CountryCode>,
    pub state: PackageState,
    pub activation: Activation,
    pub validity_days: i64,
    /// When the package was bought (Unix ms): usage stamped more than
    /// [`PURCHASE_GRACE_MS`] before then never starts it.
    pub bought_at: i64,
    /// Unix milliseconds; set once the validity started.
    pub starts_at: Option<i64>,
    pub expires_at: Option<i64>,
    /// `None`: unlimited data.
    pub data_limit_bytes: Option<i64>,
    pub voice_limit_seconds: i64,
    pub sms_limit: i64,
    pub used_data_bytes: i64,
    pub used_voice_seconds: i64,
    pub used_sms: i64,
}

impl PackageBalance {
    pub fn covers(&self, country: CountryCode) -> bool {
        self.countries.contains(&country)
    }

    /// Whether the package's validity includes `t`. An expired package
    /// still pays for usage that happened before it expired (records can
    /// arrive late); a pending or canceled one never does.
    pub fn valid_at(&self, t: i64) -> bool {
        matches!(self.state, PackageState::Active | PackageState::Expired)
            && matches!((self.starts_at, self.expires_at), (Some(s), Some(e)) if s <= t && t < e)
    }

    /// What is left of `kind`; `None` means unlimited.
    pub fn left(&self, kind: UsageKind) -> Option<i64> {
        match kind {
            UsageKind::Data => self.data_limit_bytes.map(|l| (l - self.used_data_bytes).max(0)),
            UsageKind::Voice => Some((self.voice_limit_seconds - self.used_voice_seconds).max(0)),
            UsageKind::Sms => Some((self.sms_limit - self.used_sms).max(0)),
        }
    }

    pub fn used(&self, kind: UsageKind) -> i64 {
        match kind {
            UsageKind::Data => self.used_data_bytes,
            UsageKind::Voice => self.used_voice_seconds,
            UsageKind::Sms => self.used_sms,
        }
    }

    fn has_left(&self, kind: UsageKind) -> bool {
        self.left(kind).is_none_or(|l| l > 0)
    }

    /// Takes up to `wanted` of `kind`; returns how much it took.
    fn take(&mut self, kind: UsageKind, wanted: i64) -> i64 {
        let took = match self.left(kind) {
            None => wanted,
            Some(left) => left.min(wanted),
        };
        let used = match kind {
            UsageKind::Data => &mut self.used_data_bytes,
            UsageKind::Voice => &mut self.used_voice_seconds,
            UsageKind::Sms => &mut self.used_sms,
        };
        *used = used.saturating_add(took);
        took
    }

    /// Starts the validity at `t`.
    fn start(&mut self, t: i64) {
        self.state = PackageState::Active;
        self.starts_at = Some(t);
        self.expires_at = Some(t.saturating_add(self.validity_days.saturating_mul(DAY_MS)));
    }

    fn starts_on_use(&self, country: CountryCode, kind: UsageKind, t: i64) -> bool {
        self.state == PackageState::Pending
            && t >= self.bought_at.saturating_sub(PURCHASE_GRACE_MS)
            && self.activation == Activation::OnFirstUse
            && self.validity_days > 0
            && self.covers(country)
            && self.has_left(kind)
    }
}

/// Part of a record paid by one package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Draw {
    /// Index into the packages given to [`draw_down`].
    pub package: usize,
    pub quantity: i64,
}

/// How one record was paid for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allocation {
    /// In the order the packages paid.
    pub draws: Vec<Draw>,
    /// What no package covered.
    pub overage: i64,
    /// Packages whose validity this record started.
    pub started: Vec<usize>,
}

/// Draws `quantity` of `kind`, used in `country` at `t`, from `packages`
/// by the rules in the module documentation, updating them in place.
pub fn draw_down(
    packages: &mut [PackageBalance],
    kind: UsageKind,
    quantity: i64,
    country: CountryCode,
    t: i64,
) -> Allocation {
    let mut alloc = Allocation::default();
    let mut rest = quantity.max(0);
    let mut running: Vec<usize> = (0..packages.len())
        .filter(|&i| {
            let p = &packages[i];
            p.valid_at(t) && p.covers(country) && p.has_left(kind)
        })
        .collect();
    running.sort_by_key(|&i| (packages[i].expires_at, i));
    for i in running {
        if rest == 0 {
            break;
        }
        let took = packages[i].take(kind, rest);
        if took > 0 {
            rest -= took;
            alloc.draws.push(Draw {
                package: i,
                quantity: took,
            });
        }
    }
    if rest > 0 {
        let mut waiting: Vec<usize> = (0..packages.len())
            .filter(|&i| packages[i].starts_on_use(country, kind, t))
            .collect();
        waiting.sort_by_key(|&i| (packages[i].validity_days, i));
        for i in waiting {
            if rest == 0 {
                break;
            }
            packages[i].start(t);
            alloc.started.push(i);
            let took = packages[i].take(kind, rest);
            rest -= took;
            alloc.draws.push(Draw {
                package: i,
                quantity: took,
            });
        }
    }
    alloc.overage = rest;
    alloc
}

/// Marks running packages whose validity ended by `now` as expired;
/// returns their indexes.
pub fn expire_due(packages: &mut [PackageBalance], now: i64) -> Vec<usize> {
    let mut expired = Vec::new();
    for (i, p) in packages.iter_mut().enumerate() {
        if p.state == PackageState::Active && p.expires_at.is_some_and(|e| e <= now) {
            p.state = PackageState::Expired;
            expired.push(i);
        }
    }
    expired
}

/// A data-allowance message a package is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataNotice {
    /// 80 % of the data is used.
    Eighty,
    /// All of it is used. Replaces the 80 % message when usage jumps past
    /// both at once.
    Hundred,
}

/// Which data message (if any) is due, given which were sent already.
/// Unlimited packages get none.
pub fn data_notice(p: &PackageBalance, sent_80: bool, sent_100: bool) -> Option<DataNotice> {
    let limit = p.data_limit_bytes.filter(|l| *l > 0)?;
    let used = i128::from(p.used_data_bytes);
    if used >= i128::from(limit) {
        return (!sent_100).then_some(DataNotice::Hundred);
    }
    (used * 5 >= i128::from(limit) * 4 && !sent_80 && !sent_100).then_some(DataNotice::Eighty)
}

/// Whether the "expires in a day" reminder is due: the package runs and
/// ends within [`EXPIRY_NOTICE_MS`] from `now`.
pub fn expiry_notice_due(p: &PackageBalance, sent: bool, now: i64) -> bool {
    !sent && p.state == PackageState::Active && p.expires_at.is_some_and(|e| e > now && e - now <= EXPIRY_NOTICE_MS)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const GB: i64 = 1 << 30;
    const T0: i64 = 1_750_000_000_000;

    fn cc(c: &str) -> CountryCode {
        CountryCode::parse(c).unwrap()
    }

    fn active(countries: &[&str], data: Option<i64>, starts: i64, days: i64) -> PackageBalance {
        PackageBalance {
            bought_at: 0,
            countries: countries.iter().map(|c| cc(c)).collect(),
            state: PackageState::Active,
            activation: Activation::OnPurchase,
            validity_days: days,
            starts_at: Some(starts),
            expires_at: Some(starts + days * DAY_MS),
            data_limit_bytes: data,
            voice_limit_seconds: 0,
            sms_limit: 0,
            used_data_bytes: 0,
            used_voice_seconds: 0,
            used_sms: 0,
        }
    }

    fn pending(countries: &[&str], data: Option<i64>, days: i64, activation: Activation) -> PackageBalance {
        PackageBalance {
            state: PackageState::Pending,
            activation,
            starts_at: None,
            expires_at: None,
            ..active(countries, data, 0, days)
        }
    }

    #[test]
    fn usage_from_before_the_purchase_never_starts_a_package() {
        let jp = CountryCode::parse("JP").unwrap();
        let mut ps = vec![pending(&["JP"], Some(1_000), 7, Activation::OnFirstUse)];
        ps[0].bought_at = 10 * DAY_MS;
        let before = draw_down(&mut ps, UsageKind::Data, 100, jp, 9 * DAY_MS - 1);
        assert!(before.draws.is_empty());
        assert_eq!(ps[0].state, PackageState::Pending);
        let after = draw_down(&mut ps, UsageKind::Data, 100, jp, 11 * DAY_MS);
        assert_eq!(after.draws.len(), 1);
        assert_eq!(ps[0].starts_at, Some(11 * DAY_MS));
    }

    #[test]
    fn the_soonest_expiring_package_pays_first_and_the_rest_spills_over() {
        let mut ps = vec![
            active(&["JP", "KR"], Some(5 * GB), T0, 30),
            active(&["JP"], Some(GB), T0, 7),
        ];
        let a = draw_down(&mut ps, UsageKind::Data, GB / 2, cc("JP"), T0 + 1000);
        assert_eq!(
            a.draws,
            vec![Draw {
                package: 1,
                quantity: GB / 2
            }]
        );
        assert_eq!(a.overage, 0);
        let a = draw_down(&mut ps, UsageKind::Data, GB, cc("JP"), T0 + 2000);
        assert_eq!(
            a.draws,
            vec![
                Draw {
                    package: 1,
                    quantity: GB / 2
                },
                Draw {
                    package: 0,
                    quantity: GB / 2
                }
            ]
        );
        assert_eq!((ps[0].used_data_bytes, ps[1].used_data_bytes), (GB / 2, GB));
        // Korea: only the regional package covers it.
        let a = draw_down(&mut ps, UsageKind::Data, 100, cc("KR"), T0 + 3000);
        assert_eq!(
            a.draws,
            vec![Draw {
                package: 0,
                quantity: 100
            }]
        );
    }

    #[test]
    fn uncovered_countries_and_exhausted_allowances_are_overage() {
        let mut ps = vec![active(&["JP"], Some(1000), T0, 7)];
        let a = draw_down(&mut ps, UsageKind::Data, 500, cc("US"), T0 + 1);
        assert_eq!((a.draws.len(), a.overage), (0, 500));
        let a = draw_down(&mut ps, UsageKind::Data, 1500, cc("JP"), T0 + 1);
        assert_eq!(
            a.draws,
            vec![Draw {
                package: 0,
                quantity: 1000
            }]
        );
        assert_eq!(a.overage, 500);
        assert_eq!(ps[0].left(UsageKind::Data), Some(0));
        let a = draw_down(&mut ps, UsageKind::Data, 7, cc("JP"), T0 + 2);
        assert_eq!((a.draws.len(), a.overage), (0, 7));
        assert_eq!(ps[0].used_data_bytes, 1000, "never beyond the limit");
    }

    #[test]
    fn validity_is_checked_at_the_records_time() {
        let mut ps = vec![active(&["JP"], Some(1000), T0, 1)];
        let before = draw_down(&mut ps, UsageKind::Data, 1, cc("JP"), T0 - 1);
        assert_eq!(before.overage, 1);
        let at_end = draw_down(&mut ps, UsageKind::Data, 1, cc("JP"), T0 + DAY_MS);
        assert_eq!(at_end.overage, 1, "expires_at is exclusive");
        // Marked expired, a late record from inside the validity still counts.
        assert_eq!(expire_due(&mut ps, T0 + 2 * DAY_MS), vec![0]);
        assert_eq!(ps[0].state, PackageState::Expired);
        let late = draw_down(&mut ps, UsageKind::Data, 10, cc("JP"), T0 + 5);
        assert_eq!(late.overage, 0);
        assert_eq!(ps[0].used_data_bytes, 10);
        assert!(expire_due(&mut ps, T0 + 3 * DAY_MS).is_empty(), "expired once");
    }

    #[test]
    fn first_use_starts_a_pending_package_only_when_needed() {
        let mut ps = vec![
            pending(&["JP"], Some(1000), 15, Activation::OnFirstUse),
            pending(&["JP"], Some(1000), 7, Activation::OnInstall),
        ];
        let t = T0 + 123;
        let a = draw_down(&mut ps, UsageKind::Data, 400, cc("JP"), t);
        assert_eq!(a.started, vec![0]);
        assert_eq!(ps[0].state, PackageState::Active);
        assert_eq!(ps[0].starts_at, Some(t));
        assert_eq!(ps[0].expires_at, Some(t + 15 * DAY_MS));
        assert_eq!(ps[1].state, PackageState::Pending, "on_install is not started by usage");
        // A second first-use package waits while the running one has data.
        ps.push(pending(&["JP"], Some(1000), 3, Activation::OnFirstUse));
        let a = draw_down(&mut ps, UsageKind::Data, 600, cc("JP"), t + 10);
        assert!(a.started.is_empty());
        assert_eq!(ps[2].state, PackageState::Pending);
        // …and starts when it runs out.
        let a = draw_down(&mut ps, UsageKind::Data, 50, cc("JP"), t + 20);
        assert_eq!(a.started, vec![2]);
        assert_eq!(
            a.draws,
            vec![Draw {
                package: 2,
                quantity: 50
            }]
        );
    }

    #[test]
    fn pending_packages_are_not_started_for_what_they_lack_or_elsewhere() {
        let mut ps = vec![pending(&["JP"], Some(1000), 15, Activation::OnFirstUse)];
        let a = draw_down(&mut ps, UsageKind::Voice, 60, cc("JP"), T0);
        assert_eq!((a.overage, a.started.len()), (60, 0), "no voice in the plan");
        let a = draw_down(&mut ps, UsageKind::Data, 60, cc("FR"), T0);
        assert_eq!((a.overage, a.started.len()), (60, 0), "not covered");
        assert_eq!(ps[0].state, PackageState::Pending);
    }

    #[test]
    fn unlimited_data_absorbs_everything_but_voice_and_sms_have_limits() {
        let mut p = active(&["FR"], None, T0, 15);
        p.voice_limit_seconds = 600;
        p.sms_limit = 2;
        let mut ps = vec![p];
        let a = draw_down(&mut ps, UsageKind::Data, 500 * GB, cc("FR"), T0 + 1);
        assert_eq!(a.overage, 0);
        assert_eq!(ps[0].left(UsageKind::Data), None);
        let a = draw_down(&mut ps, UsageKind::Voice, 700, cc("FR"), T0 + 1);
        assert_eq!(a.overage, 100);
        let a = draw_down(&mut ps, UsageKind::Sms, 3, cc("FR"), T0 + 1);
        assert_eq!(a.overage, 1);
        assert_eq!((ps[0].used_voice_seconds, ps[0].used_sms), (600, 2));
    }

    #[test]
    fn canceled_packages_pay_nothing() {
        let mut p = active(&["JP"], Some(1000), T0, 7);
        p.state = PackageState::Canceled;
        let mut ps = vec![p];
        assert_eq!(draw_down(&mut ps, UsageKind::Data, 5, cc("JP"), T0 + 1).overage, 5);
    }

    #[test]
    fn data_notices_at_80_and_100_percent_once_each() {
        let mut p = active(&["JP"], Some(1000), T0, 7);
        p.used_data_bytes = 799;
        assert_eq!(data_notice(&p, false, false), None);
        p.used_data_bytes = 800;
        assert_eq!(data_notice(&p, false, false), Some(DataNotice::Eighty));
        assert_eq!(data_notice(&p, true, false), None);
        p.used_data_bytes = 1000;
        assert_eq!(data_notice(&p, true, false), Some(DataNotice::Hundred));
        assert_eq!(
            data_notice(&p, false, false),
            Some(DataNotice::Hundred),
            "jumped past both"
        );
        assert_eq!(data_notice(&p, true, true), None);
        p.data_limit_bytes = None;
        assert_eq!(data_notice(&p, false, false), None, "unlimited");
    }

    #[test]
    fn expiry_notice_in_the_last_day() {
        let p = active(&["JP"], Some(1000), T0, 7);
        let end = T0 + 7 * DAY_MS;
        assert!(!expiry_notice_due(&p, false, end - DAY_MS - 1));
        assert!(expiry_notice_due(&p, false, end - DAY_MS));
        assert!(expiry_notice_due(&p, false, end - 1));
        assert!(!expiry_notice_due(&p, true, end - 1));
        assert!(!expiry_notice_due(&p, false, end), "already over");
    }

    #[test]
    fn records_are_checked_field_by_field() {
        let now = T0;
        let iccid = Iccid::from_prefix_and_serial("8981", 42, 19).unwrap();
        let good = RawRecord {
            event_id: Some("ev-1"),
            iccid: Some(iccid.as_str()),
            kind: Some("data"),
            quantity: Some(RawQuantity::Integer(1024)),
            country: Some("jp"),
            occurred_at: Some("2025-06-15T14:40:00Z"),
        };
        let r = parse_record(&good, now).unwrap();
        assert_eq!(r.country.as_str(), "JP");
        assert_eq!(r.kind, UsageKind::Data);
        assert_eq!(r.iccid, iccid);
        assert_eq!(r.occurred_at, 1_749_998_400_000);
        let bad = RawRecord {
            event_id: Some(" "),
            iccid: Some("123"),
            kind: Some("fax"),
            quantity: Some(RawQuantity::Integer(0)),
            country: Some("XX"),
            occurred_at: Some("yesterday"),
        };
        let problems = parse_record(&bad, now).unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| (p.field, p.code)).collect();
        assert_eq!(
            fields,
            vec![
                ("event_id", "event_id_invalid"),
                ("iccid", "iccid_invalid_length"),
                ("kind", "kind_invalid"),
                ("quantity", "quantity_not_positive"),
                ("country", "country_unknown"),
                ("occurred_at", "occurred_at_invalid"),
            ]
        );
        let empty = parse_record(&RawRecord::default(), now).unwrap_err();
        assert_eq!(empty.len(), 6);
        assert!(empty.iter().all(|p| p.code == "field_missing"));
        let future = RawRecord {
            occurred_at: Some("2100-01-01T00:00:00Z"),
            quantity: Some(RawQuantity::NotInteger),
            ..good
        };
        let problems = parse_record(&future, now).unwrap_err();
        assert!(problems.contains(&FieldProblem::new("occurred_at", "occurred_at_out_of_range")));
        assert!(problems.contains(&FieldProblem::new("quantity", "quantity_invalid")));
        let huge = RawRecord {
            quantity: Some(RawQuantity::Integer(MAX_QUANTITY + 1)),
            ..good
        };
        assert!(
            parse_record(&huge, now)
                .unwrap_err()
                .contains(&FieldProblem::new("quantity", "quantity_too_large"))
        );
    }

    fn arb_package() -> impl Strategy<Value = PackageBalance> {
        (
            prop::sample::subsequence(vec!["JP", "KR", "FR"], 1..=3),
            0u8..4,
            prop::option::weighted(0.8, 0i64..5_000),
            0i64..3_000,
            0i64..50,
            -5i64..5,
            1i64..10,
            prop::bool::ANY,
            0i64..5_000,
        )
            .prop_map(
                |(countries, state, data, voice, sms, start_day, days, first_use, used)| {
                    let state = match state {
                        0 => PackageState::Pending,
                        1 | 2 => PackageState::Active,
                        _ => PackageState::Canceled,
                    };
                    let started = state != PackageState::Pending;
                    let starts_at = T0 + start_day * DAY_MS;
                    PackageBalance {
                        bought_at: 0,
                        countries: countries.iter().map(|c| cc(c)).collect(),
                        state,
                        activation: if first_use {
                            Activation::OnFirstUse
                        } else {
                            Activation::OnInstall
                        },
                        validity_days: days,
                        starts_at: started.then_some(starts_at),
                        expires_at: started.then_some(starts_at + days * DAY_MS),
                        data_limit_bytes: data,
                        voice_limit_seconds: voice,
                        sms_limit: sms,
                        used_data_bytes: if started { data.map_or(used, |d| used.min(d)) } else { 0 },
                        used_voice_seconds: 0,
                        used_sms: 0,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn every_unit_is_paid_once_and_no_allowance_goes_negative(
            packages in prop::collection::vec(arb_package(), 0..5),
            records in prop::collection::vec(
                (0usize..3, 1i64..4_000, prop::sample::select(vec!["JP", "KR", "FR", "US"]), -3i64 * DAY_MS..8 * DAY_MS),
                1..20,
            ),
        ) {
            let mut ps = packages.clone();
            for (kind, quantity, country, dt) in records {
                let kind = UsageKind::ALL[kind];
                let country = cc(country);
                let t = T0 + dt;
                let before = ps.clone();
                let a = draw_down(&mut ps, kind, quantity, country, t);
                // Conservation: what the packages paid plus overage is the record.
                let drawn: i64 = a.draws.iter().map(|d| d.quantity).sum();
                prop_assert_eq!(drawn + a.overage, quantity);
                prop_assert!(a.overage >= 0);
                for (i, (b, p)) in before.iter().zip(&ps).enumerate() {
                    let paid: i64 = a.draws.iter().filter(|d| d.package == i).map(|d| d.quantity).sum();
                    prop_assert_eq!(p.used(kind) - b.used(kind), paid);
                    if paid > 0 {
                        prop_assert!(p.covers(country));
                        prop_assert!(p.valid_at(t));
                    }
                    if let Some(left) = p.left(kind) {
                        prop_assert!(left >= 0);
                        prop_assert!(b.left(kind).is_some_and(|bl| paid <= bl));
                    }
                    for other in UsageKind::ALL.into_iter().filter(|k| *k != kind) {
                        prop_assert_eq!(p.used(other), b.used(other));
                    }
                    // Only pending first-use packages change state, and only
                    // when nothing already running could pay for all of it.
                    if p.state != b.state {
                        prop_assert_eq!(b.state, PackageState::Pending);
                        prop_assert_eq!(p.activation, Activation::OnFirstUse);
                        prop_assert!(a.started.contains(&i));
                        prop_assert_eq!(p.starts_at, Some(t));
                    }
                }
                // Overage only when nothing that could pay has any left.
                if a.overage > 0 {
                    for p in ps.iter().filter(|p| p.covers(country)) {
                        let first_use = p.state == PackageState::Pending && p.activation == Activation::OnFirstUse;
                        if p.valid_at(t) || first_use {
                            prop_assert_eq!(p.left(kind), Some(0));
                        }
                    }
                }
                // Running packages paid in order of expiry.
                let expiries: Vec<_> = a.draws.iter()
                    .filter(|d| !a.started.contains(&d.package))
                    .map(|d| before[d.package].expires_at)
                    .collect();
                prop_assert!(expiries.windows(2).all(|w| w[0] <= w[1]));
            }
        }
    }
}

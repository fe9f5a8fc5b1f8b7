//! Working-day arithmetic, for deadlines counted in working days such as the
//! account-closure due date (PIPL / GB/T 35273: 15 working days).
//!
//! A calendar is a weekly pattern of weekend days plus two lists of
//! exceptions: public holidays (days off) and make-up working days (weekend
//! days worked in exchange for a longer holiday, as in mainland China). It
//! is read from a small TOML text:
//!
//! ```toml
//! name = "cn-2026"
//! weekend = ["sat", "sun"]            # weekday names, "mon" or "monday"
//! valid_until = "2026-12-31"          # optional: last day the lists cover
//! holidays = ["2026-01-01/2026-01-03", "2026-04-06"]  # a day or an inclusive range
//! workdays = ["2026-01-04"]           # make-up days; each must be a weekend day
//! ```

use std::collections::BTreeSet;
use std::ops::Bound::{Excluded, Included};

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Why a calendar text was refused. Each maps to a stable error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// Not TOML, or not the expected keys and types.
    #[error("the calendar is not valid: {0}")]
    Toml(String),
    /// A date or range that is not `YYYY-MM-DD` or `YYYY-MM-DD/YYYY-MM-DD`.
    #[error("{0:?} is not a date (YYYY-MM-DD) or a range of at most a year (YYYY-MM-DD/YYYY-MM-DD)")]
    BadDate(String),
    /// A weekend entry that is not a weekday name.
    #[error("{0:?} is not a weekday name such as sat or sunday")]
    UnknownWeekday(String),
    /// A date listed as both a holiday and a make-up working day.
    #[error("{0} is listed both as a holiday and as a working day")]
    HolidayAndWorkday(NaiveDate),
    /// A make-up working day that is not a weekend day, most likely a typo.
    #[error("{0} is listed as a make-up working day but is not a weekend day")]
    WorkdayNotOnWeekend(NaiveDate),
    /// Every day of the week is a weekend day, so nothing could fall due.
    #[error("the weekend covers the whole week")]
    NoWorkingDays,
}

impl CalendarError {
    /// The stable snake_case code logs and the admin UI match on.
    pub fn code(&self) -> &'static str {
        match self {
            CalendarError::Toml(_) => "calendar_invalid",
            CalendarError::BadDate(_) => "calendar_bad_date",
            CalendarError::UnknownWeekday(_) => "calendar_unknown_weekday",
            CalendarError::HolidayAndWorkday(_) => "calendar_holiday_and_workday",
            CalendarError::WorkdayNotOnWeekend(_) => "calendar_workday_not_on_weekend",
            CalendarError::NoWorkingDays => "calendar_no_working_days",
        }
    }
}

/// The calendar text as written, before any checking.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    name: String,
    weekend: Vec<String>,
    #[serde(default)]
    valid_until: Option<String>,
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    workdays: Vec<String>,
}

/// A checked working-day calendar: which days count towards a deadline.
///
/// Built with [`WorkCalendar::from_toml`] or [`WorkCalendar::builtin`]; the
/// weekend never covers the whole week, so every count terminates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkCalendar {
    name: String,
    /// Indexed by `Weekday::num_days_from_monday`.
    weekend: [bool; 7],
    valid_until: Option<NaiveDate>,
    holidays: BTreeSet<NaiveDate>,
    /// Make-up working days; all fall on weekend days.
    workdays: BTreeSet<NaiveDate>,
}

/// The longest range accepted in one holiday entry, in days.
const MAX_RANGE_DAYS: i64 = 366;

impl WorkCalendar {
    /// The names [`WorkCalendar::builtin`] knows, for configuration checks
    /// and help texts.
    pub const BUILTIN_NAMES: [&'static str; 2] = ["weekends", "cn-2026"];

    /// A calendar shipped with Tern: `weekends` (Saturday and Sunday off, no
    /// holidays) or `cn-2026` (mainland China 2026, State Council notice of
    /// 2025-11-04).
    pub fn builtin(name: &str) -> Option<Self> {
        let text = match name {
            "weekends" => include_str!("../calendars/weekends.toml"),
            "cn-2026" => include_str!("../calendars/cn-2026.toml"),
            _ => return None,
        };
        Self::from_toml(text).ok()
    }

    /// Reads and checks a calendar text (see the module docs for its shape),
    /// so an operator's own calendar is refused early rather than producing
    /// wrong due dates.
    pub fn from_toml(text: &str) -> Result<Self, CalendarError> {
        let raw: RawCalendar = toml::from_str(text).map_err(|e| CalendarError::Toml(e.message().to_owned()))?;
        let mut weekend = [false; 7];
        for day in &raw.weekend {
            let wd: Weekday = day
                .trim()
                .parse()
                .map_err(|_| CalendarError::UnknownWeekday(day.clone()))?;
            weekend[wd.num_days_from_monday() as usize] = true;
        }
        if weekend.iter().all(|off| *off) {
            return Err(CalendarError::NoWorkingDays);
        }
        let valid_until = raw.valid_until.as_deref().map(parse_date).transpose()?;
        let mut holidays = BTreeSet::new();
        for entry in &raw.holidays {
            holidays.extend(parse_days(entry)?);
        }
        let mut workdays = BTreeSet::new();
        for entry in &raw.workdays {
            workdays.extend(parse_days(entry)?);
        }
        if let Some(both) = holidays.intersection(&workdays).next() {
            return Err(CalendarError::HolidayAndWorkday(*both));
        }
        if let Some(odd) = workdays
            .iter()
            .find(|d| !weekend[d.weekday().num_days_from_monday() as usize])
        {
            return Err(CalendarError::WorkdayNotOnWeekend(*odd));
        }
        Ok(Self {
            name: raw.name,
            weekend,
            valid_until,
            holidays,
            workdays,
        })
    }

    /// The calendar's name, e.g. `cn-2026`, to record which calendar a due
    /// date was computed with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The last day the holiday lists cover, if the calendar says so. Later
    /// days follow the weekly pattern only, so callers can warn when a
    /// deadline runs past it.
    pub fn valid_until(&self) -> Option<NaiveDate> {
        self.valid_until
    }

    /// Whether `day` counts towards a deadline: a make-up working day, or a
    /// day that is neither a weekend day nor a holiday.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.workdays.contains(&day) {
            return true;
        }
        !self.holidays.contains(&day) && !self.is_weekend(day.weekday())
    }

    /// The `n`th working day after `start`: counting begins the day after, so
    /// a request received on day D with n = 15 is due on the 15th working day
    /// after D, whatever kind of day D is. `n = 0` gives `start`.
    ///
    /// Saturates at `NaiveDate::MAX`, far beyond any real deadline.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let per_week = self.working_days_per_week();
        let mut day = start;
        let mut left = n;
        while left > 0 {
            // Past the last listed exception every week has the same number
            // of working days, so whole weeks can be skipped; at least one
            // day is always left to step onto the final working day.
            if per_week > 0 && left > per_week && self.after_all_exceptions(day) {
                let weeks = (left - 1) / per_week;
                match day.checked_add_days(Days::new(u64::from(weeks) * 7)) {
                    Some(later) => day = later,
                    None => return NaiveDate::MAX,
                }
                left -= weeks * per_week;
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => return NaiveDate::MAX,
            }
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// The number of working days in `(from, to]`: how many working days
    /// remain from `from` until a deadline `to`, so operators can see the
    /// requests due within a few working days. Zero when `to <= from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        if to <= from {
            return 0;
        }
        let span = (to - from).num_days();
        // The weekly pattern first: whole weeks, then the remaining days
        // counted back from `to`.
        let mut count = span / 7 * i64::from(self.working_days_per_week());
        let last = i64::from(to.weekday().num_days_from_monday());
        for back in 0..span % 7 {
            let wd = (last - back).rem_euclid(7) as usize;
            if !self.weekend[wd] {
                count += 1;
            }
        }
        // Then the exceptions inside the range. Make-up days are always
        // weekend days, so each adds one; a holiday removes one unless it
        // already falls on a weekend day.
        let range = (Excluded(from), Included(to));
        count += self.workdays.range(range).count() as i64;
        count -= self
            .holidays
            .range(range)
            .filter(|d| !self.is_weekend(d.weekday()))
            .count() as i64;
        u32::try_from(count.max(0)).unwrap_or(u32::MAX)
    }

    /// Whether `wd` is a weekend day in the weekly pattern.
    fn is_weekend(&self, wd: Weekday) -> bool {
        self.weekend[wd.num_days_from_monday() as usize]
    }

    /// Working days in a week with no exceptions.
    fn working_days_per_week(&self) -> u32 {
        self.weekend.iter().filter(|off| !**off).count() as u32
    }

    /// True when no holiday or make-up day comes after `day`.
    fn after_all_exceptions(&self, day: NaiveDate) -> bool {
        let last = self.holidays.last().max(self.workdays.last());
        last.is_none_or(|l| day >= *l)
    }
}

/// Parses one `YYYY-MM-DD`.
fn parse_date(s: &str) -> Result<NaiveDate, CalendarError> {
    let t = s.trim();
    let bad = || CalendarError::BadDate(s.to_owned());
    if t.len() != 10 {
        return Err(bad());
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| bad())
}

/// Parses a `YYYY-MM-DD` or an inclusive `YYYY-MM-DD/YYYY-MM-DD` range (the
/// ISO 8601 interval notation) into its days.
fn parse_days(entry: &str) -> Result<Vec<NaiveDate>, CalendarError> {
    let Some((a, b)) = entry.split_once('/') else {
        return Ok(vec![parse_date(entry)?]);
    };
    let (first, last) = (parse_date(a)?, parse_date(b)?);
    let len = (last - first).num_days();
    if !(0..MAX_RANGE_DAYS).contains(&len) {
        return Err(CalendarError::BadDate(entry.to_owned()));
    }
    Ok(first.iter_days().take(len as usize + 1).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cn() -> WorkCalendar {
        WorkCalendar::builtin("cn-2026").unwrap()
    }

    fn weekends() -> WorkCalendar {
        WorkCalendar::builtin("weekends").unwrap()
    }

    #[test]
    fn builtins_load() {
        for name in WorkCalendar::BUILTIN_NAMES {
            assert_eq!(WorkCalendar::builtin(name).unwrap().name(), name);
        }
        assert!(WorkCalendar::builtin("xx-2026").is_none());
        assert_eq!(cn().valid_until(), Some(d("2026-12-31")));
        assert_eq!(weekends().valid_until(), None);
    }

    #[test]
    fn cn_2026_day_kinds() {
        let cn = cn();
        // 2026-01-01 is a Thursday (holiday); Jan 4 is the make-up Sunday.
        assert!(!cn.is_working_day(d("2026-01-01")));
        assert!(!cn.is_working_day(d("2026-01-03")));
        assert!(cn.is_working_day(d("2026-01-04")));
        assert!(cn.is_working_day(d("2026-01-05")));
        // Spring Festival Sun Feb 15 .. Mon Feb 23; make-up Sat Feb 14 and 28.
        assert!(cn.is_working_day(d("2026-02-14")));
        assert!(!cn.is_working_day(d("2026-02-16")));
        assert!(!cn.is_working_day(d("2026-02-23")));
        assert!(cn.is_working_day(d("2026-02-24")));
        assert!(cn.is_working_day(d("2026-02-28")));
        assert!(!cn.is_working_day(d("2026-03-01")));
        // Qingming Mon Apr 6 off; Labour Day Fri May 1 .. Tue May 5 off.
        assert!(!cn.is_working_day(d("2026-04-06")));
        assert!(!cn.is_working_day(d("2026-05-05")));
        assert!(cn.is_working_day(d("2026-05-09")));
        // An ordinary Saturday is still off.
        assert!(!cn.is_working_day(d("2026-03-07")));
    }

    #[test]
    fn cn_spring_festival_received_friday_feb_13() {
        // Received Fri 2026-02-13, n = 15:
        //  1 Sat 02-14 (make-up day)
        //    Sun 02-15 .. Mon 02-23 Spring Festival, nine days off
        //  2 Tue 02-24   3 Wed 02-25   4 Thu 02-26   5 Fri 02-27
        //  6 Sat 02-28 (make-up day)
        //    Sun 03-01 weekend
        //  7 Mon 03-02   8 Tue 03-03   9 Wed 03-04  10 Thu 03-05  11 Fri 03-06
        //    Sat 03-07, Sun 03-08 weekend
        // 12 Mon 03-09  13 Tue 03-10  14 Wed 03-11  15 Thu 03-12
        let cn = cn();
        assert_eq!(cn.add_working_days(d("2026-02-13"), 1), d("2026-02-14"));
        assert_eq!(cn.add_working_days(d("2026-02-13"), 2), d("2026-02-24"));
        assert_eq!(cn.add_working_days(d("2026-02-13"), 6), d("2026-02-28"));
        assert_eq!(cn.add_working_days(d("2026-02-13"), 15), d("2026-03-12"));
        assert_eq!(cn.working_days_between(d("2026-02-13"), d("2026-03-12")), 15);
        // With weekends only: Feb 16-20, Feb 23-27, Mar 2-6, so Fri 03-06.
        assert_eq!(weekends().add_working_days(d("2026-02-13"), 15), d("2026-03-06"));
    }

    #[test]
    fn cn_national_day_received_thursday_sep_24() {
        // Received Thu 2026-09-24, n = 15:
        //    Fri 09-25 .. Sun 09-27 Mid-Autumn off
        //  1 Mon 09-28   2 Tue 09-29   3 Wed 09-30
        //    Thu 10-01 .. Wed 10-07 National Day off
        //  4 Thu 10-08   5 Fri 10-09   6 Sat 10-10 (make-up day)
        //    Sun 10-11 weekend
        //  7 Mon 10-12   8 Tue 10-13   9 Wed 10-14  10 Thu 10-15  11 Fri 10-16
        //    Sat 10-17, Sun 10-18 weekend
        // 12 Mon 10-19  13 Tue 10-20  14 Wed 10-21  15 Thu 10-22
        let cn = cn();
        assert_eq!(cn.add_working_days(d("2026-09-24"), 3), d("2026-09-30"));
        assert_eq!(cn.add_working_days(d("2026-09-24"), 4), d("2026-10-08"));
        assert_eq!(cn.add_working_days(d("2026-09-24"), 15), d("2026-10-22"));
        assert_eq!(cn.working_days_between(d("2026-09-24"), d("2026-09-30")), 3);
    }

    #[test]
    fn cn_national_day_received_wednesday_sep_30() {
        // Received Wed 2026-09-30, n = 15:
        //    Thu 10-01 .. Wed 10-07 off
        //  1 Thu 10-08   2 Fri 10-09   3 Sat 10-10 (make-up day)
        //  4 Mon 10-12   5 Tue 10-13   6 Wed 10-14   7 Thu 10-15   8 Fri 10-16
        //  9 Mon 10-19  10 Tue 10-20  11 Wed 10-21  12 Thu 10-22  13 Fri 10-23
        // 14 Mon 10-26  15 Tue 10-27
        let cn = cn();
        assert_eq!(cn.add_working_days(d("2026-09-30"), 15), d("2026-10-27"));
        assert_eq!(cn.working_days_between(d("2026-09-30"), d("2026-10-27")), 15);
        // "Within 3 working days of due" on Thu 10-22: Fri 23, Mon 26, Tue 27.
        assert_eq!(cn.working_days_between(d("2026-10-22"), d("2026-10-27")), 3);
        // Received on a holiday (Sat 10-03): the next working day is Thu 10-08.
        assert_eq!(cn.add_working_days(d("2026-10-03"), 1), d("2026-10-08"));
    }

    #[test]
    fn cn_other_make_up_days() {
        let cn = cn();
        // Wed 2025-12-31: Thu-Sat Jan 1-3 off, Sun Jan 4 worked, then Mon Jan 5.
        assert_eq!(cn.add_working_days(d("2025-12-31"), 1), d("2026-01-04"));
        assert_eq!(cn.add_working_days(d("2025-12-31"), 2), d("2026-01-05"));
        // Fri 09-18: Sat 09-19 off, Sun 09-20 worked.
        assert_eq!(cn.add_working_days(d("2026-09-18"), 1), d("2026-09-20"));
        // Thu 04-30: Fri May 1 .. Tue May 5 off; Wed 6, Thu 7, Fri 8, Sat 9.
        assert_eq!(cn.add_working_days(d("2026-04-30"), 1), d("2026-05-06"));
        assert_eq!(cn.add_working_days(d("2026-04-30"), 4), d("2026-05-09"));
    }

    #[test]
    fn weekends_received_on_a_weekend() {
        let w = weekends();
        // Sat 2026-03-07 and Sun 03-08: the first working day is Mon 03-09.
        assert_eq!(w.add_working_days(d("2026-03-07"), 1), d("2026-03-09"));
        assert_eq!(w.add_working_days(d("2026-03-08"), 1), d("2026-03-09"));
        assert_eq!(w.add_working_days(d("2026-03-07"), 5), d("2026-03-13"));
        assert_eq!(w.add_working_days(d("2026-03-07"), 6), d("2026-03-16"));
        // Mar 9-13, 16-20, 23-27: the 15th is Fri 03-27.
        assert_eq!(w.add_working_days(d("2026-03-07"), 15), d("2026-03-27"));
        // Holidays do not exist here: Thu 2026-01-01 is an ordinary day.
        assert!(w.is_working_day(d("2026-01-01")));
    }

    #[test]
    fn zero_days_and_empty_ranges() {
        let cn = cn();
        assert_eq!(cn.add_working_days(d("2026-10-03"), 0), d("2026-10-03"));
        assert_eq!(cn.add_working_days(d("2026-03-12"), 0), d("2026-03-12"));
        assert_eq!(cn.working_days_between(d("2026-03-12"), d("2026-03-12")), 0);
        assert_eq!(cn.working_days_between(d("2026-03-12"), d("2026-02-13")), 0);
    }

    #[test]
    fn saturates_instead_of_overflowing() {
        assert_eq!(cn().add_working_days(d("2026-01-01"), u32::MAX), NaiveDate::MAX);
        assert_eq!(cn().add_working_days(NaiveDate::MAX, 1), NaiveDate::MAX);
    }

    #[test]
    fn refuses_bad_calendars() {
        let cases = [
            ("name = \"x\"", "calendar_invalid"),
            ("name = \"x\"\nweekend = [\"sat\"]\nholiday = []", "calendar_invalid"),
            (
                "name = \"x\"\nweekend = [\"saturday\", \"funday\"]",
                "calendar_unknown_weekday",
            ),
            (
                "name = \"x\"\nweekend = [\"sat\"]\nholidays = [\"2026-02-30\"]",
                "calendar_bad_date",
            ),
            (
                "name = \"x\"\nweekend = [\"sat\"]\nholidays = [\"2026-1-1\"]",
                "calendar_bad_date",
            ),
            (
                "name = \"x\"\nweekend = [\"sat\"]\nholidays = [\"2026-01-03/2026-01-01\"]",
                "calendar_bad_date",
            ),
            (
                "name = \"x\"\nweekend = [\"sat\"]\nvalid_until = \"soon\"",
                "calendar_bad_date",
            ),
            (
                "name = \"x\"\nweekend = [\"sat\", \"sun\"]\nholidays = [\"2026-01-01/2026-01-04\"]\nworkdays = [\"2026-01-04\"]",
                "calendar_holiday_and_workday",
            ),
            (
                "name = \"x\"\nweekend = [\"sat\", \"sun\"]\nworkdays = [\"2026-01-05\"]",
                "calendar_workday_not_on_weekend",
            ),
            (
                "name = \"x\"\nweekend = [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"]",
                "calendar_no_working_days",
            ),
        ];
        for (text, code) in cases {
            assert_eq!(WorkCalendar::from_toml(text).unwrap_err().code(), code, "{text}");
        }
    }

    #[test]
    fn other_weekly_patterns() {
        // A Friday-Saturday weekend with a single holiday on Sun 2026-03-01.
        let cal =
            WorkCalendar::from_toml("name = \"fri-sat\"\nweekend = [\"Friday\", \"sat\"]\nholidays = [\"2026-03-01\"]")
                .unwrap();
        // Thu 02-26: Fri, Sat off, Sun 03-01 holiday, Mon 03-02 first.
        assert_eq!(cal.add_working_days(d("2026-02-26"), 1), d("2026-03-02"));
        assert_eq!(cal.working_days_between(d("2026-02-26"), d("2026-03-08")), 5);
    }

    /// Day-by-day reference for the skipping implementation.
    fn naive_add(cal: &WorkCalendar, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().unwrap();
            if cal.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    proptest! {
        #[test]
        fn add_and_between_agree(offset in 0_u64..800, n in 0_u32..400, which in any::<bool>()) {
            let cal = if which { cn() } else { weekends() };
            let start = d("2025-09-01") + Days::new(offset);
            let due = cal.add_working_days(start, n);
            prop_assert_eq!(due, naive_add(&cal, start, n));
            prop_assert_eq!(cal.working_days_between(start, due), n);
            if n > 0 {
                prop_assert!(cal.is_working_day(due));
            }
        }

        #[test]
        fn between_counts_day_by_day(offset in 0_u64..800, len in 0_u64..120) {
            let cal = cn();
            let from = d("2025-09-01") + Days::new(offset);
            let to = from + Days::new(len);
            let by_hand = from.iter_days().skip(1).take(len as usize).filter(|x| cal.is_working_day(*x)).count();
            prop_assert_eq!(cal.working_days_between(from, to) as usize, by_hand);
        }
    }
}

//! What `GET /api/v1/esims/{iccid}/usage` shows: usage per UTC day, for a
//! chart, with totals.

use serde::Serialize;
use tern_domain::usage::UsageKind;
use tern_store::esims;
use tern_store::usage as store;

use crate::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};

/// Longest run of days filled in between the first and the last day with
/// usage; older history is shown only on the days with usage.
const MAX_FILLED_DAYS: i64 = 400;

/// Usage on one UTC day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UsageDay {
    /// `YYYY-MM-DD` (UTC).
    #[schema(example = "2025-06-15")]
    pub date: String,
    pub data_bytes: i64,
    pub voice_seconds: i64,
    pub sms: i64,
}

/// Sums over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UsageTotals {
    pub data_bytes: i64,
    pub voice_seconds: i64,
    pub sms: i64,
}

impl UsageTotals {
    fn add(&mut self, kind: UsageKind, n: i64) {
        match kind {
            UsageKind::Data => self.data_bytes += n,
            UsageKind::Voice => self.voice_seconds += n,
            UsageKind::Sms => self.sms += n,
        }
    }
}

/// An eSIM's usage history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UsageSeries {
    #[schema(value_type = String)]
    pub iccid: tern_domain::ids::Iccid,
    /// Every day from the first with usage to the last, oldest first
    /// (days without usage are zero).
    pub days: Vec<UsageDay>,
    /// Everything used.
    pub totals: UsageTotals,
    /// The part of `totals` no package covered (outside the plan's
    /// countries, or beyond its allowance).
    pub overage: UsageTotals,
}

fn date_of(day: i64) -> String {
    crate::clock::to_datetime(day.saturating_mul(tern_domain::usage::DAY_MS))
        .format("%Y-%m-%d")
        .to_string()
}

/// The caller's eSIM's usage per day; someone else's eSIM is not found.
pub async fn series(app: &App, who: &Principal, iccid: &str) -> AppResult<UsageSeries> {
    let iccid = tern_domain::ids::Iccid::known(iccid).map_err(|_| AppError::NotFound)?;
    let mut conn = app.db.conn().await?;
    match esims::by_iccid(&mut conn, &iccid).await? {
        Some(e) if e.account_id == who.account_id => {}
        _ => return Err(AppError::NotFound),
    }
    let rows = store::daily(&mut conn, &iccid).await?;
    let mut totals = UsageTotals::default();
    let mut overage = UsageTotals::default();
    let mut days: Vec<(i64, UsageTotals)> = Vec::new();
    for r in &rows {
        totals.add(r.kind, r.quantity);
        overage.add(r.kind, r.overage);
        match days.last_mut() {
            Some((d, t)) if *d == r.day => t.add(r.kind, r.quantity),
            _ => {
                let mut t = UsageTotals::default();
                t.add(r.kind, r.quantity);
                days.push((r.day, t));
            }
        }
    }
    let fill = match (days.first(), days.last()) {
        (Some((first, _)), Some((last, _))) => last - first < MAX_FILLED_DAYS,
        _ => false,
    };
    let mut out = Vec::with_capacity(days.len());
    let mut next = days.first().map(|(d, _)| *d).unwrap_or(0);
    for (day, t) in days {
        while fill && next < day {
            out.push(UsageDay {
                date: date_of(next),
                ..UsageDay::default()
            });
            next += 1;
        }
        out.push(UsageDay {
            date: date_of(day),
            data_bytes: t.data_bytes,
            voice_seconds: t.voice_seconds,
            sms: t.sms,
        });
        next = day + 1;
    }
    Ok(UsageSeries {
        iccid,
        days: out,
        totals,
        overage,
    })
}

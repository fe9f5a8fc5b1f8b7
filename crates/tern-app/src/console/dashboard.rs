//! The figures behind the console's dashboard: per UTC day over the last
//! 30 days (grouped SQL, one query per figure), and eSIMs by state now.

use std::collections::BTreeMap;

use serde::Serialize;
use tern_store::{closures, console};

use crate::App;
use crate::clock::to_datetime;
use crate::error::AppResult;

/// How many days the dashboard covers, today included.
pub const DAYS: i64 = 30;

/// One day's figures.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct DayFigures {
    /// YYYY-MM-DD (UTC).
    pub day: String,
    pub signups: i64,
    /// Card top-ups paid into wallets, minor units.
    pub top_up_minor: i64,
    /// Orders placed (not failed or canceled), minor units.
    pub order_minor: i64,
    pub data_bytes: i64,
    pub esims_installed: i64,
    pub closures_received: i64,
    pub closures_on_time: i64,
    pub closures_late: i64,
}

/// The dashboard.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub currency: String,
    /// Oldest first, one per day, today last.
    pub days: Vec<DayFigures>,
    /// eSIMs per state now.
    pub esims_by_state: BTreeMap<String, i64>,
    /// eSIMs installed and not stopped, now.
    pub active_esims: i64,
}

/// Reads the dashboard's figures.
pub async fn dashboard(app: &App) -> AppResult<Dashboard> {
    let today = app.now_ms() / 86_400_000;
    let first = today - DAYS + 1;
    let since = first * 86_400_000;
    let mut conn = app.db.conn().await?;
    let signups = console::signups_by_day(&mut conn, since).await?;
    let top_ups = console::top_up_revenue_by_day(&mut conn, since).await?;
    let orders = console::order_revenue_by_day(&mut conn, since).await?;
    let data = console::data_usage_by_day(&mut conn, since).await?;
    let installs = console::installs_by_day(&mut conn, since).await?;
    let received = closures::counts_by_day(&mut conn, since).await?;
    let completions = closures::completions_since(&mut conn, since).await?;
    let by_state: BTreeMap<String, i64> = console::esims_by_state(&mut conn).await?.into_iter().collect();
    let at = |v: &console::PerDay, d: i64| v.iter().filter(|(day, _)| *day == d).map(|(_, n)| n).sum::<i64>();
    let days = (first..=today)
        .map(|d| {
            let (mut on_time, mut late) = (0, 0);
            for (done_at, due) in completions.iter().filter(|(t, _)| t / 86_400_000 == d) {
                if to_datetime(*done_at).date_naive().to_string().as_str() <= due.as_str() {
                    on_time += 1;
                } else {
                    late += 1;
                }
            }
            DayFigures {
                day: to_datetime(d * 86_400_000).date_naive().to_string(),
                signups: at(&signups, d),
                top_up_minor: at(&top_ups, d),
                order_minor: at(&orders, d),
                data_bytes: at(&data, d),
                esims_installed: at(&installs, d),
                closures_received: received.iter().filter(|c| c.0 == d).map(|c| c.2).sum(),
                closures_on_time: on_time,
                closures_late: late,
            }
        })
        .collect();
    Ok(Dashboard {
        currency: app.settings.wallet.currency.clone(),
        days,
        active_esims: by_state
            .get(tern_domain::esim::EsimState::Installed.as_str())
            .copied()
            .unwrap_or(0),
        esims_by_state: by_state,
    })
}

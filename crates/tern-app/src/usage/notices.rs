//! Reminders about a package: 80 % and 100 % of its data used, and a day
//! before it expires. Each goes out once (a marker on the package is set in
//! the same transaction as the message is queued), by email and, when the
//! account has a verified mobile number, by SMS too.

use std::collections::HashMap;

use serde_json::json;
use tern_domain::Locale;
use tern_domain::usage::EXPIRY_NOTICE_MS;
use tern_store::Conn;
use tern_store::accounts::{self, AccountRow};
use tern_store::esims::PackageRow;
use tern_store::usage as store;

use crate::App;
use crate::error::AppResult;
use crate::notify::{Channel, Message, queue};

/// Packages reminded per transaction by the sweep.
const SWEEP_PAGE: i64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    Usage80,
    Usage100,
    ExpirySoon,
}

impl Notice {
    fn template(self) -> &'static str {
        match self {
            Notice::Usage80 => "usage_80",
            Notice::Usage100 => "usage_100",
            Notice::ExpirySoon => "expiry_soon",
        }
    }
}

/// Accounts looked up while one batch is applied.
#[derive(Default)]
pub(crate) struct Recipients(HashMap<tern_domain::AccountId, Option<AccountRow>>);

/// "5.0 GB" / "300 MB": allowances as the catalogue states them.
fn human_bytes(n: i64) -> String {
    const MB: i64 = 1024 * 1024;
    const GB: i64 = 1024 * MB;
    if n >= GB {
        format!("{:.1} GB", n as f64 / GB as f64)
    } else {
        format!("{} MB", (n + MB - 1) / MB)
    }
}

fn when(ms: i64) -> String {
    crate::clock::to_datetime(ms).format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Queues `notice` about `pkg` to its owner in the caller's transaction.
pub(crate) async fn send(
    app: &App,
    conn: &mut Conn,
    recipients: &mut Recipients,
    notice: Notice,
    pkg: &PackageRow,
) -> AppResult<()> {
    let account = match recipients.0.get(&pkg.account_id) {
        Some(a) => a.clone(),
        None => {
            let a = accounts::by_id(conn, &pkg.account_id).await?;
            recipients.0.insert(pkg.account_id.clone(), a.clone());
            a
        }
    };
    // Closed or erased accounts get nothing.
    let Some(account) = account.filter(|a| a.status == tern_domain::AccountStatus::Active) else {
        return Ok(());
    };
    let locale = Locale::parse(&account.locale).unwrap_or_default();
    let mut values = json!({
        "plan": pkg.plan_code,
        "iccid_end": pkg.iccid.as_str().get(pkg.iccid.as_str().len().saturating_sub(4)..).unwrap_or(""),
        "link": format!("{}/esims/{}", app.settings.base_url(), pkg.iccid),
        // Absent for unlimited plans.
        "limit": pkg.data_limit_bytes.map(human_bytes),
        "left": pkg.data_limit_bytes.map(|l| human_bytes((l - pkg.used_data_bytes).max(0))),
        "expires": pkg.expires_at.map(when).unwrap_or_default(),
        "hours": EXPIRY_NOTICE_MS / 3_600_000,
    });
    if let Some(email) = account.email.as_deref() {
        queue(
            app,
            conn,
            Message {
                channel: Channel::Email,
                account_id: Some(&account.id),
                recipient: email,
                template: notice.template(),
                locale,
                values: values.clone(),
            },
        )
        .await?;
    }
    if let (Some(phone), Some(_)) = (account.phone.as_deref(), account.phone_verified_at) {
        values["sms"] = json!(true);
        queue(
            app,
            conn,
            Message {
                channel: Channel::Sms,
                account_id: Some(&account.id),
                recipient: phone,
                template: notice.template(),
                locale,
                values,
            },
        )
        .await?;
    }
    metrics::counter!("tern_usage_notices_total", "kind" => notice.template()).increment(1);
    Ok(())
}

/// What a sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub expired: u64,
    pub reminded: u64,
}

/// The `usage_sweep` job: marks packages whose validity ended as expired
/// and reminds owners of packages ending within a day. Idempotent: a
/// reminder's marker is claimed in the transaction that queues it.
pub async fn sweep(app: &App) -> AppResult<SweepReport> {
    let now = app.now_ms();
    let mut report = SweepReport::default();
    {
        let mut conn = app.db.conn().await?;
        report.expired = store::expire_due(&mut conn, now).await?;
    }
    loop {
        let mut tx = app.work().await?;
        let due = store::expiring_unnotified(&mut tx, now, now + EXPIRY_NOTICE_MS, SWEEP_PAGE).await?;
        if due.is_empty() {
            break;
        }
        let mut recipients = Recipients::default();
        for pkg in &due {
            if store::claim_expiry_notice(&mut tx, &pkg.id, now).await? {
                send(app, &mut tx, &mut recipients, Notice::ExpirySoon, pkg).await?;
                report.reminded += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_the_catalogue() {
        assert_eq!(human_bytes(5 * 1024 * 1024 * 1024), "5.0 GB");
        assert_eq!(human_bytes(1024 * 1024 * 1024 + 512 * 1024 * 1024), "1.5 GB");
        assert_eq!(human_bytes(300 * 1024 * 1024), "300 MB");
        assert_eq!(human_bytes(1), "1 MB");
        assert_eq!(human_bytes(0), "0 MB");
    }
}

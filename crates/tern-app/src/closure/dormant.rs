//! Dormant accounts: after long inactivity a warning email; after a grace
//! period still without a login, a closure request with reason `dormant`
//! through the same workflow (cooling-off included, so signing in and
//! cancelling still keeps the account).

use serde_json::json;
use tern_domain::Locale;
use tern_domain::closure::ClosureReason;
use tern_store::accounts;

use super::request::{Opening, open};
use crate::App;
use crate::clock::{ms, to_datetime};
use crate::error::AppResult;
use crate::notify::{Channel, Message};

const BATCH: i64 = 500;

/// Warns and closes what is due; returns (warned, closure requests opened).
pub async fn dormant_sweep(app: &App) -> AppResult<(usize, usize)> {
    let after = ms(app.settings.closure.dormant_after);
    if after == 0 {
        return Ok((0, 0));
    }
    let grace = ms(app.settings.closure.dormant_grace);
    let now = app.now_ms();
    let to_warn = {
        let mut conn = app.db.conn().await?;
        accounts::dormant_to_warn(&mut conn, now - after, BATCH).await?
    };
    let mut warned = 0;
    for a in &to_warn {
        let mut tx = app.work_at(now).await?;
        if !accounts::mark_dormant_warned(&mut tx, &a.id, now).await? {
            continue;
        }
        if let Some(email) = a.email.as_deref() {
            let locale = Locale::parse(&a.locale).unwrap_or_default();
            let closes_on = to_datetime(now + grace).date_naive().to_string();
            tx.notify(Message {
                channel: Channel::Email,
                account_id: Some(&a.id),
                recipient: email,
                template: "dormant_warning",
                locale,
                values: json!({ "closes_on": closes_on, "link": format!("{}/signin", app.settings.base_url()) }),
            })
            .await?;
        }
        tx.audit("dormant", "account.dormant_warned", &a.id, json!({})).await?;
        tx.commit().await?;
        warned += 1;
    }
    let to_close = {
        let mut conn = app.db.conn().await?;
        accounts::dormant_to_close(&mut conn, now - grace, BATCH).await?
    };
    let mut opened = 0;
    for id in &to_close {
        let mut tx = app.work().await?;
        let (_, new) = open(
            app,
            &mut tx,
            Opening {
                account_id: id,
                requested_by: "dormant",
                reason: Some(ClosureReason::Dormant),
                reason_text: None,
                export: false,
            },
        )
        .await?;
        tx.commit().await?;
        opened += usize::from(new);
    }
    Ok((warned, opened))
}

//! Notify: the completion notice with the receipt and how to remove the
//! eSIM from the phone is queued, then every message still waiting for the
//! account is delivered, so nothing is left to send once the contact
//! details are gone.

use serde::{Deserialize, Serialize};
use serde_json::json;
use tern_domain::closure::ClosureStep;
use tern_domain::{Currency, Locale, Money};
use tern_i18n::{t, tf};
use tern_store::closures::{self, ClosureRow};
use tern_store::{accounts, erasure};

use super::{CancelEsims, Settle, Settled, Step};
use crate::App;
use crate::clock::{ms, to_datetime};
use crate::error::AppResult;

pub struct Notify;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Delivered {
    /// Messages sent in this step (the notice and any still waiting).
    pub delivered: u64,
}

impl Step for Notify {
    const STEP: ClosureStep = ClosureStep::Notify;
    type Output = Delivered;

    async fn run(&self, app: &App, c: &ClosureRow) -> AppResult<Delivered> {
        queue_notice(app, c).await?;
        let unsent = {
            let mut conn = app.db.conn().await?;
            erasure::unsent_for(&mut conn, &c.account_id).await?
        };
        for id in &unsent {
            crate::notify::deliver(app, id).await?;
        }
        Ok(Delivered {
            delivered: unsent.len() as u64,
        })
    }
}

/// How the refund goes back, after its amount in the notice ("" when
/// nothing is refunded).
fn refund_note(locale: Locale, settled: &Settled, cur: Currency) -> String {
    if settled.refund_minor <= 0 {
        String::new()
    } else if settled.manual_payout_minor > 0 {
        let amount = Money::new(settled.manual_payout_minor, cur).to_string();
        tf(locale, "closure.notice.refund_manual", &[("amount", &amount)])
    } else {
        t(locale, "closure.notice.refund_card").to_owned()
    }
}

/// Queues `closure_completed` once, from the settlement and the stopped
/// services as recorded.
async fn queue_notice(app: &App, c: &ClosureRow) -> AppResult<()> {
    let mut conn = app.db.conn().await?;
    if tern_store::outbox::exists_for(&mut conn, &c.account_id, "closure_completed").await? {
        return Ok(());
    }
    let locale = accounts::by_id(&mut conn, &c.account_id)
        .await?
        .and_then(|a| Locale::parse(&a.locale))
        .unwrap_or_default();
    let steps = closures::steps(&mut conn, &c.id).await?;
    drop(conn);
    let settled = Settle::recorded(&steps)?;
    let stopped = CancelEsims::recorded(&steps)?;
    let cur = crate::wallet::currency(app)?;
    let refund = Money::new(settled.refund_minor, cur);
    let refund_note = refund_note(locale, &settled, cur);
    let forfeited = if settled.forfeited_minor > 0 {
        Money::new(settled.forfeited_minor, cur).to_string()
    } else {
        String::new()
    };
    let retain_until = to_datetime(app.now_ms() + ms(app.settings.closure.retention)).date_naive();
    let mut tx = app.work().await?;
    crate::closure::request::notify_with(
        app,
        &mut tx,
        c,
        "closure_completed",
        json!({
            "refund": refund.to_string(),
            "refund_note": refund_note,
            "forfeited": forfeited,
            "esims_stopped": stopped.esims(),
            "retain_until": retain_until.to_string(),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settled(refund: i64, manual: i64) -> Settled {
        Settled {
            refund_minor: refund,
            manual_payout_minor: manual,
            currency: "EUR".into(),
            ..Settled::default()
        }
    }

    #[test]
    fn the_refund_note_says_how_the_money_goes_back_in_both_languages() {
        let eur = Currency::parse("EUR").unwrap();
        let card = settled(1250, 0);
        let manual = settled(1250, 500);
        assert_eq!(refund_note(Locale::En, &card, eur), "back to the card you paid with");
        assert_eq!(refund_note(Locale::ZhCn, &card, eur), "退回原支付卡");
        assert_eq!(
            refund_note(Locale::En, &manual, eur),
            format!("{} of it is paid out by our finance team", Money::new(500, eur))
        );
        assert_eq!(
            refund_note(Locale::ZhCn, &manual, eur),
            format!("其中 {} 将由我们的财务团队人工退还", Money::new(500, eur))
        );
        assert_eq!(refund_note(Locale::En, &settled(0, 0), eur), "");
    }
}

//! What closing the account would do, before the traveller asks for it.

use serde::Serialize;
use tern_domain::Money;
use tern_domain::closure::{ClosureReason, RefundPolicy, allocate_refund, confirmation_phrase};
use tern_domain::order::OrderState;
use tern_domain::retention::{self, Erased, HoldAction, Kept, KeptBecause};
use tern_domain::usage::PackageState;
use tern_store::{esims, ledger, orders, refunds, top_ups};

use crate::App;
use crate::auth::Principal;
use crate::clock::{ms, rfc3339};
use crate::error::AppResult;
use crate::wallet::{MoneySchema, cash_id, promo_id};

/// How the refund is paid.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RefundLine {
    /// `card` (back to the card that paid a top-up) or `manual` (paid out
    /// by our finance team, e.g. for paid vouchers).
    pub method: String,
    #[schema(value_type = MoneySchema)]
    pub amount: Money,
}

/// The wallet at closure.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WalletOutcome {
    #[schema(value_type = MoneySchema)]
    pub balance: Money,
    /// Refunded: the cash balance (and promotional credit if the operator's
    /// policy says so).
    #[schema(value_type = MoneySchema)]
    pub refund: Money,
    /// Promotional credit that ends with the account.
    #[schema(value_type = MoneySchema)]
    pub forfeited: Money,
    pub refund_lines: Vec<RefundLine>,
}

/// An eSIM that will stop working.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EsimOutcome {
    #[schema(value_type = String)]
    pub iccid: tern_domain::ids::Iccid,
    #[schema(value_type = String)]
    pub state: tern_domain::esim::EsimState,
    /// Data left on running and unstarted packages, in bytes; `None` when
    /// a package is unlimited.
    pub data_left_bytes: Option<i64>,
    pub packages: usize,
    /// Latest end of validity among its packages.
    pub valid_until: Option<String>,
}

/// Something that holds processing, and what the traveller can do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hold {
    /// `top_up_in_flight` or `order_in_progress`.
    #[schema(value_type = String)]
    pub code: retention::Hold,
    /// `wait` (it settles by itself) or `contact_support`.
    #[schema(value_type = String)]
    pub action: HoldAction,
}

impl Hold {
    fn of(code: retention::Hold) -> Self {
        Hold {
            code,
            action: code.action(),
        }
    }
}

/// A kind of data that is kept after closure.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeptData {
    /// `orders`, `payments`, `ledger`, `esims`, `usage`.
    #[schema(value_type = String)]
    pub kind: Kept,
    /// `accounting_law` or `telecom_law`.
    #[schema(value_type = String)]
    pub why: KeptBecause,
    /// Kept until (RFC 3339), then deleted.
    pub until: String,
}

/// `GET /api/v1/me/closure/preview`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub wallet: WalletOutcome,
    pub esims: Vec<EsimOutcome>,
    pub holds: Vec<Hold>,
    /// Deleted for good: `profile` (email, phone, name, password),
    /// `sessions`, `messages`, `device_ids`, `closure_reason_text`.
    #[schema(value_type = Vec<String>)]
    pub deleted: Vec<Erased>,
    /// Kept under a pseudonym, without name or contact details.
    pub kept: Vec<KeptData>,
    /// A copy of your data can be prepared before erasure
    /// (`export: true` in the request).
    pub export_offered: bool,
    pub cooling_off_until: String,
    pub due_by: String,
    /// Type exactly this to confirm.
    pub confirmation_phrase: String,
    pub reasons: Vec<String>,
    /// Set when a request is already open; the preview then describes it.
    pub open_request: Option<super::ClosureView>,
}

/// Refundable balance and how it goes back, for the preview and the
/// settlement step alike.
pub(crate) async fn wallet_outcome(
    app: &App,
    conn: &mut tern_store::Conn,
    account_id: &tern_domain::AccountId,
) -> AppResult<WalletOutcome> {
    let cur = crate::wallet::currency(app)?;
    let cash = ledger::balance(conn, &cash_id(account_id, cur.as_str())).await?;
    let promo = ledger::balance(conn, &promo_id(account_id, cur.as_str())).await?;
    let s = RefundPolicy {
        refund_promo: app.settings.closure.refund_promo,
    }
    .settle(cash, promo);
    let payments = refunds::refundable_top_ups(conn, account_id).await?;
    let pairs: Vec<(&str, i64)> = payments.iter().map(|(id, _, n)| (id.as_str(), *n)).collect();
    let (lines, rest) = allocate_refund(s.refund, &pairs);
    let to_card: i64 = lines.iter().map(|(_, n)| n).sum();
    let mut refund_lines = Vec::new();
    if to_card > 0 {
        refund_lines.push(RefundLine {
            method: "card".into(),
            amount: Money::new(to_card, cur),
        });
    }
    if rest > 0 {
        refund_lines.push(RefundLine {
            method: "manual".into(),
            amount: Money::new(rest, cur),
        });
    }
    Ok(WalletOutcome {
        balance: Money::new(cash + promo, cur),
        refund: Money::new(s.refund, cur),
        forfeited: Money::new(s.forfeit, cur),
        refund_lines,
    })
}

/// Processing waits for these.
pub(crate) async fn holds(conn: &mut tern_store::Conn, account_id: &tern_domain::AccountId) -> AppResult<Vec<Hold>> {
    let mut out = Vec::new();
    if top_ups::pending_for(conn, account_id).await? > 0 {
        out.push(Hold::of(retention::Hold::TopUpInFlight));
    }
    if orders::count_in_state(conn, account_id, OrderState::Provisioning).await? > 0 {
        out.push(Hold::of(retention::Hold::OrderInProgress));
    }
    Ok(out)
}

/// Which eSIMs will stop and what is left on them.
pub(crate) async fn esim_outcomes(
    conn: &mut tern_store::Conn,
    account_id: &tern_domain::AccountId,
) -> AppResult<Vec<EsimOutcome>> {
    let mut out = Vec::new();
    for e in esims::for_account(conn, account_id).await? {
        if e.state.is_stopped() {
            continue;
        }
        let packages: Vec<_> = esims::packages_of(conn, &e.iccid)
            .await?
            .into_iter()
            .filter(|p| matches!(p.state, PackageState::Pending | PackageState::Active))
            .collect();
        let data_left_bytes = packages.iter().try_fold(0i64, |acc, p| {
            p.data_limit_bytes.map(|limit| acc + (limit - p.used_data_bytes).max(0))
        });
        out.push(EsimOutcome {
            iccid: e.iccid.clone(),
            state: e.state,
            data_left_bytes: if packages.is_empty() { Some(0) } else { data_left_bytes },
            packages: packages.len(),
            valid_until: packages.iter().filter_map(|p| p.expires_at).max().map(rfc3339),
        });
    }
    Ok(out)
}

/// `GET /api/v1/me/closure/preview`.
pub async fn preview(app: &App, who: &Principal) -> AppResult<Preview> {
    let now = app.now_ms();
    let mut conn = app.db.conn().await?;
    let wallet = wallet_outcome(app, &mut conn, &who.account_id).await?;
    let esims = esim_outcomes(&mut conn, &who.account_id).await?;
    let holds = holds(&mut conn, &who.account_id).await?;
    let open = tern_store::closures::open_for(&mut conn, &who.account_id).await?;
    let until = rfc3339(now + ms(app.settings.closure.retention));
    let kept = Kept::ALL
        .into_iter()
        .map(|kind| KeptData {
            kind,
            why: kind.because(),
            until: until.clone(),
        })
        .collect();
    let cooling_off_until = now + ms(app.settings.closure.cooling_off);
    Ok(Preview {
        wallet,
        esims,
        holds,
        deleted: Erased::ALL.to_vec(),
        kept,
        export_offered: true,
        cooling_off_until: rfc3339(cooling_off_until),
        due_by: super::due_date(app, now)?.to_string(),
        confirmation_phrase: confirmation_phrase(who.locale).to_owned(),
        reasons: ClosureReason::USER.iter().map(|r| r.as_str().to_owned()).collect(),
        open_request: open.as_ref().map(|c| super::view(app, c)),
    })
}

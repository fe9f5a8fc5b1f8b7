//! The operator console's services: finding an account and seeing all of
//! it, manual wallet adjustments, manual refund payouts, the plan
//! catalogue, staff, and the dashboard's figures.
//!
//! Callers check the permission first (`crate::access::require`); these
//! functions take the staff member's id as `actor` for the audit entries
//! they write.

mod adjust;
mod dashboard;
mod plans;
mod refunds;
mod staff;

pub use adjust::{Adjusted, AdjustmentInput, AdjustmentView, adjust_wallet};
pub use dashboard::{DAYS, Dashboard, DayFigures, dashboard};
pub use plans::{AdminPlan, import_plans, list_plans, set_plan_active};
pub use refunds::{ApproveInput, RefundView, approve_refund, list_refunds, refund_state};
pub use staff::{NewStaff, StaffInput, StaffView, create_staff, disable_staff, list_staff, set_staff_role};

use serde::Serialize;
use serde_json::json;
use tern_store::accounts::AccountRow;
use tern_store::{accounts, audit as audit_store, closures, console, esims, ledger, orders, wallet_adjustments};

use crate::App;
use crate::audit;
use crate::clock::rfc3339;
use crate::closure::AdminView;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;
use crate::esims::PackageView;
use crate::orders::OrderView;
use crate::wallet::{WalletLine, cash_id, promo_id};

/// An account in search results.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountSummary {
    #[schema(value_type = String)]
    pub id: tern_domain::AccountId,
    /// None once the account is erased.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    /// `user`, `admin`, `support` or `finance`.
    #[schema(value_type = String)]
    pub role: tern_domain::Role,
    /// `active`, `frozen`, `closed` or `disabled`.
    #[schema(value_type = String)]
    pub status: tern_domain::AccountStatus,
    pub created_at: String,
}

impl AccountSummary {
    pub(crate) fn from_row(a: &AccountRow) -> Self {
        Self {
            id: a.id.clone(),
            email: a.email.clone(),
            phone: a.phone.clone(),
            name: a.name.clone(),
            role: a.role,
            status: a.status,
            created_at: rfc3339(a.created_at),
        }
    }
}

/// The shortest search an operator may run (a prefix of 3 characters).
pub const MIN_QUERY: usize = 3;

/// Accounts matching `q`: email or phone exactly or by prefix, an ICCID,
/// an order id or an account id; at most 50, newest first. The search is
/// audited without its text (which is personal data).
pub async fn search(app: &App, actor: &tern_domain::AccountId, q: &str) -> AppResult<Vec<AccountSummary>> {
    let q = q.trim();
    if q.chars().count() < MIN_QUERY {
        return Err(AppError::field("q", Code::SearchTooShort));
    }
    if q.len() > 200 {
        return Err(AppError::field("q", Code::SearchTooLong));
    }
    let mut tx = app.work().await?;
    let rows = console::search_accounts(&mut tx, q, 50).await?;
    audit::record(
        &mut tx,
        app.db.backend(),
        actor,
        "admin.accounts_searched",
        actor,
        json!({ "results": rows.len() }),
        app.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(rows.iter().map(AccountSummary::from_row).collect())
}

/// An eSIM with its packages, as operators see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminEsim {
    #[schema(value_type = String)]
    pub iccid: tern_domain::ids::Iccid,
    #[schema(value_type = String)]
    pub state: tern_domain::esim::EsimState,
    pub created_at: String,
    pub installed_at: Option<String>,
    pub last_error: Option<String>,
    pub packages: Vec<PackageView>,
}

/// Balances per bucket, in minor units of the wallet currency.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminWallet {
    pub currency: String,
    pub cash_minor: i64,
    pub promo_minor: i64,
    /// Newest first, at most 50.
    pub ledger: Vec<WalletLine>,
    /// Manual adjustments, newest first, with the operator's reason.
    pub adjustments: Vec<AdjustmentView>,
}

/// One audit entry about (or by) the account.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditLine {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Everything about one account, for the console's account page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountDetail {
    pub account: AccountSummary,
    pub locale: String,
    pub email_verified: bool,
    pub phone_verified: bool,
    pub last_login_at: Option<String>,
    pub esims: Vec<AdminEsim>,
    pub wallet: AdminWallet,
    pub orders: Vec<OrderView>,
    /// The latest closure request, if any.
    pub closure: Option<AdminView>,
    /// Newest first, at most 50.
    pub audit: Vec<AuditLine>,
}

/// The account `id` in full; 404 when there is none. Viewing is audited.
pub async fn account(
    app: &App,
    actor: &tern_domain::AccountId,
    id: &tern_domain::AccountId,
) -> AppResult<AccountDetail> {
    let cur = app.settings.wallet.currency.clone();
    let mut conn = app.db.conn().await?;
    let a = accounts::by_id(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    let mut esim_views = Vec::new();
    for e in esims::for_account(&mut conn, id).await? {
        let packages = esims::packages_of(&mut conn, &e.iccid).await?;
        esim_views.push(AdminEsim {
            iccid: e.iccid,
            state: e.state,
            created_at: rfc3339(e.created_at),
            installed_at: e.installed_at.map(rfc3339),
            last_error: e.last_error,
            packages: packages
                .into_iter()
                .map(|p| crate::esims::package_view(p.into()))
                .collect(),
        });
    }
    let currency = crate::wallet::currency(app)?;
    let ledger_lines = ledger::history(&mut conn, id, 50)
        .await?
        .into_iter()
        .map(|h| WalletLine {
            kind: h.kind,
            reference: h.reference,
            amount: tern_domain::Money::new(h.amount_minor, currency),
            at: rfc3339(h.created_at),
        })
        .collect();
    let wallet = AdminWallet {
        cash_minor: ledger::balance(&mut conn, &cash_id(id, &cur)).await?,
        promo_minor: ledger::balance(&mut conn, &promo_id(id, &cur)).await?,
        currency: cur,
        ledger: ledger_lines,
        adjustments: wallet_adjustments::for_account(&mut conn, id, 50)
            .await?
            .iter()
            .map(AdjustmentView::from_row)
            .collect(),
    };
    let order_views = orders::for_account(&mut conn, id, 100)
        .await?
        .iter()
        .map(OrderView::from_row)
        .collect::<Vec<_>>();
    let closure_id = closures::latest_for(&mut conn, id).await?.map(|c| c.id);
    let trail = audit_store::for_account(&mut conn, id, 50)
        .await?
        .into_iter()
        .map(|e| AuditLine {
            seq: e.seq,
            at: rfc3339(e.at_ms),
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
        })
        .collect();
    drop(conn);
    let closure = match closure_id {
        Some(cid) => Some(crate::closure::show(app, &cid).await?),
        None => None,
    };
    let mut tx = app.work().await?;
    audit::record(
        &mut tx,
        app.db.backend(),
        actor,
        "admin.account_viewed",
        id,
        json!({}),
        app.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(AccountDetail {
        account: AccountSummary::from_row(&a),
        locale: a.locale.clone(),
        email_verified: a.email_verified_at.is_some(),
        phone_verified: a.phone_verified_at.is_some(),
        last_login_at: a.last_login_at.map(rfc3339),
        esims: esim_views,
        wallet,
        orders: order_views,
        closure,
        audit: trail,
    })
}

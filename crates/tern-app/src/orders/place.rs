//! Placing an order, idempotently.

use serde_json::json;
use tern_domain::ids::Iccid;
use tern_domain::ledger::{SystemAccount, TransactionKind};
use tern_domain::order::{OrderKind, OrderState};
use tern_store::esims;
use tern_store::orders::{self, OrderRow};

use super::OrderView;
use super::ProvisionOrder;
use crate::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;
use crate::idempotency::{self, Request, Scope};

/// `POST /api/v1/orders`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct OrderInput {
    pub plan_code: String,
    /// Top up this eSIM of yours instead of getting a new one.
    pub iccid: Option<String>,
}

/// The answer to a placed order: its status code and body, the same for
/// every replay of one `Idempotency-Key`.
#[derive(Debug, Clone)]
pub struct Placed {
    pub status: u16,
    pub order: OrderView,
}

/// What makes two orders the same one.
fn canonical(input: &OrderInput) -> serde_json::Value {
    json!({ "plan_code": input.plan_code.trim().to_ascii_uppercase(), "iccid": input.iccid.as_deref().map(str::trim) })
}

/// Buys `input.plan_code` from the wallet. A new eSIM is provisioned by a
/// job (the order answers `provisioning` at once); a top-up adds the
/// package to the traveller's eSIM right away.
pub async fn place(app: &App, who: &Principal, input: OrderInput, key: Option<&str>) -> AppResult<Placed> {
    let req = Request::new(&who.account_id, Scope::Order, key, &canonical(&input))?;
    let answered = idempotency::once(app, req.as_ref(), async || {
        let plan = match crate::catalogue::get(app, &input.plan_code).await {
            Ok(p) if p.is_active() => p,
            Ok(_) => return Err(AppError::field("plan_code", Code::PlanInactive)),
            Err(AppError::NotFound) => return Err(AppError::field("plan_code", Code::PlanNotFound)),
            Err(e) => return Err(e),
        };
        let target = match input.iccid.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => Some(typed_iccid(app, who, raw).await?),
            None => None,
        };
        place_in_tx(app, who, &plan, target.as_ref(), req.as_ref()).await
    })
    .await?;
    Ok(Placed {
        status: answered.status,
        order: answered.body,
    })
}

/// The ICCID a traveller typed for a top-up. The strict check (prefix,
/// Luhn digit) catches typos; an ICCID that fails it is still taken when it
/// names one of the traveller's own eSIMs exactly, since an SM-DP+ may
/// issue profiles without a check digit (SGP.22 asks only for digits).
async fn typed_iccid(app: &App, who: &Principal, raw: &str) -> AppResult<Iccid> {
    let typo = match Iccid::parse(raw) {
        Ok(iccid) => return Ok(iccid),
        Err(e) => AppError::parsed("iccid", e.code()),
    };
    let Ok(stored) = Iccid::known(raw) else {
        return Err(typo);
    };
    let mut conn = app.db.conn().await?;
    match esims::by_iccid(&mut conn, &stored).await? {
        Some(e) if e.account_id == who.account_id => Ok(stored),
        _ => Err(typo),
    }
}

async fn place_in_tx(
    app: &App,
    who: &Principal,
    plan: &tern_domain::catalogue::Plan,
    target: Option<&Iccid>,
    req: Option<&Request>,
) -> AppResult<(u16, OrderView)> {
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    if let Some(iccid) = target {
        match esims::by_iccid(&mut tx, iccid).await? {
            Some(e) if e.account_id == who.account_id && !e.state.is_stopped() => {}
            _ => return Err(AppError::field("iccid", Code::EsimNotFound)),
        }
    }
    let id = tern_domain::OrderId::from(crate::tokens::new_id());
    crate::wallet::debit(
        app,
        &mut tx,
        &who.account_id,
        plan.price(),
        TransactionKind::Purchase,
        &id,
        SystemAccount::Revenue,
    )
    .await?;
    let mut row = OrderRow {
        id: id.clone(),
        account_id: who.account_id.clone(),
        plan_code: plan.code().as_str().to_owned(),
        iccid: target.cloned(),
        matching_id: None,
        kind: if target.is_some() {
            OrderKind::TopUp
        } else {
            OrderKind::NewEsim
        },
        state: OrderState::Provisioning,
        price: plan.price(),
        failure_reason: None,
        created_at: now,
        updated_at: now,
    };
    if let Some(iccid) = target {
        row.state = OrderState::Completed;
        orders::insert(&mut tx, &row).await?;
        super::provision::add_package(app, &mut tx, &row, plan, iccid).await?;
    } else {
        orders::insert(&mut tx, &row).await?;
        tx.enqueue(&ProvisionOrder { order_id: id.clone() }).await?;
    }
    let view = OrderView::from_row(&row);
    if let Some(r) = req {
        r.remember(&mut tx, now, 201, &view).await?;
    }
    tx.audit(
        &who.account_id,
        "order.placed",
        &id,
        json!({ "plan": row.plan_code, "kind": row.kind, "amount_minor": row.price.amount_minor, "currency": row.price.currency.as_str() }),
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("tern_orders_total", "kind" => row.kind.as_str()).increment(1);
    Ok((201, view))
}

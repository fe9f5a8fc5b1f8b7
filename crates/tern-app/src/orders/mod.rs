//! Orders: buying a plan from the wallet, for a new eSIM or as a top-up
//! of one the traveller has; provisioning through ES2+; cancelling.

mod cancel;
mod cancel_profile_job;
mod compensate;
mod place;
mod provision;
mod provision_job;

pub use cancel::cancel;
pub use cancel_profile_job::CancelProfile;
pub use compensate::cancel_profile;
pub use place::{OrderInput, Placed, place};
pub use provision::provision;
pub use provision_job::ProvisionOrder;

use serde::Serialize;
use tern_domain::Money;
use tern_domain::order::{OrderKind, OrderState};
use tern_store::orders::{self, OrderRow};

use crate::App;
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult};
use crate::wallet::MoneySchema;

/// An order as its owner sees it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct OrderView {
    #[schema(value_type = String)]
    pub id: tern_domain::OrderId,
    /// `new_esim` or `top_up`.
    #[schema(value_type = String)]
    pub kind: OrderKind,
    /// `provisioning`, `completed`, `failed` (money returned) or `canceled` (refunded).
    #[schema(value_type = String)]
    pub state: OrderState,
    pub plan_code: String,
    /// The eSIM, once known.
    #[schema(value_type = Option<String>)]
    pub iccid: Option<tern_domain::ids::Iccid>,
    #[schema(value_type = MoneySchema)]
    pub price: Money,
    pub failure_reason: Option<String>,
    pub created_at: String,
}

impl OrderView {
    pub(crate) fn from_row(o: &OrderRow) -> Self {
        Self {
            id: o.id.clone(),
            kind: o.kind,
            state: o.state,
            plan_code: o.plan_code.clone(),
            iccid: o.iccid.clone(),
            price: o.price,
            failure_reason: o.failure_reason.clone(),
            created_at: rfc3339(o.created_at),
        }
    }
}

/// The caller's orders, newest first.
pub async fn list(app: &App, who: &Principal) -> AppResult<Vec<OrderView>> {
    let mut conn = app.db.conn().await?;
    Ok(orders::for_account(&mut conn, &who.account_id, 200)
        .await?
        .iter()
        .map(OrderView::from_row)
        .collect())
}

/// One of the caller's orders; another account's order is not found.
pub async fn get(app: &App, who: &Principal, id: &tern_domain::OrderId) -> AppResult<OrderView> {
    let mut conn = app.db.conn().await?;
    match orders::by_id(&mut conn, id).await? {
        Some(o) if o.account_id == who.account_id => Ok(OrderView::from_row(&o)),
        _ => Err(AppError::NotFound),
    }
}

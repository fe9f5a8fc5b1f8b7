//! The plan catalogue for operators: every plan with its active flag,
//! switching plans on and off sale, and importing a file (the same
//! validator as `tern plans import`, audited).

use serde_json::json;
use tern_domain::Locale;
use tern_store::plans;

use crate::App;
use crate::audit;
use crate::catalogue::{self, Format, ImportFailure, ImportReport, PlanView};
use crate::error::{AppError, AppResult};

/// A plan as operators see it: the shop's view, whose `active` says
/// whether it is on sale.
pub type AdminPlan = PlanView;

/// Every plan, active or not, by code.
pub async fn list_plans(app: &App, locale: Locale) -> AppResult<Vec<AdminPlan>> {
    let mut conn = app.db.conn().await?;
    let rows = plans::list_all(&mut conn).await?;
    rows.iter()
        .map(|r| catalogue::to_plan(r).map(|p| catalogue::view(p, locale)))
        .collect()
}

/// Puts a plan on sale or takes it off (existing orders keep it); 404 for
/// an unknown code. Doing it twice changes nothing more.
pub async fn set_plan_active(
    app: &App,
    actor: &tern_domain::AccountId,
    code: &str,
    active: bool,
    locale: Locale,
) -> AppResult<AdminPlan> {
    let code = code.trim().to_ascii_uppercase();
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let row = plans::by_code(&mut tx, &code).await?.ok_or(AppError::NotFound)?;
    let mut spec = catalogue::to_plan(&row)?.into_spec();
    let changed = spec.active != active;
    spec.active = active;
    let doc = serde_json::to_string(&spec).map_err(|e| AppError::Internal(e.to_string()))?;
    plans::set_active(&mut tx, &code, active, &doc, now).await?;
    tx.audit(
        actor,
        if active { "plan.activated" } else { "plan.deactivated" },
        &code,
        json!({ "changed": changed }),
    )
    .await?;
    tx.commit().await?;
    app.catalogue_cache.clear();
    let plan = tern_domain::catalogue::Plan::new(spec)
        .map_err(|e| AppError::Internal(format!("stored plan {code}: {e:?}")))?;
    Ok(catalogue::view(plan, locale))
}

/// Imports a catalogue file (all rows valid, or nothing is stored) and
/// audits what it did.
pub async fn import_plans(
    app: &App,
    actor: &tern_domain::AccountId,
    bytes: &[u8],
    format: Format,
) -> Result<ImportReport, ImportFailure> {
    let report = catalogue::import(app, bytes, format, |_| {}).await?;
    let mut tx = app.db.begin().await.map_err(AppError::from)?;
    audit::record(
        &mut tx,
        app.db.backend(),
        actor,
        "plans.imported",
        actor,
        json!({ "created": report.created, "updated": report.updated,
                "format": if format == Format::Csv { "csv" } else { "json" } }),
        app.now_ms(),
    )
    .await?;
    tx.commit()
        .await
        .map_err(|e| AppError::from(tern_store::StoreError::from(e)))?;
    Ok(report)
}

//! The plan catalogue: importing validated files, and the shop's queries.

use serde::Serialize;
use tern_domain::Locale;
use tern_domain::catalogue::import::{self, ImportErrors};
use tern_domain::catalogue::{Plan, PlanSpec};
use tern_store::plans::{self, PlanRow};

use crate::App;
use crate::error::{AppError, AppResult};

/// How long the parsed catalogue is reused before it is read again. An
/// import in this process clears it at once; other processes see the new
/// catalogue within this time.
const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// The active plans, parsed and checked, with when they were read.
#[derive(Default)]
pub struct Cache(std::sync::RwLock<Option<(std::time::Instant, std::sync::Arc<Vec<Plan>>)>>);

impl Cache {
    fn get(&self) -> Option<std::sync::Arc<Vec<Plan>>> {
        let guard = self.0.read().ok()?;
        guard
            .as_ref()
            .filter(|(at, _)| at.elapsed() < CACHE_TTL)
            .map(|(_, plans)| plans.clone())
    }

    fn put(&self, plans: std::sync::Arc<Vec<Plan>>) {
        if let Ok(mut guard) = self.0.write() {
            *guard = Some((std::time::Instant::now(), plans));
        }
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut guard) = self.0.write() {
            *guard = None;
        }
    }
}

/// Which format an import file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
}

/// Why an import was refused: every problem, with its row.
#[derive(Debug)]
pub enum ImportFailure {
    Invalid(ImportErrors),
    Failed(AppError),
}

impl From<AppError> for ImportFailure {
    fn from(e: AppError) -> Self {
        ImportFailure::Failed(e)
    }
}

/// Validates every row of `bytes`; when all are good, upserts them by code
/// in one transaction (all or nothing). `progress` is told each plan stored.
pub async fn import(
    app: &App,
    bytes: &[u8],
    format: Format,
    mut progress: impl FnMut(usize),
) -> Result<ImportReport, ImportFailure> {
    let parsed = match format {
        Format::Json => import::parse_json(bytes),
        Format::Csv => import::parse_csv(bytes),
    };
    let plans = parsed.map_err(ImportFailure::Invalid)?;
    let wallet_currency = app.settings.wallet.currency.as_str();
    let now = app.now_ms();
    let mut report = ImportReport { created: 0, updated: 0 };
    let mut tx = app.db.begin().await.map_err(AppError::from)?;
    for plan in &plans {
        if plan.price().currency.as_str() != wallet_currency {
            return Err(ImportFailure::Failed(AppError::field("currency", "plan_currency")));
        }
        let doc = serde_json::to_string(plan.spec()).map_err(|e| AppError::Internal(e.to_string()))?;
        let countries: Vec<&str> = plan.coverage().as_slice().iter().map(|c| c.as_str()).collect();
        let row = PlanRow {
            code: plan.code().as_str().to_owned(),
            countries: countries.join(" "),
            region: plan.region().kind().to_owned(),
            active: plan.is_active(),
            doc,
        };
        if plans::upsert(&mut tx, &row, now).await.map_err(AppError::from)? {
            report.created += 1;
        } else {
            report.updated += 1;
        }
        progress(1);
    }
    tx.commit()
        .await
        .map_err(|e| AppError::from(tern_store::StoreError::from(e)))?;
    app.catalogue_cache.clear();
    Ok(report)
}

/// A plan as the shop and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    /// The name in the request's language.
    pub display_name: String,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub plan: PlanSpec,
}

pub(crate) fn to_plan(row: &PlanRow) -> AppResult<Plan> {
    let spec: PlanSpec =
        serde_json::from_str(&row.doc).map_err(|e| AppError::Internal(format!("stored plan {}: {e}", row.code)))?;
    Plan::new(spec).map_err(|e| AppError::Internal(format!("stored plan {}: {e:?}", row.code)))
}

pub(crate) fn view(plan: Plan, locale: Locale) -> PlanView {
    PlanView {
        display_name: plan.name().get(locale).to_owned(),
        plan: plan.into_spec(),
    }
}

/// Active plans, filtered by a country (ISO alpha-2) and/or a region kind,
/// cheapest first.
pub async fn list(app: &App, country: Option<&str>, region: Option<&str>, locale: Locale) -> AppResult<Vec<PlanView>> {
    let country = match country.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => {
            let c = c.to_ascii_uppercase();
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(AppError::field("country", "country_unknown"));
            }
            Some(c)
        }
        None => None,
    };
    let region = match region.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r @ ("local" | "regional" | "global")) => Some(r.to_owned()),
        Some(_) => return Err(AppError::field("region", "region_invalid")),
        None => None,
    };
    let all = active_plans(app).await?;
    let out: Vec<&Plan> = all
        .iter()
        .filter(|p| {
            country
                .as_deref()
                .is_none_or(|c| p.coverage().as_slice().iter().any(|x| x.as_str() == c))
        })
        .filter(|p| region.as_deref().is_none_or(|r| p.region().kind() == r))
        .collect();
    Ok(out.into_iter().map(|p| view(p.clone(), locale)).collect())
}

/// Every active plan, cheapest first, from the cache when it is fresh.
async fn active_plans(app: &App) -> AppResult<std::sync::Arc<Vec<Plan>>> {
    if let Some(plans) = app.catalogue_cache.get() {
        return Ok(plans);
    }
    let mut conn = app.db.conn().await?;
    let rows = plans::list_active(&mut conn, None, None).await?;
    let mut out: Vec<Plan> = rows.iter().map(to_plan).collect::<AppResult<_>>()?;
    out.sort_by_key(|p| (p.price().amount_minor, p.code().as_str().to_owned()));
    let plans = std::sync::Arc::new(out);
    app.catalogue_cache.put(plans.clone());
    Ok(plans)
}

/// One plan by code (inactive ones too, so old orders can show theirs).
pub async fn get(app: &App, code: &str) -> AppResult<Plan> {
    let mut conn = app.db.conn().await?;
    let row = plans::by_code(&mut conn, &code.trim().to_ascii_uppercase())
        .await?
        .ok_or(AppError::NotFound)?;
    to_plan(&row)
}

/// One plan as the API shows it.
pub async fn get_view(app: &App, code: &str, locale: Locale) -> AppResult<PlanView> {
    Ok(view(get(app, code).await?, locale))
}

/// Loads the sample catalogue when the database has no plans yet, so a
/// newcomer's first `tern serve` has a shop to browse.
pub async fn seed_if_empty(app: &App, sample: &[u8]) -> AppResult<usize> {
    let n = {
        let mut conn = app.db.conn().await?;
        plans::count(&mut conn).await?
    };
    if n > 0 {
        return Ok(0);
    }
    match import(app, sample, Format::Json, |_| {}).await {
        Ok(r) => Ok(r.created),
        Err(ImportFailure::Failed(e)) => Err(e),
        Err(ImportFailure::Invalid(errors)) => {
            Err(AppError::Internal(format!("sample catalogue is invalid: {errors:?}")))
        }
    }
}

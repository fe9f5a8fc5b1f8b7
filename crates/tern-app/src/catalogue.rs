//! The plan catalogue: importing validated files, and the shop's queries.

use serde::Serialize;
use tern_domain::Locale;
use tern_domain::catalogue::import::{self, ImportErrors};
use tern_domain::catalogue::{Plan, PlanSpec};
use tern_store::plans::{self, PlanRow};

use crate::App;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;

/// How long the parsed catalogue is reused before it is read again. An
/// import in this process clears it at once; other processes see the new
/// catalogue within this time.
const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// The active plans, parsed and checked, with when they were read, and
/// the API's answers rendered from them.
#[derive(Default)]
pub struct Cache(std::sync::RwLock<Option<std::sync::Arc<Cached>>>);

/// One reading of the catalogue.
struct Cached {
    at: std::time::Instant,
    plans: std::sync::Arc<Vec<Plan>>,
    /// `GET /api/v1/plans` answers (JSON) by filter and language, rendered
    /// at most once per reading; at most [`MAX_RENDERED`] of them.
    rendered: std::sync::Mutex<std::collections::HashMap<Filter, std::sync::Arc<[u8]>>>,
}

/// A checked country and region filter, and the answer's language.
type Filter = (Option<String>, Option<String>, Locale);

/// Answers kept per reading of the catalogue: the shop asks for a few
/// countries most of the time; the rest are rendered each time.
const MAX_RENDERED: usize = 64;

impl Cache {
    fn get(&self) -> Option<std::sync::Arc<Cached>> {
        let guard = self.0.read().ok()?;
        guard.as_ref().filter(|c| c.at.elapsed() < CACHE_TTL).cloned()
    }

    fn put(&self, plans: std::sync::Arc<Vec<Plan>>) -> std::sync::Arc<Cached> {
        let cached = std::sync::Arc::new(Cached {
            at: std::time::Instant::now(),
            plans,
            rendered: std::sync::Mutex::default(),
        });
        if let Ok(mut guard) = self.0.write() {
            *guard = Some(cached.clone());
        }
        cached
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
            return Err(ImportFailure::Failed(AppError::field("currency", Code::PlanCurrency)));
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
    let filter = filter(country, region, locale)?;
    let cached = catalogue(app).await?;
    Ok(matching(&cached.plans, &filter)
        .map(|p| view(p.clone(), locale))
        .collect())
}

/// [`list`] as the API answers it, in JSON: rendered once per reading of
/// the catalogue and filter (the shop's hot path), not per request.
pub async fn list_json(
    app: &App,
    country: Option<&str>,
    region: Option<&str>,
    locale: Locale,
) -> AppResult<std::sync::Arc<[u8]>> {
    let filter = filter(country, region, locale)?;
    let cached = catalogue(app).await?;
    if let Some(json) = cached.rendered.lock().ok().and_then(|r| r.get(&filter).cloned()) {
        return Ok(json);
    }
    let views: Vec<PlanView> = matching(&cached.plans, &filter)
        .map(|p| view(p.clone(), locale))
        .collect();
    let json: std::sync::Arc<[u8]> = serde_json::to_vec(&views)
        .map_err(|e| AppError::Internal(format!("plans as JSON: {e}")))?
        .into();
    if let Ok(mut rendered) = cached.rendered.lock()
        && rendered.len() < MAX_RENDERED
    {
        rendered.insert(filter, json.clone());
    }
    Ok(json)
}

/// Checks the filters of [`list`].
fn filter(country: Option<&str>, region: Option<&str>, locale: Locale) -> AppResult<Filter> {
    let country = match country.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => {
            let c = c.to_ascii_uppercase();
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(AppError::field("country", Code::CountryUnknown));
            }
            Some(c)
        }
        None => None,
    };
    let region = match region.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r @ ("local" | "regional" | "global")) => Some(r.to_owned()),
        Some(_) => return Err(AppError::field("region", Code::RegionInvalid)),
        None => None,
    };
    Ok((country, region, locale))
}

/// The plans `filter` lets through, in the catalogue's order.
fn matching<'a>(plans: &'a [Plan], (country, region, _): &'a Filter) -> impl Iterator<Item = &'a Plan> {
    plans
        .iter()
        .filter(move |p| {
            country
                .as_deref()
                .is_none_or(|c| p.coverage().as_slice().iter().any(|x| x.as_str() == c))
        })
        .filter(move |p| region.as_deref().is_none_or(|r| p.region().kind() == r))
}

/// Every active plan, cheapest first, from the cache when it is fresh.
async fn catalogue(app: &App) -> AppResult<std::sync::Arc<Cached>> {
    if let Some(cached) = app.catalogue_cache.get() {
        return Ok(cached);
    }
    let mut conn = app.db.conn().await?;
    let rows = plans::list_active(&mut conn, None, None).await?;
    let mut out: Vec<Plan> = rows.iter().map(to_plan).collect::<AppResult<_>>()?;
    out.sort_by_key(|p| (p.price().amount_minor, p.code().as_str().to_owned()));
    Ok(app.catalogue_cache.put(std::sync::Arc::new(out)))
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

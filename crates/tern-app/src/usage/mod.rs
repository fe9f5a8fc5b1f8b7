//! Usage from the mobile network: the keys it calls with, ingesting its
//! batches of records (drawing down allowances by the rules in
//! `tern_domain::usage`), the reminders they trigger, and the usage
//! history travellers see.

mod ingest;
mod keys;
mod notices;
mod series;
mod sweep_job;

pub use ingest::{BatchRejected, IngestReport, RawUsageRecord, RecordError, UsageBatch, ingest, validate};
pub use keys::{ApiKey, authenticate_network, create_api_key, list_api_keys, revoke_api_key};
pub use notices::{SweepReport, sweep};
pub use series::{UsageDay, UsageSeries, UsageTotals, series};
pub use sweep_job::UsageSweep;

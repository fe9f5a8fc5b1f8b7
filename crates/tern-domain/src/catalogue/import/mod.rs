//! Reading a catalogue file an operator wrote, in JSON or CSV.
//!
//! Both formats carry the same flat, human-friendly fields (see [`FIELDS`]).
//! Every row is checked and every problem reported at once, each with its
//! row, field and a stable [`ErrorCode`], so an operator can fix a file in
//! one pass. Nothing is read from disk here: callers pass the bytes.
//!
//! JSON: `{"plans":[{"code":"JP-5GB-15D","name_en":"Japan 5GB 15 days",
//! "name_zh":"日本 5GB 15天","countries":["JP"],"region":"local",
//! "data_mb":5120,"validity_days":15,"price":"11.50","currency":"USD",
//! "activation":"on_first_use"}]}`. CSV: a header naming the same columns;
//! `countries` separated by spaces or `|`; empty cells count as absent.

mod from_csv;
mod from_json;
mod row;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;

use super::{ErrorCode, Plan, PlanCode};

/// The fields a catalogue row may have; anything else is `unknown_field`.
pub const FIELDS: [&str; 16] = [
    "code",
    "name_en",
    "name_zh",
    "countries",
    "region",
    "region_label",
    "data_mb",
    "unlimited",
    "fair_use_mb",
    "voice_minutes",
    "sms",
    "validity_days",
    "price",
    "currency",
    "activation",
    "active",
];

/// One problem found in a catalogue file, pointing at where it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportError {
    /// The 1-based data row (the plan's position in `plans`, or the CSV
    /// record after the header); 0 for the file as a whole or its header.
    pub row: usize,
    /// For CSV, the 1-based line the row starts on, counting the header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The field (JSON key / CSV column), when the problem is in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The stable code.
    pub code: ErrorCode,
    /// An English explanation for operators; the API may translate by code.
    pub message: String,
}

impl ImportError {
    fn file(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            row: 0,
            line: None,
            field: None,
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.row == 0 {
            f.write_str("file")?;
        } else {
            write!(f, "row {}", self.row)?;
        }
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", {field}")?;
        }
        write!(f, ": {} ({})", self.message, self.code)
    }
}

/// Every problem in a refused catalogue file, in file order. The file is
/// all-or-nothing: one bad row refuses it, so a catalogue is never half
/// imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[serde(transparent)]
pub struct ImportErrors(Vec<ImportError>);

impl ImportErrors {
    /// The problems, in file order.
    pub fn as_slice(&self) -> &[ImportError] {
        &self.0
    }

    /// The problems, owned.
    pub fn into_vec(self) -> Vec<ImportError> {
        self.0
    }
}

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "the catalogue has {n} problem{}", if n == 1 { "" } else { "s" })?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

/// Parses a JSON catalogue `{"plans":[...]}`.
pub fn parse_json(bytes: &[u8]) -> Result<Vec<Plan>, ImportErrors> {
    from_json::parse(strip_bom(bytes))
}

/// Parses a CSV catalogue whose first line names the columns.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<Plan>, ImportErrors> {
    from_csv::parse(strip_bom(bytes))
}

/// Spreadsheets often save UTF-8 with a byte-order mark.
fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Gathers checked rows, adds `duplicate_code`, and decides the outcome.
#[derive(Default)]
struct Collector {
    plans: Vec<Plan>,
    errors: Vec<ImportError>,
    seen: HashMap<PlanCode, usize>,
}

impl Collector {
    fn row(&mut self, row: usize, line: Option<usize>, checked: row::Checked) {
        if let Some(code) = checked.code {
            if let Some(first) = self.seen.get(&code) {
                self.errors.push(ImportError {
                    row,
                    line,
                    field: Some("code".into()),
                    code: ErrorCode::DuplicateCode,
                    message: format!("{code} already appears in row {first}"),
                });
            } else {
                self.seen.insert(code, row);
            }
        }
        match checked.plan {
            Ok(plan) => self.plans.push(plan),
            Err(problems) => self.errors.extend(problems.into_iter().map(|p| ImportError {
                row,
                line,
                field: Some(p.field.to_owned()),
                code: p.code,
                message: p.message,
            })),
        }
    }

    fn finish(self) -> Result<Vec<Plan>, ImportErrors> {
        if self.errors.is_empty() {
            Ok(self.plans)
        } else {
            Err(ImportErrors(self.errors))
        }
    }
}

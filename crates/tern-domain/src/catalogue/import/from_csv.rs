//! The CSV catalogue format: a header naming the columns, then one plan a
//! record. Cells are text; empty cells count as absent.

use std::collections::HashMap;

use super::row::{self, Row, WrongType};
use super::{Collector, FIELDS, ImportError, ImportErrors};
use crate::catalogue::{ErrorCode, Plan};

/// Columns without which no row can be valid; reported once, at the header.
const REQUIRED: [&str; 9] = [
    "code",
    "name_en",
    "name_zh",
    "countries",
    "region",
    "validity_days",
    "price",
    "currency",
    "activation",
];

pub(super) fn parse(bytes: &[u8]) -> Result<Vec<Plan>, ImportErrors> {
    let malformed = |message: &str| {
        ImportErrors(vec![ImportError {
            line: Some(1),
            ..ImportError::file(ErrorCode::MalformedFile, message)
        }])
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = reader
        .byte_headers()
        .map_err(|_| malformed("the header line could not be read"))?
        .clone();
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_ascii_lowercase())
        .collect();
    let columns: Vec<Option<&'static str>> = names.iter().map(|n| FIELDS.iter().copied().find(|f| f == n)).collect();
    if columns.iter().all(Option::is_none) {
        return Err(malformed(
            "the first line must be a header naming the columns (code, name_en, …)",
        ));
    }

    let mut out = Collector::default();
    let header_error = |field: &str, code, message: &str| ImportError {
        line: Some(1),
        field: Some(field.to_owned()),
        ..ImportError::file(code, message)
    };
    for (i, (name, column)) in names.iter().zip(&columns).enumerate() {
        if column.is_none() {
            out.errors.push(header_error(
                name,
                ErrorCode::UnknownField,
                "this column is not part of a plan",
            ));
        } else if columns[..i].contains(column) {
            out.errors.push(header_error(
                name,
                ErrorCode::MalformedFile,
                "this column appears more than once",
            ));
        }
    }
    let missing: Vec<&str> = REQUIRED.into_iter().filter(|r| !columns.contains(&Some(r))).collect();
    for field in &missing {
        out.errors.push(header_error(
            field,
            ErrorCode::FieldMissing,
            "this required column is missing",
        ));
    }

    for (i, record) in reader.byte_records().enumerate() {
        let n = i + 1;
        let row_error = |line, code, message: String| ImportError {
            row: n,
            line,
            ..ImportError::file(code, message)
        };
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| start_line(bytes, p));
                out.errors.push(row_error(line, ErrorCode::InvalidRow, e.to_string()));
                continue;
            }
        };
        let line = record.position().map(|p| start_line(bytes, p));
        if record.len() != columns.len() {
            let message = format!(
                "this row has {} cells but the header has {}",
                record.len(),
                columns.len()
            );
            out.errors.push(row_error(line, ErrorCode::InvalidRow, message));
            continue;
        }
        let mut cells = HashMap::new();
        let mut bad_text = false;
        for (column, cell) in columns.iter().zip(record.iter()) {
            let Some(field) = column else { continue };
            match std::str::from_utf8(cell) {
                Ok(text) => {
                    cells.entry(*field).or_insert(text);
                }
                Err(_) => bad_text = true,
            }
        }
        if bad_text {
            let message = "this row is not valid UTF-8 text".to_owned();
            out.errors.push(row_error(line, ErrorCode::InvalidRow, message));
            continue;
        }
        let mut checked = row::check(&CsvRow(cells));
        if let Err(problems) = &mut checked.plan {
            // Missing columns were reported once at the header.
            problems.retain(|p| !missing.contains(&p.field));
        }
        out.row(n, line, checked);
    }
    out.finish()
}

/// The line a record's first cell is on. The reader reports where it
/// started looking, which is before any blank lines it skipped.
fn start_line(bytes: &[u8], position: &csv::Position) -> usize {
    let from = usize::try_from(position.byte()).unwrap_or(usize::MAX);
    let blank = bytes
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\n' | b'\r'))
        .filter(|b| **b == b'\n')
        .count();
    usize::try_from(position.line())
        .unwrap_or(usize::MAX)
        .saturating_add(blank)
}

struct CsvRow<'a>(HashMap<&'static str, &'a str>);

impl CsvRow<'_> {
    fn cell(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(|c| c.trim()).filter(|c| !c.is_empty())
    }
}

impl Row for CsvRow<'_> {
    fn text(&self, field: &'static str) -> Result<Option<String>, WrongType> {
        Ok(self.cell(field).map(str::to_owned))
    }

    fn integer(&self, field: &'static str) -> Result<Option<i128>, WrongType> {
        self.cell(field)
            .map(|c| c.parse::<i128>().map_err(|_| WrongType))
            .transpose()
    }

    fn boolean(&self, field: &'static str) -> Result<Option<bool>, WrongType> {
        self.cell(field)
            .map(|c| match c.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" => Ok(true),
                "false" | "no" | "n" | "0" => Ok(false),
                _ => Err(WrongType),
            })
            .transpose()
    }

    fn list(&self, field: &'static str) -> Result<Option<Vec<String>>, WrongType> {
        Ok(self.cell(field).map(|c| {
            c.split(|ch: char| ch == '|' || ch.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        }))
    }
}

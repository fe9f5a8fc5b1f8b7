//! Writing an export's files: JSON and CSV bodies, and the ZIP around them.

use std::io::Write;

use chrono::{Datelike, Timelike};
use serde::Serialize;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::error::{AppError, AppResult};

/// One file of the archive.
#[derive(Debug, Clone)]
pub(super) struct ExportFile {
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

impl ExportFile {
    pub fn new(name: &'static str, bytes: Vec<u8>) -> Self {
        Self { name, bytes }
    }
}

fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("export {what}: {e}"))
}

/// Pretty-printed JSON.
pub(super) fn json_file<T: Serialize + ?Sized>(name: &'static str, value: &T) -> AppResult<ExportFile> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| internal(name, e))?;
    Ok(ExportFile::new(name, bytes))
}

/// UTF-8 with a byte-order mark (so spreadsheets show Chinese text), a
/// header line named after the fields of `T`, one line per row. An empty
/// table still has its header.
pub(super) fn csv_file<T: Serialize + Default>(name: &'static str, rows: &[T]) -> AppResult<ExportFile> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let mut w = csv::Writer::from_writer(BOM.to_vec());
    for row in rows {
        w.serialize(row).map_err(|e| internal(name, e))?;
    }
    if rows.is_empty() {
        // The header is written with the first row: write an empty one
        // and keep only the header.
        w.serialize(T::default()).map_err(|e| internal(name, e))?;
    }
    let mut bytes = w.into_inner().map_err(|e| internal(name, e))?;
    if rows.is_empty() {
        let header_end = bytes.iter().position(|b| *b == b'\n').map_or(bytes.len(), |i| i + 1);
        bytes.truncate(header_end);
    }
    Ok(ExportFile::new(name, bytes))
}

/// A deflated ZIP of `files`, each dated `now`.
pub(super) fn zip(files: &[ExportFile], now: i64) -> AppResult<Vec<u8>> {
    let t = crate::clock::to_datetime(now);
    let stamp = zip::DateTime::from_date_and_time(
        u16::try_from(t.year()).unwrap_or(1980),
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
    )
    .unwrap_or_default();
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(stamp)
        .unix_permissions(0o644);
    let mut w = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for f in files {
        w.start_file(f.name, options).map_err(|e| internal("zip", e))?;
        w.write_all(&f.bytes).map_err(|e| internal("zip", e))?;
    }
    Ok(w.finish().map_err(|e| internal("zip", e))?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Default)]
    struct Line {
        id: &'static str,
        note: Option<&'static str>,
    }

    #[test]
    fn csv_has_a_bom_a_header_and_quotes_where_needed() {
        let f = csv_file(
            "x.csv",
            &[
                Line {
                    id: "a",
                    note: Some("b, \"c\""),
                },
                Line { id: "d", note: None },
            ],
        )
        .unwrap();
        assert_eq!(f.bytes, "\u{feff}id,note\na,\"b, \"\"c\"\"\"\nd,\n".as_bytes());
        let empty = csv_file::<Line>("y.csv", &[]).unwrap();
        assert_eq!(empty.bytes, "\u{feff}id,note\n".as_bytes());
    }

    #[test]
    fn the_zip_holds_the_files() {
        let files = [
            ExportFile::new("a.txt", b"hello".to_vec()),
            ExportFile::new("b.json", b"[]".to_vec()),
        ];
        let bytes = zip(&files, 1_772_000_000_000).unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(z.len(), 2);
        let mut s = String::new();
        std::io::Read::read_to_string(&mut z.by_name("a.txt").unwrap(), &mut s).unwrap();
        assert_eq!(s, "hello");
    }
}

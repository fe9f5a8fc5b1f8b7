//! The sweep: after erasure, search every text column of every table and
//! every file under the data folder (the SQLite database file itself
//! included) for the erased email, phone and name. The count must be 0.

use std::path::Path;

use serde_json::{Value, json};
use tern_store::closures::{self, ClosureRow};
use tern_store::erasure;
use walkdir::WalkDir;

use super::seal::{self, Needles};
use crate::App;
use crate::error::{AppError, AppResult};

/// Files larger than this are searched in chunks.
const CHUNK: usize = 8 << 20;

/// How many times `needle` (ASCII case ignored) occurs in the file at `path`.
fn count_in_file(path: &Path, needles: &[Vec<u8>]) -> std::io::Result<usize> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let longest = needles.iter().map(Vec::len).max().unwrap_or(0);
    let finders: Vec<_> = needles.iter().map(|n| memchr::memmem::Finder::new(n)).collect();
    let mut hits = 0;
    let mut buf = Vec::with_capacity(CHUNK + longest);
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = f.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend(chunk[..n].iter().map(u8::to_ascii_lowercase));
        for finder in &finders {
            hits += finder.find_iter(&buf).count();
        }
        // Keep a tail so a match across the chunk boundary is found, but
        // not counted twice: drop everything before the tail.
        let keep = longest.saturating_sub(1).min(buf.len());
        let cut = buf.len() - keep;
        buf.drain(..cut);
    }
    Ok(hits)
}

fn lowered(n: &Needles) -> Vec<Vec<u8>> {
    n.all()
        .into_iter()
        .map(|(_, v)| v.to_ascii_lowercase().into_bytes())
        .collect()
}

/// Deletes files under `dir` that contain any of the identifiers (local
/// copies of mail and SMS sent to the person). Returns how many.
pub fn delete_files_naming(dir: &Path, n: &Needles) -> AppResult<u64> {
    let needles = lowered(n);
    if needles.is_empty() || !dir.exists() {
        return Ok(0);
    }
    let mut deleted = 0;
    for entry in WalkDir::new(dir).into_iter().filter_map(Result::ok) {
        if !entry.file_type().is_file() {
            continue;
        }
        let hits = count_in_file(entry.path(), &needles).map_err(|e| AppError::Internal(e.to_string()))?;
        if hits > 0 {
            std::fs::remove_file(entry.path()).map_err(|e| AppError::Internal(e.to_string()))?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// Searches the database and the data folder. On success the sealed
/// identifiers are deleted with the step's record, in one transaction.
pub async fn sweep(app: &App, c: &ClosureRow) -> AppResult<Value> {
    let needles = {
        let mut conn = app.db.conn().await?;
        let fresh = closures::by_id(&mut conn, &c.id).await?.ok_or(AppError::NotFound)?;
        match fresh.sweep_sealed.as_deref() {
            Some(text) => seal::open(app, &c.id, text)?,
            // Swept before: the step is being repeated after its record.
            None => return Ok(json!({ "repeated": true })),
        }
    };
    // Fold the SQLite log into the file so stale page copies go away; a
    // busy log is retried briefly (other writers finish within ms).
    let mut emptied = false;
    for _ in 0..50 {
        let mut conn = app.db.conn().await?;
        if erasure::checkpoint(&mut conn, app.db.backend()).await? {
            emptied = true;
            break;
        }
        drop(conn);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut by_kind = serde_json::Map::new();
    let mut total = 0i64;
    let columns = {
        let mut conn = app.db.conn().await?;
        erasure::text_columns(&mut conn, app.db.backend()).await?
    };
    let tables: std::collections::BTreeSet<&str> = columns.iter().map(|(t, _)| t.as_str()).collect();
    {
        let mut conn = app.db.conn().await?;
        for (kind, needle) in needles.all() {
            let mut n = 0;
            for (t, col) in &columns {
                n += erasure::count_containing(&mut conn, app.db.backend(), t, col, needle).await?;
            }
            by_kind.insert(format!("db_{kind}"), json!(n));
            total += n;
        }
        if let Some(name) = needles.short_name() {
            let mut n = 0;
            for (t, col) in &columns {
                n += erasure::count_equal(&mut conn, t, col, name).await?;
            }
            by_kind.insert("db_name_whole".into(), json!(n));
            total += n;
        }
    }
    let lowered = lowered(&needles);
    let mut files = 0;
    let mut file_hits = 0;
    if !lowered.is_empty() && app.settings.data_dir.exists() {
        for entry in WalkDir::new(&app.settings.data_dir).into_iter().filter_map(Result::ok) {
            if !entry.file_type().is_file() {
                continue;
            }
            files += 1;
            match count_in_file(entry.path(), &lowered) {
                Ok(n) => file_hits += n,
                // A file deleted while walking (an expired export) is fine.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(AppError::Internal(format!("sweep {}: {e}", entry.path().display()))),
            }
        }
    }
    by_kind.insert("files".into(), json!(file_hits));
    total += i64::try_from(file_hits).unwrap_or(i64::MAX);
    let result = json!({
        "tables": tables.len(),
        "columns": columns.len(),
        "files": files,
        "hits": total,
        "hits_by_kind": by_kind,
        "log_emptied": emptied,
    });
    if total > 0 {
        return Err(AppError::Unavailable(format!(
            "sweep found {total} trace(s) of the erased identifiers: {result}"
        )));
    }
    Ok(result)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn finds_needles_across_chunk_edges_and_ignores_case() {
        let dir = tempfile_dir();
        let path = dir.join("f.bin");
        let mut data = vec![b'x'; CHUNK - 3];
        data.extend_from_slice(b"Ann@Example.com and ann@example.COM");
        std::fs::write(&path, &data).unwrap();
        assert_eq!(count_in_file(&path, &[b"ann@example.com".to_vec()]).unwrap(), 2);
        assert_eq!(count_in_file(&path, &[b"bob@example.com".to_vec()]).unwrap(), 0);
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("tern-sweep-{}", crate::tokens::new_id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}

//! The sweep: after erasure, search every text column of every table and
//! every file under the data folder (the SQLite database file itself
//! included) for the erased emails, phones and names. The count must be 0.
//!
//! Every request waiting for its sweep is searched for in the same pass
//! (one Aho-Corasick automaton over all their identifiers), so a thousand
//! closures cost a handful of passes over the data, not a thousand.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use tern_domain::closure::ClosureStep;
use tern_store::closures::{self, ClosureRow};
use tern_store::erasure;
use walkdir::WalkDir;

use super::seal::{self, Needles};
use super::steps::{SweepReport, Swept};
use crate::App;
use crate::error::{AppError, AppResult};

/// Files are read in chunks of this size.
const CHUNK: usize = 8 << 20;
/// Requests swept together at most.
const BATCH: i64 = 500;

/// What to look for: substrings (ASCII case ignored) and whole values
/// (short names), each tagged with the request index and kind.
struct Search {
    automaton: Option<AhoCorasick>,
    /// Per pattern: (request index, kind).
    owners: Vec<(usize, &'static str)>,
    longest: usize,
    /// Lower-cased short name → requests.
    whole: HashMap<String, Vec<usize>>,
}

impl Search {
    fn new(batch: &[Needles]) -> AppResult<Self> {
        let mut patterns = Vec::new();
        let mut owners = Vec::new();
        let mut whole: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, n) in batch.iter().enumerate() {
            for (kind, v) in n.all() {
                patterns.push(v.as_bytes().to_vec());
                owners.push((i, kind));
            }
            if let Some(short) = n.short_name() {
                whole.entry(short.to_lowercase()).or_default().push(i);
            }
        }
        let longest = patterns.iter().map(Vec::len).max().unwrap_or(0);
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(&patterns)
                    .map_err(|e| AppError::Internal(format!("sweep patterns: {e}")))?,
            )
        };
        Ok(Self {
            automaton,
            owners,
            longest,
            whole,
        })
    }

    /// Counts matches in `hay` that end after `skip` bytes (earlier ones
    /// were counted with the previous chunk).
    fn count(&self, hay: &[u8], skip: usize, hits: &mut [HashMap<&'static str, i64>]) {
        if let Some(ac) = &self.automaton {
            for m in ac.find_overlapping_iter(hay) {
                if m.end() > skip {
                    let (i, kind) = self.owners[m.pattern().as_usize()];
                    // A name counts as a whole word: "Number 1" is not
                    // found inside "Number 10", nor "Ann Lee" in "Joann Leeds".
                    if kind == "name" && !whole_word(hay, m.start(), m.end()) {
                        continue;
                    }
                    *hits[i].entry(kind).or_default() += 1;
                }
            }
        }
    }

    fn value(&self, v: &str, hits: &mut [HashMap<&'static str, i64>], db: bool) {
        self.count(v.as_bytes(), 0, hits);
        if db
            && !self.whole.is_empty()
            && let Some(owners) = self.whole.get(&v.trim().to_lowercase())
        {
            for i in owners {
                *hits[*i].entry("name").or_default() += 1;
            }
        }
    }

    fn file(&self, path: &Path, hits: &mut [HashMap<&'static str, i64>]) -> std::io::Result<()> {
        // SQLite's files are read through descriptors that stay open, so
        // closing one never drops SQLite's locks (see `sqlite_files`).
        let mut f: Box<dyn Read> = if super::sqlite_files::is_sqlite_file(path) {
            Box::new(super::sqlite_files::open(path)?)
        } else {
            Box::new(std::fs::File::open(path)?)
        };
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + self.longest);
        let mut chunk = vec![0u8; CHUNK];
        let mut skip = 0;
        loop {
            let n = f.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
            self.count(&buf, skip, hits);
            // Keep a tail so a match across the chunk edge is found once.
            let keep = self.longest.saturating_sub(1).min(buf.len());
            buf.drain(..buf.len() - keep);
            skip = keep;
        }
    }
}

/// Whether `hay[start..end]` is not glued to letters or digits on either
/// side (ASCII; other scripts, such as Chinese names, have no word gaps and
/// always count).
fn whole_word(hay: &[u8], start: usize, end: usize) -> bool {
    let glued = |inner: Option<&u8>, outer: Option<&u8>| {
        inner.is_some_and(u8::is_ascii_alphanumeric) && outer.is_some_and(u8::is_ascii_alphanumeric)
    };
    let before = start.checked_sub(1).and_then(|i| hay.get(i));
    !glued(hay.get(start), before) && !glued(end.checked_sub(1).and_then(|i| hay.get(i)), hay.get(end))
}

/// Deletes files under `dir` that contain any of the identifiers (local
/// copies of mail and SMS sent to the person), on the blocking pool.
/// Returns how many.
pub async fn delete_files_naming(dir: PathBuf, n: Needles) -> AppResult<u64> {
    blocking(move || delete_files_in(&dir, &n)).await
}

fn delete_files_in(dir: &Path, n: &Needles) -> AppResult<u64> {
    let search = Search::new(std::slice::from_ref(n))?;
    if search.automaton.is_none() || !dir.exists() {
        return Ok(0);
    }
    let mut deleted = 0;
    for entry in WalkDir::new(dir).into_iter().filter_map(Result::ok) {
        if !entry.file_type().is_file() {
            continue;
        }
        let mut hits = vec![HashMap::new()];
        // Another closure's erase step, running at the same time over the
        // same folder, may delete a file between the walk and the read.
        match search.file(entry.path(), &mut hits) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(AppError::Internal(format!("erase {}: {e}", entry.path().display()))),
        }
        if !hits[0].is_empty() {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => deleted += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(AppError::Internal(format!("erase {}: {e}", entry.path().display()))),
            }
        }
    }
    Ok(deleted)
}

/// Sweeps for `c` and every other request waiting for its sweep. Requests
/// found clean get their step recorded and their sealed identifiers
/// deleted here; `c`'s own result is returned (an error if traces remain).
pub(super) async fn sweep(app: &App, c: &ClosureRow) -> AppResult<Swept> {
    let batch = {
        let mut conn = app.db.conn().await?;
        closures::awaiting_sweep(&mut conn, BATCH).await?
    };
    let Some(own) = batch.iter().position(|b| b.id == c.id) else {
        // Swept already, in another request's pass.
        return Ok(Swept::Repeated { repeated: true });
    };
    let needles = batch
        .iter()
        .map(|b| seal::open(app, &b.id, b.sweep_sealed.as_deref().unwrap_or_default()))
        .collect::<AppResult<Vec<_>>>()?;
    let search = Arc::new(Search::new(&needles)?);
    let mut hits: Hits = vec![HashMap::new(); batch.len()];

    // Fold the SQLite log into the file so stale page copies go away.
    let mut emptied = empty_log(app, false).await?;

    let columns = {
        let mut conn = app.db.conn().await?;
        erasure::text_columns(&mut conn, app.db.backend()).await?
    };
    let mut tables: Vec<&str> = columns.iter().map(|(t, _)| t.as_str()).collect();
    tables.dedup();
    let mut rows = 0;
    {
        let mut conn = app.db.conn().await?;
        for t in &tables {
            let cols: Vec<&str> = columns
                .iter()
                .filter(|(tt, _)| tt == t)
                .map(|(_, c)| c.as_str())
                .collect();
            rows += erasure::scan_text(&mut conn, t, &cols, |v| search.value(v, &mut hits, true)).await?;
        }
    }
    let db_hits: Vec<i64> = hits.iter().map(|h| h.values().sum()).collect();

    let db_only = hits.clone();
    let (mut files, mut hits) = scan_files(app, &search, hits).await?;
    // Found only in the files while no row holds it: on SQLite that is
    // page space the deletes left behind. Rewrite the database file and
    // search the files once more; a trace that stays is a real one.
    let mut compacted = false;
    let stale_pages = (0..batch.len()).any(|i| db_hits[i] == 0 && !hits[i].is_empty());
    if stale_pages && app.db.backend() == tern_store::Backend::Sqlite {
        emptied = empty_log(app, true).await?;
        compacted = true;
        (files, hits) = scan_files(app, &search, db_only).await?;
    }

    let n = |v: usize| v as u64;
    let result = |i: usize| -> SweepReport {
        let total: i64 = hits[i].values().sum();
        SweepReport {
            tables: n(tables.len()),
            columns: n(columns.len()),
            rows,
            files: n(files),
            hits: total,
            hits_in_database: db_hits[i],
            hits_in_files: total - db_hits[i],
            hits_by_kind: hits[i].iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            log_emptied: emptied,
            compacted,
            swept_together: n(batch.len()),
        }
    };
    let now = app.now_ms();
    let mut tx = app.work().await?;
    for (i, b) in batch.iter().enumerate() {
        if i != own && hits[i].is_empty() {
            let text =
                serde_json::to_string(&Swept::Searched(result(i))).map_err(|e| AppError::Internal(e.to_string()))?;
            closures::mark_step(&mut tx, &b.id, ClosureStep::Sweep.as_str(), &text, now).await?;
            closures::set_sealed(&mut tx, &b.id, None).await?;
        }
    }
    tx.commit().await?;
    let mine = result(own);
    if !hits[own].is_empty() {
        let text = serde_json::to_string(&mine).unwrap_or_default();
        return Err(AppError::Unavailable(format!(
            "sweep found {} trace(s) of the erased identifiers: {text}",
            mine.hits
        )));
    }
    Ok(Swept::Searched(mine))
}

/// Empties SQLite's log (after rewriting the file from its live rows when
/// `compact` is set); a busy log is retried briefly, since other writers
/// finish within milliseconds. False when it stayed busy.
async fn empty_log(app: &App, compact: bool) -> AppResult<bool> {
    for _ in 0..50 {
        let mut conn = app.db.conn().await?;
        let done = if compact {
            erasure::compact(&mut conn, app.db.backend()).await?
        } else {
            erasure::checkpoint(&mut conn, app.db.backend()).await?
        };
        if done {
            return Ok(true);
        }
        drop(conn);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(false)
}

/// Searches every file under the data folder, on the blocking pool (the
/// SQLite file alone can be large, and the async threads serve requests);
/// returns how many files it read, and `hits` with theirs added.
async fn scan_files(app: &App, search: &Arc<Search>, hits: Hits) -> AppResult<(usize, Hits)> {
    let (dir, search) = (app.settings.data_dir.clone(), search.clone());
    blocking(move || {
        let mut hits = hits;
        let files = scan_dir(&dir, &search, &mut hits)?;
        Ok((files, hits))
    })
    .await
}

/// What [`scan_files`] does, on the calling thread.
fn scan_dir(dir: &Path, search: &Search, hits: &mut [HashMap<&'static str, i64>]) -> AppResult<usize> {
    let mut files = 0;
    if !dir.exists() {
        return Ok(0);
    }
    for entry in WalkDir::new(dir).into_iter().filter_map(Result::ok) {
        if !entry.file_type().is_file() {
            continue;
        }
        files += 1;
        match search.file(entry.path(), hits) {
            Ok(()) => {}
            // A file deleted while walking (an expired export) is fine.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(AppError::Internal(format!("sweep {}: {e}", entry.path().display()))),
        }
    }
    Ok(files)
}

/// Matches found per request in the batch, by kind of identifier.
type Hits = Vec<HashMap<&'static str, i64>>;

/// Runs file work on the blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> AppResult<T> + Send + 'static) -> AppResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(format!("file search: {e}")))?
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn needles(email: &str, name: &str) -> Needles {
        Needles {
            email: Some(email.into()),
            phone: None,
            name: Some(name.into()),
        }
    }

    #[test]
    fn finds_each_persons_identifiers_across_chunk_edges_ignoring_case() {
        let dir = std::env::temp_dir().join(format!("tern-sweep-{}", crate::tokens::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.bin");
        let mut data = vec![b'x'; CHUNK - 3];
        data.extend_from_slice(b"Ann@Example.com and ann@example.COM; Bob Builder");
        std::fs::write(&path, &data).unwrap();
        let search = Search::new(&[
            needles("ann@example.com", "Li"),
            needles("bob@example.com", "Bob Builder"),
        ])
        .unwrap();
        let mut hits = vec![HashMap::new(), HashMap::new()];
        search.file(&path, &mut hits).unwrap();
        assert_eq!(hits[0].get("email"), Some(&2));
        assert_eq!(
            hits[0].get("name"),
            None,
            "a two-letter name is not searched inside text"
        );
        assert_eq!(hits[1].get("email"), None);
        assert_eq!(hits[1].get("name"), Some(&1));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn names_match_as_whole_words() {
        let search = Search::new(&[needles("n1@example.com", "Traveller Number 1")]).unwrap();
        let mut hits = vec![HashMap::new()];
        search.value("Traveller Number 10", &mut hits, true);
        search.value("xTraveller Number 1", &mut hits, true);
        assert!(hits[0].is_empty(), "{hits:?}");
        search.value("dear Traveller Number 1, hello", &mut hits, true);
        assert_eq!(hits[0].get("name"), Some(&1));
        let zh = Search::new(&[needles("z@example.com", "张伟明先生")]).unwrap();
        let mut hits = vec![HashMap::new()];
        zh.value("尊敬的张伟明先生您好", &mut hits, true);
        assert_eq!(hits[0].get("name"), Some(&1), "no word gaps in Chinese");
    }

    #[test]
    fn short_names_match_whole_database_values_only() {
        let search = Search::new(&[needles("li@example.com", "Li")]).unwrap();
        let mut hits = vec![HashMap::new()];
        search.value("limit", &mut hits, true);
        assert!(hits[0].is_empty());
        search.value(" li ", &mut hits, true);
        assert_eq!(hits[0].get("name"), Some(&1));
    }
}

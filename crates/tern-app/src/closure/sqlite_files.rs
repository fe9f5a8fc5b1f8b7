//! Reading SQLite's own files (the database, its `-wal`, `-shm` and
//! `-journal`) without breaking SQLite's locks.
//!
//! SQLite locks its files with POSIX advisory locks, and POSIX drops every
//! lock a process holds on a file as soon as the process closes *any*
//! descriptor of that file. A plain `File::open` + drop of `tern.db-shm`
//! while the pool has the database open therefore releases SQLite's locks
//! behind its back (see "How To Corrupt An SQLite Database File", section
//! 2.2); the 1 000-closure benchmark met it as a SIGBUS in `walIndexAppend`
//! after another connection had reset the shared-memory file. So the sweep
//! opens each of these files once and never closes a descriptor of a file
//! SQLite may still use: it reads them through descriptors kept here.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

static KEPT: LazyLock<Mutex<HashMap<PathBuf, Arc<File>>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Whether `path` looks like an SQLite database or one of its side files:
/// a `-wal`, `-shm` or `-journal` file, a file with such a sibling, or a
/// `.db`, `.sqlite` or `.sqlite3` file.
pub fn is_sqlite_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if ["-wal", "-shm", "-journal"].iter().any(|s| name.ends_with(s)) {
        return true;
    }
    if ["-wal", "-shm"]
        .iter()
        .any(|s| path.with_file_name(format!("{name}{s}")).exists())
    {
        return true;
    }
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("db" | "sqlite" | "sqlite3")
    )
}

/// A reader over the whole of `path` (as long as it is now) through a
/// descriptor that stays open for the life of the process.
pub fn open(path: &Path) -> std::io::Result<KeptReader> {
    let on_disk = std::fs::metadata(path)?;
    let mut kept = KEPT
        .lock()
        .map_err(|_| std::io::Error::other("kept SQLite files: lock poisoned"))?;
    // Descriptors of files that are gone hold no lock anyone needs.
    kept.retain(|p, _| p.exists());
    let file = match kept.get(path) {
        // The same file as on disk (not one deleted and made again).
        Some(f)
            if f.metadata()
                .is_ok_and(|m| m.ino() == on_disk.ino() && m.dev() == on_disk.dev()) =>
        {
            f.clone()
        }
        _ => {
            let f = Arc::new(File::open(path)?);
            // Replacing a descriptor of an older file of this name is safe:
            // locks belong to the file, and that one is no longer this path.
            kept.insert(path.to_path_buf(), f.clone());
            f
        }
    };
    let end = file.metadata()?.len();
    Ok(KeptReader { file, pos: 0, end })
}

/// Reads a kept file by offset; dropping it closes nothing.
pub struct KeptReader {
    file: Arc<File>,
    pos: u64,
    end: u64,
}

impl Read for KeptReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.end {
            return Ok(0);
        }
        let want = usize::try_from(self.end - self.pos).map_or(buf.len(), |left| left.min(buf.len()));
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn recognises_sqlite_files_and_reads_them_through_one_descriptor() {
        let dir = std::env::temp_dir().join(format!("tern-kept-{}", crate::tokens::new_id()));
        std::fs::create_dir_all(dir.join("outbox")).unwrap();
        for name in ["tern.db", "tern.db-wal", "tern.db-shm"] {
            std::fs::write(dir.join(name), name.as_bytes()).unwrap();
        }
        std::fs::write(dir.join("plain"), b"x").unwrap();
        std::fs::write(dir.join("plain-shm"), b"x").unwrap();
        std::fs::write(dir.join("outbox").join("mail.eml"), b"x").unwrap();
        assert!(is_sqlite_file(&dir.join("tern.db")));
        assert!(is_sqlite_file(&dir.join("tern.db-wal")));
        assert!(is_sqlite_file(&dir.join("tern.db-shm")));
        assert!(is_sqlite_file(&dir.join("plain")), "has a -shm sibling");
        assert!(!is_sqlite_file(&dir.join("outbox").join("mail.eml")));

        let mut text = String::new();
        open(&dir.join("tern.db-wal"))
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "tern.db-wal");
        let first = KEPT.lock().unwrap()[&dir.join("tern.db-wal")].clone();
        open(&dir.join("tern.db-wal")).unwrap();
        assert!(
            Arc::ptr_eq(&first, &KEPT.lock().unwrap()[&dir.join("tern.db-wal")]),
            "the second read reuses the descriptor"
        );
        // A file made anew under the same name is read anew.
        std::fs::remove_file(dir.join("tern.db-wal")).unwrap();
        std::fs::write(dir.join("tern.db-wal"), b"new").unwrap();
        let mut text = String::new();
        open(&dir.join("tern.db-wal"))
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "new");
        // Once the files are gone, the next read lets their descriptors go.
        std::fs::remove_file(dir.join("tern.db-wal")).unwrap();
        open(&dir.join("tern.db-shm")).unwrap();
        assert!(!KEPT.lock().unwrap().contains_key(&dir.join("tern.db-wal")));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

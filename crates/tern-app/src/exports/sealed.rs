//! Exports at rest: the ZIP is sealed with XChaCha20-Poly1305 under a key
//! derived from the download token and the server's secret key, and kept as
//! `data_dir/exports/<id>.zip.enc`. The token is only in the emailed link
//! (the database has its SHA-256), so the file holds no readable personal
//! data: an erased person's email or name cannot be found in it, and a copy
//! of the disk and the database together still cannot open it.
//!
//! File layout: `TERNEXP1`, a 24-byte random nonce, then the ciphertext
//! with its 16-byte tag. The export id and the layout tag are the
//! associated data, so a file moved to another export's name does not open.

use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::App;
use crate::error::{AppError, AppResult};

const MAGIC: &[u8; 8] = b"TERNEXP1";
const NONCE_LEN: usize = 24;

/// The file key: HMAC-SHA256 over the token, keyed with the server secret
/// (an HKDF extract with the secret as salt).
fn key(secret: &[u8], token: &str) -> AppResult<Key> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret).map_err(|e| AppError::Internal(format!("export key: {e}")))?;
    mac.update(b"tern export file key v1\0");
    mac.update(token.as_bytes());
    Ok(*Key::from_slice(&mac.finalize().into_bytes()))
}

fn aad(export_id: &tern_domain::ExportId) -> Vec<u8> {
    [MAGIC.as_slice(), export_id.as_bytes()].concat()
}

/// Encrypts `plain` for export `export_id` under `token`.
pub(super) fn seal(secret: &[u8], token: &str, export_id: &tern_domain::ExportId, plain: &[u8]) -> AppResult<Vec<u8>> {
    let cipher = XChaCha20Poly1305::new(&key(secret, token)?);
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let aad = aad(export_id);
    let body = cipher
        .encrypt(&nonce, Payload { msg: plain, aad: &aad })
        .map_err(|_| AppError::Internal("export encryption failed".into()))?;
    Ok([MAGIC.as_slice(), nonce.as_slice(), &body].concat())
}

/// Decrypts a sealed export; a wrong token, id or a damaged file is an
/// internal error (the caller found the export by the token's hash).
pub(super) fn open(secret: &[u8], token: &str, export_id: &tern_domain::ExportId, sealed: &[u8]) -> AppResult<Vec<u8>> {
    let damaged = || AppError::Internal(format!("export {export_id}: the file does not open"));
    let rest = sealed.strip_prefix(MAGIC.as_slice()).ok_or_else(damaged)?;
    if rest.len() < NONCE_LEN {
        return Err(damaged());
    }
    let (nonce, body) = rest.split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(&key(secret, token)?);
    let aad = aad(export_id);
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: &aad })
        .map_err(|_| damaged())
}

fn dir(app: &App) -> PathBuf {
    app.settings.data_dir.join("exports")
}

/// Where export `id` is kept (ids are UUIDs Tern made, never user input).
pub(super) fn path(app: &App, id: &tern_domain::ExportId) -> PathBuf {
    dir(app).join(format!("{id}.zip.enc"))
}

fn io(what: &str, e: std::io::Error) -> AppError {
    AppError::Internal(format!("export file {what}: {e}"))
}

/// A sealed file written beside its final name, removed on drop unless
/// [`Part::install`]ed: a build that loses a race or fails leaves nothing.
pub(super) struct Part {
    path: PathBuf,
    installed: bool,
}

impl Part {
    /// Writes `bytes` (owner-only permissions) and flushes them to disk.
    pub async fn write(app: &App, id: &tern_domain::ExportId, bytes: Vec<u8>) -> AppResult<Part> {
        let dir = dir(app);
        let path = dir.join(format!("{id}.{}.part", &crate::tokens::new_token()[..12]));
        let part = Part { path, installed: false };
        let target = part.path.clone();
        tokio::task::spawn_blocking(move || write_synced(&dir, &target, &bytes))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| io("write", e))?;
        Ok(part)
    }

    /// Moves the file to its final name (replacing a leftover of an
    /// earlier attempt).
    pub fn install(mut self, to: &Path) -> AppResult<()> {
        std::fs::rename(&self.path, to).map_err(|e| io("rename", e))?;
        self.installed = true;
        Ok(())
    }
}

impl Drop for Part {
    fn drop(&mut self) {
        if !self.installed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn write_synced(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// The sealed bytes of export `id`, or `None` when the file is gone.
pub(super) async fn read(app: &App, id: &tern_domain::ExportId) -> AppResult<Option<Vec<u8>>> {
    match tokio::fs::read(path(app, id)).await {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("read", e)),
    }
}

/// Deletes export `id`'s file; a file already gone is fine.
pub(super) async fn remove(app: &App, id: &tern_domain::ExportId) -> AppResult<()> {
    match tokio::fs::remove_file(path(app, id)).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io("delete", e)),
        _ => Ok(()),
    }
}

/// Deletes `.part` files older than a day: what a build that crashed
/// between writing and installing its file left behind.
pub(super) async fn remove_stale_parts(app: &App) -> AppResult<()> {
    let dir = dir(app);
    tokio::task::spawn_blocking(move || {
        let day = std::time::Duration::from_secs(86_400);
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = entry.path();
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > day));
            if stale && p.extension().is_some_and(|e| e == "part") {
                let _ = std::fs::remove_file(p);
            }
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_with_the_same_token_and_id() {
        let sealed = seal(b"server secret", "tok", &"exp-1".into(), b"PK zip with ann@example.com").unwrap();
        assert!(!sealed.windows(15).any(|w| w == b"ann@example.com"));
        assert_eq!(
            open(b"server secret", "tok", &"exp-1".into(), &sealed).unwrap(),
            b"PK zip with ann@example.com"
        );
        assert!(open(b"server secret", "tok2", &"exp-1".into(), &sealed).is_err());
        assert!(open(b"server secret", "tok", &"exp-2".into(), &sealed).is_err());
        assert!(open(b"other secret", "tok", &"exp-1".into(), &sealed).is_err());
        assert!(open(b"server secret", "tok", &"exp-1".into(), &sealed[..20]).is_err());
    }
}

//! Keeping the erased identifiers, sealed, just long enough for the sweep
//! to look for them: XChaCha20-Poly1305 under a key derived from the
//! server secret. The sealed text is removed when the sweep is done.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use crate::App;
use crate::error::{AppError, AppResult};

/// What the sweep searches for.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Needles {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
}

impl Needles {
    /// The identifiers searched for as substrings, with their kind. A name
    /// shorter than [`MIN_NAME_SUBSTRING`] characters would match ordinary
    /// words ("Li" in "limit"), so it is only compared whole (see
    /// [`Needles::short_name`]).
    pub fn all(&self) -> Vec<(&'static str, &str)> {
        let name = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| n.chars().count() >= MIN_NAME_SUBSTRING);
        [
            ("email", self.email.as_deref()),
            ("phone", self.phone.as_deref()),
            ("name", name),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.filter(|s| !s.trim().is_empty()).map(|s| (k, s)))
        .collect()
    }

    /// A name too short to search inside text, compared as a whole value.
    pub fn short_name(&self) -> Option<&str> {
        self.name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty() && n.chars().count() < MIN_NAME_SUBSTRING)
    }
}

/// Names at least this long are searched inside every text and file.
pub const MIN_NAME_SUBSTRING: usize = 5;

fn cipher(app: &App, closure_id: &str) -> XChaCha20Poly1305 {
    let mut h = Sha256::new();
    h.update(b"tern closure sweep seal v1\0");
    h.update(app.secret_key());
    h.update(closure_id.as_bytes());
    XChaCha20Poly1305::new(&h.finalize())
}

pub fn seal(app: &App, closure_id: &str, n: &Needles) -> AppResult<String> {
    let plain = serde_json::to_vec(n).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let sealed = cipher(app, closure_id)
        .encrypt(XNonce::from_slice(&nonce), plain.as_slice())
        .map_err(|_| AppError::Internal("sealing failed".into()))?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(STANDARD.encode(out))
}

pub fn open(app: &App, closure_id: &str, text: &str) -> AppResult<Needles> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|_| AppError::Internal("sealed identifiers unreadable".into()))?;
    if bytes.len() < 24 {
        return Err(AppError::Internal("sealed identifiers too short".into()));
    }
    let (nonce, body) = bytes.split_at(24);
    let plain = cipher(app, closure_id)
        .decrypt(XNonce::from_slice(nonce), body)
        .map_err(|_| AppError::Internal("sealed identifiers do not open with this key".into()))?;
    serde_json::from_slice(&plain).map_err(|e| AppError::Internal(e.to_string()))
}

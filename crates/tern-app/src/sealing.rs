//! Small secrets at rest: XChaCha20-Poly1305 under a key derived from the
//! server secret, a purpose label and a context (such as a closure id or
//! an account id), so a sealed value opens only for the record it belongs
//! to. The text form is base64 of a 24-byte random nonce and the
//! ciphertext with its tag. Used for the identifiers a closure's sweep
//! looks for and for TOTP secrets.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use crate::App;
use crate::error::{AppError, AppResult};

fn cipher(app: &App, purpose: &[u8], context: &str) -> XChaCha20Poly1305 {
    let mut h = Sha256::new();
    h.update(purpose);
    h.update(app.secret_key());
    h.update(context.as_bytes());
    XChaCha20Poly1305::new(&h.finalize())
}

/// Seals `plain` for (`purpose`, `context`).
pub fn seal(app: &App, purpose: &[u8], context: &str, plain: &[u8]) -> AppResult<String> {
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let sealed = cipher(app, purpose, context)
        .encrypt(XNonce::from_slice(&nonce), plain)
        .map_err(|_| AppError::Internal("sealing failed".into()))?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(STANDARD.encode(out))
}

/// Opens what [`seal`] made for the same (`purpose`, `context`).
pub fn open(app: &App, purpose: &[u8], context: &str, text: &str) -> AppResult<Vec<u8>> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|_| AppError::Internal("sealed value unreadable".into()))?;
    if bytes.len() < 24 {
        return Err(AppError::Internal("sealed value too short".into()));
    }
    let (nonce, body) = bytes.split_at(24);
    cipher(app, purpose, context)
        .decrypt(XNonce::from_slice(nonce), body)
        .map_err(|_| AppError::Internal("sealed value does not open with this key".into()))
}

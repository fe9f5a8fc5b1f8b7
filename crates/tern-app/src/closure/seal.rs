//! Keeping the erased identifiers, sealed, just long enough for the sweep
//! to look for them: XChaCha20-Poly1305 under a key derived from the
//! server secret (see [`crate::sealing`]). The sealed text is removed when the sweep is done.

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

const PURPOSE: &[u8] = b"tern closure sweep seal v1\0";

pub fn seal(app: &App, closure_id: &tern_domain::ClosureId, n: &Needles) -> AppResult<String> {
    let plain = serde_json::to_vec(n).map_err(|e| AppError::Internal(e.to_string()))?;
    crate::sealing::seal(app, PURPOSE, closure_id, &plain)
}

pub fn open(app: &App, closure_id: &tern_domain::ClosureId, text: &str) -> AppResult<Needles> {
    let plain = crate::sealing::open(app, PURPOSE, closure_id, text)
        .map_err(|_| AppError::Internal("sealed identifiers do not open with this key".into()))?;
    serde_json::from_slice(&plain).map_err(|e| AppError::Internal(e.to_string()))
}

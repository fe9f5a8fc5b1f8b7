//! `Idempotency-Key` handling shared by the API and the portal: the same
//! key with the same body answers the first response again; the same key
//! with a different body is 409 `idempotency_key_reused` (PRODUCT.md,
//! Interfaces).
//!
//! ```ignore
//! let req = idempotency::Request::new(&who.account_id, Scope::Order, key, &canonical_body)?;
//! let answered = idempotency::once(app, req.as_ref(), async || {
//!     let mut work = app.work().await?;
//!     // … the change …
//!     if let Some(r) = &req { r.remember(&mut work, 201, &view).await?; }
//!     work.commit().await?;
//!     Ok((201, view))
//! }).await?;
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tern_domain::IdempotencyKey;
use tern_store::Conn;
use tern_store::idempotency::{self, Stored};

use crate::App;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;

/// What a key belongs to. Keys are stored per owner; a scope keeps one
/// owner's keys for different kinds of request apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Order,
    Closure,
    WalletAdjustment,
}

impl Scope {
    fn prefix(self) -> &'static str {
        match self {
            Scope::Order => "",
            Scope::Closure => "closure:",
            Scope::WalletAdjustment => "wallet-adjustment:",
        }
    }

    /// The key as stored: this scope's prefix and the client's key.
    fn stored_key(self, key: &IdempotencyKey) -> String {
        format!("{}{}", self.prefix(), key.as_str())
    }
}

/// One request that came with a key: who sent it, the scoped key and the
/// hash of its body.
#[derive(Debug, Clone)]
pub struct Request {
    owner: tern_domain::AccountId,
    key: String,
    hash: String,
}

/// An answer given earlier for a key.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    body: String,
}

impl Answer {
    pub fn body<T: DeserializeOwned>(&self) -> AppResult<T> {
        serde_json::from_str(&self.body).map_err(|e| AppError::Internal(format!("stored idempotent answer: {e}")))
    }
}

/// The outcome of [`once`]: the status and body, and whether they are a
/// replay of an earlier answer.
#[derive(Debug, Clone)]
pub struct Answered<T> {
    pub status: u16,
    pub body: T,
    pub replayed: bool,
}

impl Request {
    /// `None` when the client sent no key; a key that is not 1 to 255
    /// printable ASCII characters is 422 `idempotency_key_invalid`.
    /// `body` is the request's canonical form: what makes two requests
    /// the same one (never a password).
    pub fn new(
        owner: &tern_domain::AccountId,
        scope: Scope,
        key: Option<&str>,
        body: &impl Serialize,
    ) -> AppResult<Option<Self>> {
        let Some(raw) = key else { return Ok(None) };
        let key = IdempotencyKey::parse(raw).map_err(|e| AppError::parsed("Idempotency-Key", e.code()))?;
        let canonical = serde_json::to_string(body).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(Some(Self {
            owner: owner.clone(),
            key: scope.stored_key(&key),
            hash: hex::encode(Sha256::digest(canonical.as_bytes())),
        }))
    }

    /// The answer stored for this key, if any; one stored for a different
    /// body is 409 `idempotency_key_reused`.
    pub async fn stored(&self, conn: &mut Conn) -> AppResult<Option<Answer>> {
        match idempotency::get(conn, &self.owner, &self.key).await? {
            None => Ok(None),
            Some(s) if s.request_hash != self.hash => Err(AppError::Conflict(Code::IdempotencyKeyReused)),
            Some(s) => Ok(Some(Answer {
                status: u16::try_from(s.status).map_err(|e| AppError::Internal(e.to_string()))?,
                body: s.response,
            })),
        }
    }

    /// Stores the first answer in the caller's transaction. When another
    /// request with this key committed first, this (or the commit) fails
    /// and [`once`] replays that request's answer instead.
    pub async fn remember(&self, conn: &mut Conn, now: i64, status: u16, body: &impl Serialize) -> AppResult<()> {
        let stored = Stored {
            request_hash: self.hash.clone(),
            status: i64::from(status),
            response: serde_json::to_string(body).map_err(|e| AppError::Internal(e.to_string()))?,
        };
        idempotency::put(conn, &self.owner, &self.key, &stored, now).await?;
        Ok(())
    }
}

/// Answers `req` once: a stored answer is replayed; otherwise `first`
/// runs (and stores its answer with [`Request::remember`]). If `first`
/// fails because a concurrent request with the same key won the race, the
/// winner's answer is replayed, so both callers see the same response.
pub async fn once<T, F>(app: &App, req: Option<&Request>, first: F) -> AppResult<Answered<T>>
where
    T: DeserializeOwned,
    F: AsyncFnOnce() -> AppResult<(u16, T)>,
{
    if let Some(r) = req {
        let mut conn = app.db.conn().await?;
        if let Some(answer) = r.stored(&mut conn).await? {
            return replayed(&answer);
        }
    }
    match first().await {
        Ok((status, body)) => Ok(Answered {
            status,
            body,
            replayed: false,
        }),
        // A lost race surfaces as a storage error (the unique key refused
        // the second answer); any other refusal is the answer itself.
        Err(e @ AppError::Internal(_)) => {
            let Some(r) = req else { return Err(e) };
            let mut conn = app.db.conn().await?;
            match r.stored(&mut conn).await? {
                Some(answer) => replayed(&answer),
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

fn replayed<T: DeserializeOwned>(answer: &Answer) -> AppResult<Answered<T>> {
    Ok(Answered {
        status: answer.status,
        body: answer.body()?,
        replayed: true,
    })
}

/// Whether `owner` has already used `key` in `scope` (the portal asks
/// before warning about a repeat purchase). An invalid key is unused.
pub async fn seen(app: &App, owner: &tern_domain::AccountId, scope: Scope, key: &str) -> AppResult<bool> {
    let Ok(key) = IdempotencyKey::parse(key) else {
        return Ok(false);
    };
    let mut conn = app.db.conn().await?;
    Ok(idempotency::get(&mut conn, owner, &scope.stored_key(&key))
        .await?
        .is_some())
}

//! Who is calling: resolving a bearer token or session cookie to an
//! account, and the checks sensitive actions make.

use tern_domain::{AccountId, AccountStatus, Locale, Role};
use tern_store::sessions;

use crate::App;
use crate::clock::ms;
use crate::error::{AppError, AppResult};
use crate::tokens;

/// The signed-in caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: AccountId,
    pub session_id: tern_domain::SessionId,
    pub role: Role,
    pub locale: Locale,
    pub reauth_at: Option<i64>,
    pub status: AccountStatus,
    /// The newest terms version the account accepted (see [`crate::terms`]).
    pub terms_version: Option<i64>,
}

impl Principal {
    /// Refuses unless the password was entered within the re-authentication
    /// window.
    pub fn require_recent_auth(&self, app: &App) -> AppResult<()> {
        let window = ms(app.settings.auth.reauth_window);
        match self.reauth_at {
            Some(t) if app.now_ms() - t <= window => Ok(()),
            _ => Err(AppError::ReauthRequired),
        }
    }

    /// Refuses unless the caller has one of `roles`.
    pub fn require_role(&self, roles: &[Role]) -> AppResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// Resolves a session token. Unknown, expired and ended tokens, and
/// accounts that are no longer active, are all simply "not signed in".
///
/// Nothing is cached: every request reads its session and account, so
/// signing out, a password change (which ends the other sessions) and a
/// frozen or closed account take effect for the very next request on
/// every node.
pub async fn authenticate(app: &App, token: &str) -> AppResult<Principal> {
    let token_hash = token_hash(token)?;
    let now = app.now_ms();
    let mut conn = app.db.reader().await?;
    let found = sessions::with_account_by_token_hash(&mut conn, &token_hash, now).await?;
    let (who, stale) = match principal(found, now) {
        Ok(p) => p,
        Err(e) => {
            conn.release();
            return Err(e);
        }
    };
    if stale {
        sessions::touch(&mut conn, &who.session_id, now).await?;
    }
    conn.release();
    Ok(who)
}

/// The stored form of a token the caller presents; refuses absurd ones
/// before any lookup.
pub(crate) fn token_hash(token: &str) -> AppResult<String> {
    if token.is_empty() || token.len() > 256 {
        return Err(AppError::Unauthenticated);
    }
    Ok(tokens::hash(token))
}

/// The caller behind a session found (or not) by its token hash at `now`,
/// refusing a missing session and an account that is not active; with
/// whether the session's activity is due to be recorded (about once a
/// minute, see [`sessions::touch`]). Services that read the session in the
/// same query as their own data (a hot path) finish authentication here,
/// so the rules stay in one place.
pub(crate) fn principal(found: Option<sessions::SessionAccount>, now: i64) -> AppResult<(Principal, bool)> {
    let found = found.ok_or(AppError::Unauthenticated)?;
    if found.status != AccountStatus::Active {
        return Err(AppError::Unauthenticated);
    }
    let stale = now - found.last_seen_at > 60_000;
    Ok((
        Principal {
            account_id: found.account_id,
            session_id: found.session_id,
            role: found.role,
            locale: Locale::parse(&found.locale).unwrap_or_default(),
            reauth_at: found.reauth_at,
            status: found.status,
            terms_version: found.terms_version,
        },
        stale,
    ))
}

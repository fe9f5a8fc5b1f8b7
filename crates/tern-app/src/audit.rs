//! Writing audit entries from services.

use tern_store::audit::{self, AuditEvent};
use tern_store::{Backend, Conn};

use crate::error::AppResult;

/// Appends one entry in the caller's transaction. `details` is a JSON
/// object without personal data.
pub async fn record(
    conn: &mut Conn,
    backend: Backend,
    actor: &str,
    action: &str,
    subject: &str,
    details: serde_json::Value,
    now: i64,
) -> AppResult<()> {
    let details = details.to_string();
    audit::append(
        conn,
        backend,
        &AuditEvent {
            actor,
            action,
            subject,
            details: &details,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Outcome of verifying the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries that verified, from the first.
    pub entries: i64,
    pub first_broken: Option<String>,
}

/// Verifies the chain from the first entry to the last, a page at a time.
pub async fn verify(db: &tern_store::Db, mut progress: impl FnMut(i64)) -> AppResult<VerifyReport> {
    let mut conn = db.conn().await?;
    let mut prev = tern_domain::audit::GENESIS.to_owned();
    let mut seq = 0;
    loop {
        let page = audit::page(&mut conn, seq, 5_000).await?;
        if page.is_empty() {
            return Ok(VerifyReport {
                entries: seq,
                first_broken: None,
            });
        }
        match tern_domain::audit::verify_page(prev.clone(), seq, &page) {
            Ok((p, s)) => {
                prev = p;
                seq = s;
                progress(seq);
            }
            Err(b) => {
                // Everything before the broken entry verified.
                let good = page.iter().take_while(|e| e.seq < b.seq()).count() as i64;
                return Ok(VerifyReport {
                    entries: seq + good,
                    first_broken: Some(b.to_string()),
                });
            }
        }
    }
}

/// Records a refused staff action (an audit entry per forbidden attempt).
/// Best effort: a failure to record is logged, the 403 stands.
pub async fn forbidden(app: &crate::App, actor: &str, action: &str) {
    let result = async {
        let mut tx = app.work().await?;
        record(
            &mut tx,
            app.db.backend(),
            actor,
            "access.forbidden",
            action,
            serde_json::json!({}),
            app.now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, crate::AppError>(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record a forbidden attempt");
    }
    metrics::counter!("tern_forbidden_total").increment(1);
}

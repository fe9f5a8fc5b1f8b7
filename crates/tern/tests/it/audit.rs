//! The audit log: recorded, append-only, and verifiable.

use reqwest::StatusCode;
use serde_json::json;
use tern_store::Backend;

use crate::harness::{Db, PW, TestApp};
use crate::on_both;

on_both!(audit_chain_verifies_and_detects_tampering, |db: Db| async move {
    let app = TestApp::start(db).await;
    let token = app.user("kim@example.com", PW).await;
    app.post(
        "/api/v1/sessions",
        None,
        json!({ "email": "kim@example.com", "password": "wrong password" }),
    )
    .await;
    app.call(reqwest::Method::DELETE, "/api/v1/sessions/current", Some(&token), None)
        .await;

    let tern = app.app().clone();
    let report = tern_app::audit::verify(&tern.db, |_| {}).await.unwrap();
    assert_eq!(report.first_broken, None);
    let mut conn = tern.db.conn().await.unwrap();
    let entries = tern_store::audit::page(&mut conn, 0, 100).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for expected in [
        "account.signup",
        "account.email_verified",
        "session.login",
        "session.login_failed",
        "session.logout",
    ] {
        assert!(actions.contains(&expected), "{expected} missing from {actions:?}");
    }
    assert_eq!(report.entries, entries.len() as i64);
    // No personal data in the log.
    for e in &entries {
        assert!(!format!("{e:?}").contains("kim@example.com"));
    }

    // The database refuses edits…
    let edit = sqlx::query("UPDATE audit_log SET details = '{\"forged\":true}' WHERE seq = 2")
        .execute(&mut *conn)
        .await;
    assert!(edit.is_err(), "audit_log must be append-only");
    // …and if someone gets around that, verification names the entry.
    match tern.db.backend() {
        Backend::Sqlite => {
            sqlx::query("DROP TRIGGER audit_log_no_update")
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
                .execute(&mut *conn)
                .await
                .unwrap();
        }
    }
    sqlx::query("UPDATE audit_log SET details = '{\"forged\":true}' WHERE seq = 2")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let report = tern_app::audit::verify(&tern.db, |_| {}).await.unwrap();
    assert_eq!(report.entries, 1, "{report:?}");
    assert!(report.first_broken.unwrap().starts_with("entry 2:"));
    assert_eq!(app.get("/healthz", None).await.0, StatusCode::OK);
    app.stop().await;
});

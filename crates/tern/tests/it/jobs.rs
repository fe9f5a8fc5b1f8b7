//! The job queue: leases, retries with backoff, failures kept for
//! operators, and the in-process worker.

use std::time::Duration;

use serde_json::json;

use crate::harness::{Db, PW, TestApp};
use crate::on_both;

on_both!(a_job_held_by_a_dead_worker_runs_after_its_lease, |db: Db| async move {
    let app = TestApp::start(db).await;
    let tern = app.app().clone();
    let mut tx = tern.db.begin().await.unwrap();
    tern_app::jobs::enqueue(&tern, &mut tx, &tern_app::housekeeping::Housekeeping {})
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // A worker claims it, then dies without finishing.
    let mut conn = tern.db.conn().await.unwrap();
    let claimed = tern_store::jobs::claim(&mut conn, tern.db.backend(), "dead-worker", 10, 300_000, tern.now_ms())
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    drop(conn);
    assert_eq!(app.drain_jobs().await, 0, "still leased");
    app.clock.advance(Duration::from_secs(301));
    assert_eq!(app.drain_jobs().await, 1, "taken over after the lease");
    let mut conn = tern.db.conn().await.unwrap();
    assert_eq!(tern_store::jobs::count_open(&mut conn).await.unwrap(), 0);
    // The dead worker coming back cannot complete a job it lost.
    assert!(
        !tern_store::jobs::complete(&mut conn, &claimed[0].id, "dead-worker")
            .await
            .unwrap()
    );
    drop(conn);
    app.stop().await;
});

on_both!(failing_delivery_retries_then_stays_visible, |db: Db| async move {
    // Port 9 on loopback: nothing listens, so every SMTP attempt fails.
    let app = TestApp::start_with(db, |s| {
        s.mail.smtp_url = Some("smtp://127.0.0.1:9".to_owned().into());
        s.jobs.max_attempts = 3;
        s.jobs.retry_base = Duration::from_secs(10);
    })
    .await;
    let (s, _) = app
        .post(
            "/api/v1/accounts",
            None,
            json!({ "email": "lou@example.com", "password": PW }),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::ACCEPTED, "sign-up does not wait for mail");
    let tern = app.app().clone();
    assert_eq!(app.drain_jobs().await, 1);
    let mut conn = tern.db.conn().await.unwrap();
    let pending = tern_store::jobs::list(&mut conn, tern_store::jobs::JobState::Pending, 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].attempts, 1);
    assert!(pending[0].last_error.is_some());
    let first_retry = pending[0].run_at - tern.now_ms();
    assert!(
        (9_000..=10_500).contains(&first_retry),
        "first retry after ~10 s, got {first_retry} ms"
    );
    drop(conn);
    assert_eq!(app.drain_jobs().await, 0, "not before its time");
    app.clock.advance(Duration::from_secs(11));
    assert_eq!(app.drain_jobs().await, 1);
    app.clock.advance(Duration::from_secs(21));
    assert_eq!(app.drain_jobs().await, 1);
    let mut conn = tern.db.conn().await.unwrap();
    let failed = tern_store::jobs::list(&mut conn, tern_store::jobs::JobState::Failed, 10)
        .await
        .unwrap();
    assert_eq!(failed.len(), 1, "kept for operators");
    assert_eq!(failed[0].kind, "deliver_notification");
    assert_eq!(failed[0].attempts, 3);
    assert_eq!(
        tern_store::outbox::count_unsent(&mut conn).await.unwrap(),
        1,
        "the message is not lost"
    );
    // An operator retries it.
    assert!(
        tern_store::jobs::retry(&mut conn, &failed[0].id, tern.now_ms())
            .await
            .unwrap()
    );
    assert_eq!(
        tern_store::jobs::count_by_state(&mut conn, tern_store::jobs::JobState::Pending)
            .await
            .unwrap(),
        1
    );
    drop(conn);
    app.stop().await;
});

on_both!(the_in_process_worker_delivers_mail, |db: Db| async move {
    let app = TestApp::start(db).await;
    let tern = app.app().clone();
    let worker = tern::server::start_with(
        tern.clone(),
        tern::server::Options {
            http: false,
            worker: true,
        },
    )
    .await
    .unwrap();
    app.post(
        "/api/v1/accounts",
        None,
        json!({ "email": "max@example.com", "password": PW }),
    )
    .await;
    let mut delivered = false;
    for _ in 0..100 {
        if !app.mail_to("max@example.com").is_empty() {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(delivered, "the worker delivered the verification email");
    // Graceful stop of the worker; the pool closes with it.
    worker.stop().await;
    app.stop().await;
});

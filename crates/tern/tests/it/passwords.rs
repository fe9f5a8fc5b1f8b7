//! Changing and resetting passwords.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Db, PW, TestApp};
use crate::on_both;

const NEW_PW: &str = "lantern harbour pepper violet";

on_both!(change_password_ends_other_sessions, |db: Db| async move {
    let app = TestApp::start(db).await;
    let here = app.user("fay@example.com", PW).await;
    let elsewhere = app.login("fay@example.com", PW).await;

    let (s, b) = app
        .post(
            "/api/v1/me/password",
            Some(&here),
            json!({ "current_password": "wrong one here", "new_password": NEW_PW }),
        )
        .await;
    assert_eq!(
        (s, b["error"]["details"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password"))
    );
    let (s, b) = app
        .post(
            "/api/v1/me/password",
            Some(&here),
            json!({ "current_password": PW, "new_password": "fay@example.com" }),
        )
        .await;
    assert_eq!(
        (s, b["error"]["details"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("password_too_weak"))
    );

    let (s, _) = app
        .post(
            "/api/v1/me/password",
            Some(&here),
            json!({ "current_password": PW, "new_password": NEW_PW }),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", Some(&here)).await.0,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&elsewhere)).await.0,
        StatusCode::UNAUTHORIZED,
        "others end"
    );
    let (s, _) = app
        .post(
            "/api/v1/sessions",
            None,
            json!({ "email": "fay@example.com", "password": PW }),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.login("fay@example.com", NEW_PW).await;
    app.drain_jobs().await;
    assert!(
        app.mail_to("fay@example.com")
            .iter()
            .any(|m| m.subject == "Your Tern password was changed")
    );
    app.stop().await;
});

on_both!(reset_by_email_is_single_use_and_ends_sessions, |db: Db| async move {
    let app = TestApp::start(db).await;
    let old = app.user("gus@example.com", PW).await;
    let known = app
        .post("/api/v1/password-resets", None, json!({ "email": "gus@example.com" }))
        .await;
    let unknown = app
        .post(
            "/api/v1/password-resets",
            None,
            json!({ "email": "nobody@example.com" }),
        )
        .await;
    let garbage = app
        .post("/api/v1/password-resets", None, json!({ "email": "not an email" }))
        .await;
    assert_eq!(known.0, StatusCode::ACCEPTED);
    assert_eq!(known, unknown);
    assert_eq!(known, garbage);
    app.drain_jobs().await;
    assert!(app.mail_to("nobody@example.com").is_empty());
    let mail = app
        .mail_to("gus@example.com")
        .into_iter()
        .find(|m| m.subject == "Reset your Tern password")
        .expect("reset mail");
    let token = mail.link_token("reset-password").expect("link");

    let (s, b) = app
        .post(
            "/api/v1/password-resets/confirm",
            None,
            json!({ "token": token, "new_password": "weak" }),
        )
        .await;
    assert_eq!(
        (s, b["error"]["details"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("password_too_short"))
    );
    // A refused password does not spend the token.
    let (s, _) = app
        .post(
            "/api/v1/password-resets/confirm",
            None,
            json!({ "token": token, "new_password": NEW_PW }),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = app
        .post(
            "/api/v1/password-resets/confirm",
            None,
            json!({ "token": token, "new_password": NEW_PW }),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("token_invalid"))
    );
    assert_eq!(app.get("/api/v1/me", Some(&old)).await.0, StatusCode::UNAUTHORIZED);
    app.login("gus@example.com", NEW_PW).await;
    app.stop().await;
});

on_both!(reset_links_expire_after_an_hour, |db: Db| async move {
    let app = TestApp::start(db).await;
    app.user("hal@example.com", PW).await;
    app.post("/api/v1/password-resets", None, json!({ "email": "hal@example.com" }))
        .await;
    app.drain_jobs().await;
    let token = app
        .mail_to("hal@example.com")
        .into_iter()
        .find_map(|m| m.link_token("reset-password"))
        .unwrap();
    app.clock.advance(std::time::Duration::from_secs(3601));
    let (s, b) = app
        .post(
            "/api/v1/password-resets/confirm",
            None,
            json!({ "token": token, "new_password": NEW_PW }),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("token_invalid"))
    );
    app.stop().await;
});

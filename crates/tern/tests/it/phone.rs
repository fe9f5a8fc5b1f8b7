//! Phone verification by SMS code.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Db, PW, TestApp};
use crate::on_both;

fn code_in(sms: &str) -> String {
    sms.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_default()
        .to_owned()
}

on_both!(phone_is_verified_with_the_texted_code, |db: Db| async move {
    let app = TestApp::start(db).await;
    let token = app.user("ivy@example.com", PW).await;
    let (s, b) = app.post("/api/v1/me/phone/verification", Some(&token), json!({})).await;
    assert_eq!(
        (s, b["error"]["details"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_missing"))
    );
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(&token),
        Some(json!({ "phone": "+8613800138000", "locale": "zh-CN" })),
    )
    .await;
    let (s, _) = app.post("/api/v1/me/phone/verification", Some(&token), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    app.drain_jobs().await;
    let texts = app.sms_to("+8613800138000");
    assert_eq!(texts.len(), 1);
    assert!(texts[0].contains("验证码"), "in the account's language: {}", texts[0]);
    let code = code_in(&texts[0]);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (s, b) = app
        .post(
            "/api/v1/me/phone/verification/confirm",
            Some(&token),
            json!({ "code": wrong }),
        )
        .await;
    assert_eq!(
        (s, b["error"]["details"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("code_invalid"))
    );
    let (s, _) = app
        .post(
            "/api/v1/me/phone/verification/confirm",
            Some(&token),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me["phone_verified"], true);
    app.stop().await;
});

on_both!(five_wrong_codes_void_the_code, |db: Db| async move {
    let app = TestApp::start(db).await;
    let token = app.user("jo@example.com", PW).await;
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(&token),
        Some(json!({ "phone": "+447700900456" })),
    )
    .await;
    app.post("/api/v1/me/phone/verification", Some(&token), json!({})).await;
    app.drain_jobs().await;
    let code = code_in(&app.sms_to("+447700900456")[0]);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let (s, _) = app
            .post(
                "/api/v1/me/phone/verification/confirm",
                Some(&token),
                json!({ "code": wrong }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The right code no longer works: a new one must be requested.
    let (s, b) = app
        .post(
            "/api/v1/me/phone/verification/confirm",
            Some(&token),
            json!({ "code": code }),
        )
        .await;
    assert_ne!(s, StatusCode::NO_CONTENT, "{b}");
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me["phone_verified"], false);
    // Codes expire after ten minutes too.
    app.post("/api/v1/me/phone/verification", Some(&token), json!({})).await;
    app.drain_jobs().await;
    app.clock.advance(std::time::Duration::from_secs(601));
    let texts = app.sms_to("+447700900456");
    for t in texts {
        let (s, _) = app
            .post(
                "/api/v1/me/phone/verification/confirm",
                Some(&token),
                json!({ "code": code_in(&t) }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    app.stop().await;
});

//! Sign-in answers that reveal nothing, and throttling.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Db, PW, TestApp};
use crate::on_both;

on_both!(wrong_password_and_unknown_email_look_the_same, |db: Db| async move {
    let app = TestApp::start(db).await;
    app.user("dee@example.com", PW).await;
    let wrong = app
        .post(
            "/api/v1/sessions",
            None,
            json!({ "email": "dee@example.com", "password": "not the password" }),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/sessions",
            None,
            json!({ "email": "nobody@example.com", "password": "not the password" }),
        )
        .await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong, unknown, "same status and body");
    assert_eq!(wrong.1["error"]["code"], "invalid_credentials");
    app.stop().await;
});

on_both!(eleventh_wrong_password_is_throttled, |db: Db| async move {
    let app = TestApp::start(db).await;
    app.user("eli@example.com", PW).await;
    for i in 1..=10 {
        let (s, _) = app
            .post(
                "/api/v1/sessions",
                None,
                json!({ "email": "eli@example.com", "password": format!("wrong guess {i}") }),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let res = app
        .client
        .post(format!("{}/api/v1/sessions", app.url))
        .json(&json!({ "email": "eli@example.com", "password": PW }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 15 * 60);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    // Unknown emails are throttled the same way, so throttling tells nothing.
    for _ in 0..10 {
        app.post(
            "/api/v1/sessions",
            None,
            json!({ "email": "ghost@example.com", "password": "x wrong y" }),
        )
        .await;
    }
    let (s, _) = app
        .post(
            "/api/v1/sessions",
            None,
            json!({ "email": "ghost@example.com", "password": "x wrong y" }),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // After the window, the right password works again.
    app.clock.advance(std::time::Duration::from_secs(16 * 60));
    app.login("eli@example.com", PW).await;
    app.stop().await;
});

on_both!(chinese_error_messages_follow_accept_language, |db: Db| async move {
    let app = TestApp::start(db).await;
    let res = app
        .client
        .post(format!("{}/api/v1/sessions", app.url))
        .header("accept-language", "zh-CN,zh;q=0.9,en;q=0.5")
        .json(&json!({ "email": "x@example.com", "password": "whatever it is" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-language"], "zh-CN");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["message"], "邮箱或密码不正确。");
    app.stop().await;
});

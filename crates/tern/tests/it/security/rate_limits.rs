//! Throttling: sign-in, password reset, phone codes (sending and
//! guessing), closure re-authentication and voucher redemption. (Wrong
//! two-factor codes: `totp.rs`.)

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Db, PW, TestApp};
use crate::on_both;

on_both!(repeated_attempts_are_throttled, |db: Db| async move {
    let app = TestApp::start(db).await;
    let email = "rita.ratelimit@example.com";
    let token = app.user(email, PW).await;

    // Sign-in: after 10 wrong passwords even the right one waits.
    for _ in 0..10 {
        let (s, _) = app
            .post(
                "/api/v1/sessions",
                None,
                json!({ "email": email, "password": "wrong password here" }),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let res = app
        .client
        .post(format!("{}/api/v1/sessions", app.url))
        .json(&json!({ "email": email, "password": PW }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    println!("security: rate limit: sign-in refused after 10 wrong passwords (429, Retry-After)");

    // Password reset: the answer never changes, but at most 5 links an hour.
    for _ in 0..7 {
        let (s, _) = app
            .post("/api/v1/password-resets", None, json!({ "email": email }))
            .await;
        assert_eq!(s, StatusCode::ACCEPTED);
    }
    app.drain_jobs().await;
    let links = app
        .mail_to(email)
        .iter()
        .filter(|m| m.link_token("reset-password").is_some())
        .count();
    assert_eq!(links, 5, "7 requests, 5 links");
    println!("security: rate limit: 7 reset requests mailed 5 links (answers identical)");

    // Phone codes: 5 sent an hour; 5 wrong guesses void the code.
    let (s, _) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(json!({ "phone": "+447700900456" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for i in 0..6 {
        let (s, _) = app.post("/api/v1/me/phone/verification", Some(&token), json!({})).await;
        let want = if i < 5 {
            StatusCode::ACCEPTED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(s, want, "code {i}");
    }
    app.drain_jobs().await;
    let code = crate::closure::code_in(app.sms_to("+447700900456").last().unwrap());
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
    let (s, b) = app
        .post(
            "/api/v1/me/phone/verification/confirm",
            Some(&token),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(
        (s, b["error"]["details"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("code_expired")),
        "the right code no longer works after 5 wrong ones"
    );
    println!("security: rate limit: 6th phone code in an hour refused (429); 5 wrong guesses void the code");

    // Closure re-authentication: 5 wrong passwords, then 429.
    for _ in 0..5 {
        let (s, _) = crate::closure::request_closure(
            &app,
            &token,
            None,
            json!({ "password": "wrong password here", "confirmation": "CLOSE MY ACCOUNT" }),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (s, _) = crate::closure::request_closure(
        &app,
        &token,
        None,
        json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT" }),
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    println!("security: rate limit: closure refused after 5 wrong passwords (429)");

    // Vouchers: 10 wrong codes an hour, then even a good one waits.
    let good = crate::wallet::vouchers(&app, 1000, 1, false).await.remove(0);
    for _ in 0..10 {
        let (s, _) = app
            .post(
                "/api/v1/wallet/redeem",
                Some(&token),
                json!({ "code": "TERN-AAAA-BBBB-CCCC" }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (s, _) = app
        .post("/api/v1/wallet/redeem", Some(&token), json!({ "code": good }))
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let (_, w) = app.get("/api/v1/wallet", Some(&token)).await;
    assert_eq!(w["balance"]["amount_minor"], 0);
    println!("security: rate limit: voucher redemption refused after 10 wrong codes (429)");
    app.stop().await;
});

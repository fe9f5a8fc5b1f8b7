//! Sign-up, verification, sign-in, profile and sign-out, as a traveller does it.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Db, PW, TestApp};
use crate::on_both;

on_both!(signup_verify_login_me_logout, |db: Db| async move {
    let app = TestApp::start(db).await;
    let (s, body) = app.get("/healthz", None).await;
    assert_eq!((s, body["status"].as_str()), (StatusCode::OK, Some("ok")));

    let (s, body) = app
        .post(
            "/api/v1/accounts",
            None,
            json!({ "email": " Ann.Lee@Example.com ", "password": PW, "phone": "+44 7700 900123", "name": "Ann" }),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "verification_sent");

    // Not verified yet: the right password is refused with a clear reason.
    let (s, body) = app
        .post(
            "/api/v1/sessions",
            None,
            json!({ "email": "ann.lee@example.com", "password": PW }),
        )
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("email_not_verified"))
    );

    assert!(app.drain_jobs().await >= 1);
    let mails = app.mail_to("ann.lee@example.com");
    assert_eq!(mails.len(), 1, "one verification email");
    assert_eq!(mails[0].subject, "Confirm your email for Tern");
    let token = mails[0].link_token("verify-email").expect("link in the email");
    assert!(mails[0].body.contains("http://tern.test/verify-email?token="));

    let (s, _) = app
        .post("/api/v1/accounts/verify-email", None, json!({ "token": token }))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Single use.
    let (s, body) = app
        .post("/api/v1/accounts/verify-email", None, json!({ "token": token }))
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("token_invalid"))
    );
    app.drain_jobs().await;
    assert!(
        app.mail_to("ann.lee@example.com")
            .iter()
            .any(|m| m.subject == "Welcome to Tern")
    );

    let (s, body) = app
        .post(
            "/api/v1/sessions",
            None,
            json!({ "email": "ANN.LEE@example.com", "password": PW }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));

    let (s, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["email"], "ann.lee@example.com");
    assert_eq!(me["email_verified"], true);
    assert_eq!(me["phone"], "+447700900123");
    assert_eq!(me["phone_verified"], false);
    assert_eq!(me["name"], "Ann");
    assert_eq!(me["locale"], "en");
    assert_eq!(me["role"], "user");

    let (s, me) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(json!({ "locale": "zh-CN", "name": "李安" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (me["locale"].as_str(), me["name"].as_str()),
        (Some("zh-CN"), Some("李安"))
    );
    // The account's language now shapes error messages.
    let (s, body) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(json!({ "phone": "12345" })),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["details"][0]["field"], "phone");
    assert!(
        body["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("国际格式"),
        "{body}"
    );

    let (s, _) = app
        .call(Method::DELETE, "/api/v1/sessions/current", Some(&token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, body) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    app.stop().await;
});

on_both!(signup_with_a_taken_email_looks_the_same, |db: Db| async move {
    let app = TestApp::start(db).await;
    app.user("taken@example.com", PW).await;
    let first = app
        .post(
            "/api/v1/accounts",
            None,
            json!({ "email": "new@example.com", "password": PW }),
        )
        .await;
    let again = app
        .post(
            "/api/v1/accounts",
            None,
            json!({ "email": "taken@example.com", "password": PW }),
        )
        .await;
    assert_eq!(first, again, "same status and body whether or not the email is taken");
    app.drain_jobs().await;
    let mails = app.mail_to("taken@example.com");
    assert!(
        mails.iter().any(|m| m.subject.starts_with("Someone tried to sign up")),
        "the owner is told"
    );
    app.stop().await;
});

on_both!(sessions_can_be_listed_and_ended, |db: Db| async move {
    let app = TestApp::start(db).await;
    let phone = app.user("bo@example.com", PW).await;
    let laptop = app.login("bo@example.com", PW).await;
    let (s, list) = app.get("/api/v1/me/sessions", Some(&phone)).await;
    assert_eq!(s, StatusCode::OK);
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    let other = list.iter().find(|x| x["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/me/sessions/{other}"),
            Some(&phone),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/me", Some(&laptop)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", Some(&phone)).await.0, StatusCode::OK);

    // Another account's session id is simply not found.
    let eve = app.user("eve@example.com", PW).await;
    let (_, mine) = app.get("/api/v1/me/sessions", Some(&phone)).await;
    let my_id = mine[0]["id"].as_str().unwrap().to_owned();
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/me/sessions/{my_id}"),
            Some(&eve),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/me", Some(&phone)).await.0, StatusCode::OK);
    app.stop().await;
});

on_both!(reauthentication_opens_a_window, |db: Db| async move {
    let app = TestApp::start(db).await;
    let token = app.user("cy@example.com", PW).await;
    let app_handle = app.app().clone();
    let who = tern_app::auth::authenticate(&app_handle, &token).await.unwrap();
    // A fresh login counts as recent.
    assert!(who.require_recent_auth(&app_handle).is_ok());
    app.clock.advance(std::time::Duration::from_secs(11 * 60));
    let who = tern_app::auth::authenticate(&app_handle, &token).await.unwrap();
    assert!(matches!(
        who.require_recent_auth(&app_handle),
        Err(tern_app::AppError::ReauthRequired)
    ));
    let (s, body) = app
        .post(
            "/api/v1/sessions/current/reauth",
            Some(&token),
            json!({ "password": "wrong password here" }),
        )
        .await;
    assert_eq!(
        (s, body["error"]["details"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("password_incorrect"))
    );
    let (s, _) = app
        .post(
            "/api/v1/sessions/current/reauth",
            Some(&token),
            json!({ "password": PW }),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let who = tern_app::auth::authenticate(&app_handle, &token).await.unwrap();
    assert!(who.require_recent_auth(&app_handle).is_ok());
    app.stop().await;
});

//! Sessions end when they should: on sign-out (API and portal), on a
//! password change (every other session), on a password reset (all of
//! them) and when the account is closed (all of them, and no new ones).

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{browser, portal_login};
use crate::harness::{Db, PW, TestApp};
use crate::on_both;

const EMAIL: &str = "sam.sessions@example.com";
const NEW: &str = "a brand new horse battery";
const NEWER: &str = "an even newer horse battery";

async fn alive(app: &TestApp, token: &str) -> bool {
    app.get("/api/v1/me", Some(token)).await.0 == StatusCode::OK
}

on_both!(
    sessions_end_on_logout_password_change_reset_and_closure,
    |db: Db| async move {
        let app = TestApp::start_with(db, |s| s.closure.cooling_off = Duration::ZERO).await;
        let a = app.user(EMAIL, PW).await;
        let b = app.login(EMAIL, PW).await;

        // Sign-out ends that session only.
        let (s, _) = app
            .call(Method::DELETE, "/api/v1/sessions/current", Some(&a), None)
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert!(!alive(&app, &a).await && alive(&app, &b).await);
        // In the portal too: the cookie's session is gone server-side.
        let web = browser();
        let csrf = portal_login(&app, &web, EMAIL).await;
        let res = web
            .post(format!("{}/logout", app.url))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let res = web.get(format!("{}/account", app.url)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed out in the portal");
        let (_, list) = app.get("/api/v1/me/sessions", Some(&b)).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "only b is left: {list}");

        // A password change ends every other session.
        let c = app.login(EMAIL, PW).await;
        let (s, _) = app
            .post(
                "/api/v1/me/password",
                Some(&b),
                json!({ "current_password": PW, "new_password": NEW }),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert!(!alive(&app, &c).await, "the other session ended");
        assert!(alive(&app, &b).await, "the one that changed it stays");

        // A reset ends all of them.
        let d = app.login(EMAIL, NEW).await;
        let (s, _) = app
            .post("/api/v1/password-resets", None, json!({ "email": EMAIL }))
            .await;
        assert_eq!(s, StatusCode::ACCEPTED);
        app.drain_jobs().await;
        let token = app
            .mail_to(EMAIL)
            .iter()
            .rev()
            .find_map(|m| m.link_token("reset-password"))
            .unwrap();
        let (s, _) = app
            .post(
                "/api/v1/password-resets/confirm",
                None,
                json!({ "token": token, "new_password": NEWER }),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert!(
            !alive(&app, &b).await && !alive(&app, &d).await,
            "every session ended by the reset"
        );
        let (s, _) = app
            .post("/api/v1/sessions", None, json!({ "email": EMAIL, "password": NEW }))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "the old password is dead");

        // Closure (no cooling-off): every session ends and none can start.
        let e = app.login(EMAIL, NEWER).await;
        let f = app.login(EMAIL, NEWER).await;
        let (s, v) = crate::closure::request_closure(
            &app,
            &e,
            None,
            json!({ "password": NEWER, "confirmation": "CLOSE MY ACCOUNT" }),
        )
        .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        app.drain_jobs().await;
        assert!(
            !alive(&app, &e).await && !alive(&app, &f).await,
            "closure ended every session"
        );
        let (s, _) = app
            .post("/api/v1/sessions", None, json!({ "email": EMAIL, "password": NEWER }))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        println!(
            "security: sessions end on logout (API, portal), password change (others), reset (all), closure (all)"
        );
        app.stop().await;
    }
);

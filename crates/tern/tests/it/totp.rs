//! Two-factor sign-in with an authenticator app: enrolling with a QR code,
//! the second step of signing in, single-use recovery codes, turning it
//! off with the password, closure asking for a code, and erasure.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;

use crate::harness::{Db, PW, TestApp};
use crate::on_both;

/// The code an authenticator app shows for `secret` (base32) at the
/// server's clock.
pub fn code_at(app: &TestApp, secret: &str) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    let t = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, String::new());
    t.generate(u64::try_from(app.app().now_ms() / 1000).unwrap())
}

/// Re-authenticates and starts enrolment; returns the enrolment answer.
pub async fn start_enrolment(app: &TestApp, token: &str) -> Value {
    let (s, _) = app
        .post(
            "/api/v1/sessions/current/reauth",
            Some(token),
            json!({ "password": PW }),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = app.post("/api/v1/me/totp", Some(token), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    e
}

/// Turns two-factor on for the account of `token`; returns the secret and
/// the recovery codes. The clock moves on a step, so the code used here is
/// not the one the next caller computes.
pub async fn enable(app: &TestApp, token: &str) -> (String, Vec<String>) {
    let e = start_enrolment(app, token).await;
    let secret = e["secret"].as_str().unwrap().to_owned();
    let (s, c) = app
        .post(
            "/api/v1/me/totp/confirm",
            Some(token),
            json!({ "code": code_at(app, &secret) }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let codes = c["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    app.clock.advance(Duration::from_secs(30));
    (secret, codes)
}

/// Signs in with password, then with the challenge and `second` (a JSON
/// object with `totp_code` or `recovery_code`).
pub async fn login_2fa(app: &TestApp, email: &str, second: Value) -> (StatusCode, Value) {
    let (s, b) = app
        .post("/api/v1/sessions", None, json!({ "email": email, "password": PW }))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("totp_required")),
        "{b}"
    );
    let mut body = second;
    body["challenge"] = b["error"]["challenge"].clone();
    app.post("/api/v1/sessions", None, body).await
}

async fn audit_actions(app: &TestApp, subject_token: &str) -> Vec<String> {
    let (_, me) = app.get("/api/v1/me", Some(subject_token)).await;
    let id = me["id"].as_str().unwrap().to_owned();
    let mut conn = app.app().db.conn().await.unwrap();
    sqlx::query("SELECT action FROM audit_log WHERE subject = $1 ORDER BY seq")
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("action"))
        .collect()
}

on_both!(
    enrol_sign_in_with_a_code_and_recovery_codes_work_once,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let email = "tove.twofactor@example.com";
        let token = app.user(email, PW).await;

        // Setting it up needs the password again (signing in counts for ten
        // minutes).
        app.clock.advance(Duration::from_secs(11 * 60));
        let (s, b) = app.post("/api/v1/me/totp", Some(&token), json!({})).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("reauthentication_required"))
        );
        let e = start_enrolment(&app, &token).await;
        let secret = e["secret"].as_str().unwrap().to_owned();
        assert!(secret.len() >= 32, "160-bit secret in base32: {secret}");
        let uri = e["otpauth_uri"].as_str().unwrap();
        assert!(uri.starts_with("otpauth://totp/Tern:"), "{uri}");
        assert!(
            uri.contains(&format!("secret={secret}")) && uri.contains("issuer=Tern"),
            "{uri}"
        );
        assert!(e["qr_svg"].as_str().unwrap().contains("<svg"), "a QR code");
        let (_, st) = app.get("/api/v1/me/totp", Some(&token)).await;
        assert_eq!(
            st,
            json!({ "enabled": false, "enrolling": true, "recovery_codes_left": 0 })
        );

        // Until a code is confirmed, signing in is as before.
        app.login(email, PW).await;

        // The secret is sealed at rest.
        {
            let mut conn = app.app().db.conn().await.unwrap();
            let sealed: String = sqlx::query_scalar("SELECT secret_sealed FROM totp_factors")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert!(!sealed.contains(&secret) && !sealed.to_lowercase().contains(&secret.to_lowercase()));
        }

        let (s, b) = app
            .post("/api/v1/me/totp/confirm", Some(&token), json!({ "code": "000000" }))
            .await;
        assert_eq!(
            (s, b["error"]["details"][0]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("totp_invalid"))
        );
        let first = code_at(&app, &secret);
        let (s, c) = app
            .post("/api/v1/me/totp/confirm", Some(&token), json!({ "code": first }))
            .await;
        assert_eq!(s, StatusCode::OK, "{c}");
        let codes: Vec<String> = c["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(codes.len(), 10);
        assert_eq!(codes.iter().collect::<std::collections::BTreeSet<_>>().len(), 10);
        let (s, b) = app
            .post("/api/v1/me/totp/confirm", Some(&token), json!({ "code": first }))
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("totp_already_enabled"))
        );
        let (_, st) = app.get("/api/v1/me/totp", Some(&token)).await;
        assert_eq!(
            st,
            json!({ "enabled": true, "enrolling": false, "recovery_codes_left": 10 })
        );
        app.drain_jobs().await;
        let mail = app.mail_to(email);
        let on = mail
            .iter()
            .find(|m| m.subject.contains("Two-step sign-in is now on"))
            .expect("the owner is told that two-step sign-in is on");
        assert!(on.body.contains("recovery codes") && !on.body.contains(&secret));
        println!("security: TOTP enrolled, 10 recovery codes, secret sealed at rest, owner mailed");

        // The password alone is no longer enough; a wrong password answers
        // exactly as for an email nobody has.
        let (s, b) = app
            .post("/api/v1/sessions", None, json!({ "email": email, "password": PW }))
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("totp_required")),
            "{b}"
        );
        assert!(b.get("token").is_none() && b["error"].get("token").is_none());
        let challenge = b["error"]["challenge"].as_str().unwrap().to_owned();
        let wrong = app
            .post(
                "/api/v1/sessions",
                None,
                json!({ "email": email, "password": "not the password at all" }),
            )
            .await;
        let unknown = app
            .post(
                "/api/v1/sessions",
                None,
                json!({ "email": "nobody.at.all@example.com", "password": "not the password at all" }),
            )
            .await;
        assert_eq!(wrong, unknown);
        assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);

        // The code that turned it on cannot be used again (same 30 s step).
        let (s, b) = app
            .post(
                "/api/v1/sessions",
                None,
                json!({ "challenge": challenge, "totp_code": first }),
            )
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("totp_invalid")),
            "{b}"
        );
        app.clock.advance(Duration::from_secs(30));
        let (s, b) = app
            .post(
                "/api/v1/sessions",
                None,
                json!({ "challenge": challenge, "totp_code": code_at(&app, &secret) }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let t2 = b["token"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/api/v1/me", Some(&t2)).await.0, StatusCode::OK);
        // A challenge works once.
        app.clock.advance(Duration::from_secs(30));
        let (s, b) = app
            .post(
                "/api/v1/sessions",
                None,
                json!({ "challenge": challenge, "totp_code": code_at(&app, &secret) }),
            )
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("token_invalid"))
        );

        // Email, password and code in one request also work.
        app.clock.advance(Duration::from_secs(30));
        let (s, _) = app
            .post(
                "/api/v1/sessions",
                None,
                json!({ "email": email, "password": PW, "totp_code": code_at(&app, &secret) }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);

        // A recovery code works once, typed in upper case without its dash.
        let typed = codes[3].to_uppercase().replace('-', "");
        let (s, b) = login_2fa(&app, email, json!({ "recovery_code": typed })).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let (s, b) = login_2fa(&app, email, json!({ "recovery_code": codes[3] })).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("totp_invalid"))
        );
        let (_, st) = app.get("/api/v1/me/totp", Some(&token)).await;
        assert_eq!(st["recovery_codes_left"], 9);
        println!("security: TOTP code and recovery code each accepted once; replay refused");

        let actions = audit_actions(&app, &token).await;
        for a in [
            "account.totp_enabled",
            "account.recovery_code_used",
            "account.second_factor_failed",
        ] {
            assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
        }
        app.stop().await;
    }
);

on_both!(
    wrong_codes_are_throttled_and_disabling_needs_password_and_code,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let email = "tilde.throttle@example.com";
        let token = app.user(email, PW).await;
        let (secret, codes) = enable(&app, &token).await;

        // Five wrong codes, then even the right one waits.
        for _ in 0..5 {
            let (s, _) = login_2fa(&app, email, json!({ "totp_code": "123456" })).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED);
        }
        let (s, b) = login_2fa(&app, email, json!({ "totp_code": code_at(&app, &secret) })).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")),
            "{b}"
        );
        println!("security: 6th second-factor attempt in 15 min refused with 429");
        app.clock.advance(Duration::from_secs(16 * 60));
        let (s, _) = login_2fa(&app, email, json!({ "totp_code": code_at(&app, &secret) })).await;
        assert_eq!(s, StatusCode::CREATED);

        // Turning it off: the password and a code.
        let off = |body: Value| {
            let app = &app;
            let token = token.clone();
            async move {
                app.call(Method::DELETE, "/api/v1/me/totp", Some(&token), Some(body))
                    .await
            }
        };
        let (s, b) = off(json!({ "password": "wrong password entirely", "totp_code": "000000" })).await;
        assert_eq!(
            (
                s,
                b["error"]["details"][0]["field"].as_str(),
                b["error"]["details"][0]["code"].as_str()
            ),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("password"),
                Some("password_incorrect")
            )
        );
        let (s, b) = off(json!({ "password": PW })).await;
        assert_eq!(
            (
                s,
                b["error"]["details"][0]["field"].as_str(),
                b["error"]["details"][0]["code"].as_str()
            ),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("totp_code"),
                Some("totp_required")
            )
        );
        let (s, _) = off(json!({ "password": PW, "recovery_code": codes[0] })).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, b) = off(json!({ "password": PW, "recovery_code": codes[1] })).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("totp_not_enabled"))
        );
        let (_, st) = app.get("/api/v1/me/totp", Some(&token)).await;
        assert_eq!(st["enabled"], false);
        app.drain_jobs().await;
        assert_eq!(
            app.mail_to(email)
                .iter()
                .filter(|m| m.subject.contains("Two-step sign-in is now off"))
                .count(),
            1,
            "the owner is told once that two-step sign-in is off"
        );
        app.login(email, PW).await;
        let mut conn = app.app().db.conn().await.unwrap();
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM totp_recovery_codes")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(left, 0, "recovery codes deleted with the factor");
        drop(conn);
        let actions = audit_actions(&app, &token).await;
        assert!(actions.iter().any(|a| a == "account.totp_disabled"), "{actions:?}");
        app.stop().await;
    }
);

on_both!(closure_asks_for_the_second_factor_and_erases_it, |db: Db| async move {
    let app = TestApp::start_with(db, |s| s.closure.cooling_off = Duration::ZERO).await;
    let email = "clea.closing@example.com";
    let token = app.user(email, PW).await;
    let (secret, _codes) = enable(&app, &token).await;
    let body = |extra: Value| {
        let mut b = json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT" });
        if let (Value::Object(b), Value::Object(e)) = (&mut b, extra) {
            b.extend(e);
        }
        b
    };
    let detail = |b: &Value| {
        (
            b["error"]["details"][0]["field"].as_str().map(str::to_owned),
            b["error"]["details"][0]["code"].as_str().map(str::to_owned),
        )
    };
    let (s, b) = crate::closure::request_closure(&app, &token, None, body(json!({}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail(&b), (Some("totp_code".into()), Some("totp_required".into())));
    let (s, b) = crate::closure::request_closure(&app, &token, None, body(json!({ "totp_code": "999999" }))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail(&b), (Some("totp_code".into()), Some("totp_invalid".into())));
    let (s, v) =
        crate::closure::request_closure(&app, &token, None, body(json!({ "totp_code": code_at(&app, &secret) }))).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    app.drain_jobs().await;
    let url = v["status_url"].as_str().unwrap();
    let (_, st) = app
        .get(
            &format!("/api/v1/closure-status/{}", url.rsplit('/').next().unwrap()),
            None,
        )
        .await;
    assert_eq!(st["state"], "completed", "{st}");
    assert_eq!(st["receipt"]["sweep"]["hits"], 0, "{st}");
    assert_eq!(
        st["receipt"]["deleted"]["two_factor"], 11,
        "the factor and 10 recovery codes"
    );
    let mut conn = app.app().db.conn().await.unwrap();
    for table in ["totp_factors", "totp_recovery_codes"] {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(n, 0, "{table} emptied by the erase step");
    }
    println!("security: closure needs the second factor; erase removed it (sweep 0)");
    drop(conn);
    app.stop().await;
});

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("the hidden field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

on_both!(
    portal_enrols_signs_in_in_two_steps_and_turns_it_off,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let email = "pia.portal@example.com";
        app.user(email, PW).await;
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let get = |path: &str| {
            let b = browser.clone();
            let url = format!("{}{path}", app.url);
            async move { b.get(url).send().await.unwrap().text().await.unwrap() }
        };
        let post = |path: &str, form: Vec<(&'static str, String)>| {
            let b = browser.clone();
            let url = format!("{}{path}", app.url);
            async move {
                let r = b.post(url).form(&form).send().await.unwrap();
                (
                    r.status(),
                    r.headers().get("location").map(|l| l.to_str().unwrap().to_owned()),
                    r.text().await.unwrap(),
                )
            }
        };
        let csrf = csrf_of(&get("/login").await);
        let (s, loc, _) = post(
            "/login",
            vec![("csrf", csrf.clone()), ("email", email.into()), ("password", PW.into())],
        )
        .await;
        assert_eq!((s, loc.as_deref()), (StatusCode::SEE_OTHER, Some("/account")));
        let account = get("/account").await;
        assert!(account.contains("Two-step sign-in"), "the account page offers it");

        // Wrong password: nothing starts.
        let (s, _, html) = post(
            "/account/totp/start",
            vec![("csrf", csrf.clone()), ("password", "nope nope nope".into())],
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("The password is not correct."));
        let (s, _, html) = post(
            "/account/totp/start",
            vec![("csrf", csrf.clone()), ("password", PW.into())],
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        // minijinja escapes the `/` of the data URI as `&#x2f;`; browsers read it back.
        assert!(html.contains("src=\"data:image"), "QR code inline: {html}");
        let start = html.find("<code class=\"secret\">").unwrap() + "<code class=\"secret\">".len();
        let secret = html[start..start + html[start..].find('<').unwrap()].to_owned();

        // A wrong first code shows the same QR code again.
        let (s, _, html) = post(
            "/account/totp/confirm",
            vec![("csrf", csrf.clone()), ("code", "000000".into())],
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains(&secret) && html.contains("That code is not right"));
        let (s, _, html) = post(
            "/account/totp/confirm",
            vec![("csrf", csrf.clone()), ("code", code_at(&app, &secret))],
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("This is the only time they are shown."));
        let shown = html.matches("<li><code>").count();
        assert_eq!(shown, 10, "ten recovery codes shown once");
        let first_code = {
            let i = html.find("<li><code>").unwrap() + "<li><code>".len();
            html[i..i + 11].to_owned()
        };
        assert!(!get("/account").await.contains(&first_code), "never shown again");

        // Sign out, sign in: a second step, without the password in the page.
        let (s, _, _) = post("/logout", vec![("csrf", csrf.clone())]).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (s, _, html) = post(
            "/login",
            vec![("csrf", csrf.clone()), ("email", email.into()), ("password", PW.into())],
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("action=\"/login/totp\"") && !html.contains(PW));
        let challenge = hidden(&html, "challenge");
        let (s, _, html) = post(
            "/login/totp",
            vec![
                ("csrf", csrf.clone()),
                ("challenge", challenge.clone()),
                ("code", "111111".into()),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(html.contains("That code is not right"));
        app.clock.advance(Duration::from_secs(30));
        let (s, loc, _) = post(
            "/login/totp",
            vec![
                ("csrf", csrf.clone()),
                ("challenge", challenge),
                ("code", code_at(&app, &secret)),
            ],
        )
        .await;
        assert_eq!((s, loc.as_deref()), (StatusCode::SEE_OTHER, Some("/account")));
        assert!(get("/account").await.contains("Recovery codes left: 10."));

        // Turning it off with the password and a recovery code.
        let (s, loc, _) = post(
            "/account/totp/disable",
            vec![
                ("csrf", csrf.clone()),
                ("password", PW.into()),
                ("code", first_code.to_uppercase()),
            ],
        )
        .await;
        assert_eq!(
            (s, loc.as_deref()),
            (StatusCode::SEE_OTHER, Some("/account?notice=totp_disabled"))
        );
        assert!(get("/account").await.contains("Set up two-step sign-in"));
        app.stop().await;
    }
);

on_both!(
    a_password_change_voids_a_sign_in_waiting_for_its_second_factor,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let email = "vera.voided@example.com";
        let token = app.user(email, PW).await;
        let (secret, _codes) = enable(&app, &token).await;
        // Someone who knows the old password gets as far as the challenge…
        let (s, b) = app
            .post("/api/v1/sessions", None, json!({ "email": email, "password": PW }))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
        let challenge = b["error"]["challenge"].as_str().unwrap().to_owned();
        // …the owner changes the password…
        let new_pw = "a brand new passphrase for vera";
        let (s, b) = app
            .post(
                "/api/v1/me/password",
                Some(&token),
                json!({ "current_password": PW, "new_password": new_pw }),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
        // …and the half-done sign-in cannot be finished, even with a good code.
        let (s, b) = app
            .post(
                "/api/v1/sessions",
                None,
                json!({ "challenge": challenge, "totp_code": code_at(&app, &secret) }),
            )
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("token_invalid")),
            "{b}"
        );
        // The owner signs in with the new password and a code.
        let (s, b) = app
            .post(
                "/api/v1/sessions",
                None,
                json!({ "email": email, "password": new_pw, "totp_code": code_at(&app, &secret) }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        println!("security: a pending second-factor challenge ends with a password change");
        app.stop().await;
    }
);

//! No account enumeration: sign-up, sign-in and password reset answer the
//! same status and body, in comparable time, whether or not an account
//! has the email.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{browser, csrf_of, median};
use crate::harness::{Db, PW, TestApp};
use crate::on_both;

const KNOWN: &str = "known.person@example.com";
const UNVERIFIED: &str = "unverified.person@example.com";
const UNKNOWN: &str = "unknown.person@example.com";

async fn timed(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value, Duration) {
    let t = Instant::now();
    let (s, b) = app.post(path, None, body).await;
    (s, b, t.elapsed())
}

/// A portal form's answer with the email typed replaced, so the pages
/// can be compared.
async fn portal_post(app: &TestApp, path: &str, email: &str, extra: &[(&str, &str)]) -> (StatusCode, String) {
    let b = browser();
    let html = b
        .get(format!("{}{path}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let mut form = vec![("csrf", csrf.as_str()), ("email", email)];
    form.extend_from_slice(extra);
    let res = b.post(format!("{}{path}", app.url)).form(&form).send().await.unwrap();
    let s = res.status();
    let text = res.text().await.unwrap().replace(email, "EMAIL").replace(&csrf, "CSRF");
    (s, text)
}

on_both!(known_and_unknown_emails_answer_alike, |db: Db| async move {
    let app = TestApp::start_with(db, |s| {
        s.auth.login_failures_per_account = 1000;
        s.auth.login_attempts_per_address = 1000;
    })
    .await;
    app.user(KNOWN, PW).await;
    let (s, _) = app
        .post("/api/v1/accounts", None, json!({ "email": UNVERIFIED, "password": PW }))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let mut checked = 0;

    // Sign-up: an email that has an account gets the same answer.
    let new_pw = "another correct horse battery";
    let a = app
        .post("/api/v1/accounts", None, json!({ "email": KNOWN, "password": new_pw }))
        .await;
    let b = app
        .post(
            "/api/v1/accounts",
            None,
            json!({ "email": UNKNOWN, "password": new_pw }),
        )
        .await;
    assert_eq!(a, b, "sign-up answers differ");
    assert_eq!(a.0, StatusCode::ACCEPTED);
    let pa = portal_post(&app, "/signup", KNOWN, &[("password", new_pw)]).await;
    let pb = portal_post(&app, "/signup", "unknown.two@example.com", &[("password", new_pw)]).await;
    assert_eq!(pa, pb, "portal sign-up pages differ");
    checked += 2;

    // Sign-in with a wrong password: known, unverified and unknown alike.
    let wrong = "definitely not the password";
    let answers = [KNOWN, UNVERIFIED, UNKNOWN].map(|e| json!({ "email": e, "password": wrong }));
    let mut seen = Vec::new();
    for body in answers {
        seen.push(app.post("/api/v1/sessions", None, body).await);
    }
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "sign-in answers differ: {seen:?}"
    );
    assert_eq!(seen[0].0, StatusCode::UNAUTHORIZED);
    let pa = portal_post(&app, "/login", KNOWN, &[("password", wrong)]).await;
    let pb = portal_post(&app, "/login", UNKNOWN, &[("password", wrong)]).await;
    assert_eq!(pa, pb, "portal sign-in pages differ");
    checked += 2;

    // Password reset: always the same.
    let a = app
        .post("/api/v1/password-resets", None, json!({ "email": KNOWN }))
        .await;
    let b = app
        .post("/api/v1/password-resets", None, json!({ "email": UNKNOWN }))
        .await;
    assert_eq!(a, b, "reset answers differ");
    assert_eq!(a.0, StatusCode::ACCEPTED);
    let pa = portal_post(&app, "/forgot-password", KNOWN, &[]).await;
    let pb = portal_post(&app, "/forgot-password", UNKNOWN, &[]).await;
    assert_eq!(pa, pb, "portal reset pages differ");
    checked += 2;

    // Timing: medians of alternating tries, compared loosely (a loaded
    // two-core machine varies a lot; a missing password hash would be 100×).
    let n = 9;
    let mut report = Vec::new();
    for (what, path, known_body, unknown_body, factor) in [
        (
            "sign-in",
            "/api/v1/sessions",
            json!({ "email": KNOWN, "password": wrong }),
            json!({ "email": UNKNOWN, "password": wrong }),
            3.0,
        ),
        (
            "sign-up",
            "/api/v1/accounts",
            json!({ "email": KNOWN, "password": new_pw }),
            json!({ "email": "", "password": new_pw }),
            3.0,
        ),
        (
            "password reset",
            "/api/v1/password-resets",
            json!({ "email": KNOWN }),
            json!({ "email": UNKNOWN }),
            3.0,
        ),
    ] {
        let (mut k, mut u) = (Vec::new(), Vec::new());
        for i in 0..n {
            let unknown_body = if what == "sign-up" {
                json!({ "email": format!("fresh{i}.person@example.com"), "password": new_pw })
            } else {
                unknown_body.clone()
            };
            // A fresh hour each round: reset links are limited to 5 an hour
            // per email, and a dropped request must not skew the timing.
            app.clock.advance(Duration::from_secs(3601));
            k.push(timed(&app, path, known_body.clone()).await.2);
            u.push(timed(&app, path, unknown_body).await.2);
        }
        let (mk, mu) = (median(k), median(u));
        let ratio = mu.as_secs_f64() / mk.as_secs_f64().max(1e-6);
        println!("security: {what} timing: known email median {mk:?}, unknown email median {mu:?} (ratio {ratio:.2})");
        report.push((what, ratio, factor));
    }
    for (what, ratio, factor) in report {
        assert!(
            ratio < factor && ratio > 1.0 / factor,
            "{what}: unknown/known median time ratio {ratio:.2} is outside 1/{factor}..{factor}"
        );
    }
    println!("security: enumeration: {checked} answer pairs identical (API and portal), 3 timings comparable");
    app.stop().await;
});

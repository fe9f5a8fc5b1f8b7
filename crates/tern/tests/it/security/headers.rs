//! Security headers on every kind of answer, HSTS only over TLS, and the
//! cookies' flags.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::harness::{Db, PW, TestApp};
use crate::on_both;

const PAGES: [&str; 6] = [
    "/",
    "/login",
    "/api/v1/plans",
    "/api/openapi.json",
    "/no/such/page",
    "/static/app.css",
];

fn check(path: &str, h: &HeaderMap, tls: bool) {
    let get = |k: &str| h.get(k).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let csp = get("content-security-policy");
    for part in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(part), "{path}: CSP lacks {part}: {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{path}: {csp}"
    );
    assert_eq!(get("x-content-type-options"), "nosniff", "{path}");
    assert_eq!(get("x-frame-options"), "DENY", "{path}");
    assert!(!get("referrer-policy").is_empty(), "{path}: a referrer policy");
    let hsts = get("strict-transport-security");
    if tls {
        let age: u64 = hsts
            .split(';')
            .find_map(|p| p.trim().strip_prefix("max-age="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(
            age >= 15_552_000,
            "{path}: HSTS of at least 180 days over TLS: {hsts:?}"
        );
    } else {
        assert!(hsts.is_empty(), "{path}: no HSTS over plain HTTP: {hsts}");
    }
}

fn cookie<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
}

on_both!(security_headers_and_cookie_flags, |db: Db| async move {
    for tls in [false, true] {
        let app = TestApp::start_with(db, |s| {
            if tls {
                s.public_url = Some("https://esim.example.com".into());
            }
        })
        .await;
        for path in PAGES {
            let res = app.client.get(format!("{}{path}", app.url)).send().await.unwrap();
            check(path, res.headers(), tls);
        }
        // Cookies: the CSRF cookie is HttpOnly and SameSite=Strict, the
        // session cookie HttpOnly and SameSite=Lax; both Secure over TLS.
        let res = app.client.get(format!("{}/login", app.url)).send().await.unwrap();
        let csrf = cookie(res.headers(), "tern_csrf").unwrap().to_owned();
        assert!(csrf.contains("HttpOnly") && csrf.contains("SameSite=Strict"), "{csrf}");
        assert_eq!(csrf.contains("Secure"), tls, "{csrf}");
        let email = "hedda.headers@example.com";
        app.user(email, PW).await;
        // The browser's cookie by hand: a Secure cookie is not sent over
        // the test's plain connection.
        let csrf_value = csrf
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("tern_csrf=")
            .to_owned();
        let res = app
            .client
            .post(format!("{}/login", app.url))
            .header("cookie", format!("tern_csrf={csrf_value}"))
            .form(&[("csrf", csrf_value.as_str()), ("email", email), ("password", PW)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        check("POST /login", res.headers(), tls);
        let session = cookie(res.headers(), "tern_session").unwrap();
        assert!(
            session.contains("HttpOnly") && session.contains("SameSite=Lax"),
            "{session}"
        );
        assert_eq!(session.contains("Secure"), tls, "{session}");
        println!(
            "security: headers: CSP (frame-ancestors 'none'), nosniff, X-Frame-Options, Referrer-Policy on {} answers; HSTS {}; cookie flags checked",
            PAGES.len() + 1,
            if tls { "present over https" } else { "absent over http" }
        );
        app.stop().await;
    }
});

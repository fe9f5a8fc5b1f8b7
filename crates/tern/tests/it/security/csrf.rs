//! Every portal form refuses a post without the CSRF token, or with a
//! wrong one (403), and nothing changes. The list of forms is checked
//! against the portal's routes (read from its source) and against every
//! `<form method="post">` in the templates, so a new form without a row
//! here fails.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::json;

use super::{browser, portal_login};
use crate::harness::{Db, PW, TestApp};
use crate::on_both;

const USER: &str = "csrf.victim@example.com";
const ADMIN: &str = "csrf.admin@example.com";
const SUPPORT: &str = "csrf.support@example.com";

/// (route as in `portal/`, fields a real form would send). Path parameters
/// are filled from the fixture.
#[rustfmt::skip]
const FORMS: &[(&str, &[(&str, &str)])] = &[
    ("/signup", &[("email", "forged.signup@example.com"), ("password", PW)]),
    ("/login", &[("email", USER), ("password", PW)]),
    ("/logout", &[]),
    ("/forgot-password", &[("email", USER)]),
    ("/reset-password", &[("token", "x"), ("new_password", "forged new password 123")]),
    ("/account/profile", &[("name", "Forged Name"), ("phone", ""), ("locale", "zh-CN")]),
    ("/account/password", &[("current_password", PW), ("new_password", "forged new password 123")]),
    ("/account/phone/send", &[]),
    ("/account/phone/confirm", &[("code", "000000")]),
    ("/account/sessions/{id}/end", &[]),
    ("/account/export", &[]),
    ("/account/close", &[("password", PW), ("confirmation", "CLOSE MY ACCOUNT")]),
    ("/account/closure/cancel", &[]),
    ("/plans/{code}/buy", &[("key", "forged-key")]),
    ("/wallet/redeem", &[("code", "VOUCHER")]),
    ("/wallet/top-up", &[("amount", "25.00")]),
    ("/sandbox/checkout/{id}", &[("card_number", "4242 4242 4242 4242")]),
    ("/esims/{iccid}/simulate-install", &[]),
    ("/orders/{id}/cancel", &[]),
    ("/admin/closures/{id}/{action}", &[("reason", "forged hold")]),
    ("/login/totp", &[("challenge", "x"), ("code", "000000")]),
    ("/account/totp/start", &[("password", PW)]),
    ("/account/totp/confirm", &[("code", "000000")]),
    ("/account/totp/disable", &[("password", PW), ("code", "000000")]),
    // support tickets: the traveller's own, and the queue's
    ("/support", &[("category", "other"), ("subject", "Forged"), ("body", "Forged ticket")]),
    ("/support/{id}/{action}", &[("body", "")]),
    ("/admin/tickets/{id}/{action}", &[("body", ""), ("staff_id", ""), ("state", "closed")]),
    // announcements and terms
    ("/announcements/{id}/read", &[("next", "/")]),
    ("/announcements/preferences", &[("promotions", "on")]),
    ("/terms/accept", &[("version", "1"), ("next", "/")]),
    ("/admin/announcements", &[("action", "publish"), ("kind", "policy"), ("title_en", "Forged"), ("title_zh", "伪造"),
        ("body_en", "Forged"), ("body_zh", "伪造"), ("audience", "everyone")]),
    ("/admin/announcements/{id}/publish", &[]),
    ("/admin/terms", &[("action", "publish"), ("text_en", "Forged"), ("text_zh", "伪造"), ("requires_acceptance", "on")]),
    // the operator console
    ("/admin/accounts/{id}/wallet-adjustments", &[("amount", "100.00"), ("bucket", "cash"), ("reason", "forged"), ("key", "forged")]),
    ("/admin/refunds/{id}/approve", &[("reference", "forged")]),
    ("/admin/plans/import", &[("format", "json"), ("body", "[]")]),
    ("/admin/plans/{code}/{action}", &[]),
    ("/admin/staff", &[("email", "forged.staff@example.com"), ("role", "admin")]),
    ("/admin/staff/{id}/{action}", &[("role", "admin")]),
];

/// `/a/{x}/b` and `/a/{{ y.z }}/b` both become `/a/{}/b`.
fn shape(path: &str) -> String {
    let path = path.split('#').next().unwrap_or(path);
    let mut out = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '{' => {
                if depth == 0 {
                    out.push_str("{}");
                }
                depth += 1;
            }
            '}' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Whether a route shape (`/admin/closures/{}/{}`) serves a form's action
/// (`/admin/closures/{}/hold`).
fn route_matches(route: &str, action: &str) -> bool {
    let (r, a): (Vec<&str>, Vec<&str>) = (route.split('/').collect(), action.split('/').collect());
    r.len() == a.len() && r.iter().zip(&a).all(|(r, a)| r == a || *r == "{}")
}

/// Every POST route of the portal, read from the sources under `portal/`.
fn portal_post_routes() -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tern-http/src/portal");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let src = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for chunk in src.split(".route(").skip(1) {
            let Some(path) = chunk.split('"').nth(1) else { continue };
            let handlers = chunk.split(".route(").next().unwrap_or("");
            if handlers.contains("post(") {
                out.insert(shape(path));
            }
        }
    }
    out
}

/// Every `action` of a `<form method="post">` in the templates.
fn template_post_actions() -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tern-http/templates");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let html = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for form in html.split("<form").skip(1) {
            let tag = &form[..form.find('>').unwrap_or(form.len())];
            if !tag.contains("method=\"post\"") {
                continue;
            }
            let action = tag.split("action=\"").nth(1).and_then(|a| a.split('"').next()).unwrap();
            out.insert(shape(action));
        }
    }
    out
}

/// A fingerprint of everything stored: each table's row count and its text
/// values, so any insert, delete or text change shows.
async fn fingerprint(app: &TestApp) -> Vec<(String, u64, u64)> {
    use std::hash::{Hash, Hasher};
    let backend = app.app().db.backend();
    let mut conn = app.app().db.conn().await.unwrap();
    let cols = tern_store::erasure::text_columns(&mut conn, backend).await.unwrap();
    let mut tables: Vec<String> = cols.iter().map(|(t, _)| t.clone()).collect();
    tables.dedup();
    let mut out = Vec::new();
    for t in tables {
        // Rate-limit counters and the job queue move by themselves.
        if t == "_sqlx_migrations" || t == "jobs" {
            continue;
        }
        let names: Vec<&str> = cols.iter().filter(|(x, _)| *x == t).map(|(_, c)| c.as_str()).collect();
        // A sum of value hashes: the same whatever order rows come in.
        let mut sum = 0u64;
        let rows = tern_store::erasure::scan_text(&mut conn, &t, &names, |v| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            v.hash(&mut h);
            sum = sum.wrapping_add(h.finish());
        })
        .await
        .unwrap();
        out.push((t, rows, sum));
    }
    out
}

on_both!(
    every_portal_form_refuses_a_missing_or_wrong_csrf_token,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let listed: BTreeSet<String> = FORMS.iter().map(|(p, _)| shape(p)).collect();
        let routes = portal_post_routes();
        let missing: Vec<_> = routes.difference(&listed).collect();
        assert!(
            missing.is_empty(),
            "portal POST routes without a row in security/csrf.rs: {missing:?}"
        );
        let actions = template_post_actions();
        let unknown: Vec<_> = actions
            .iter()
            .filter(|a| !listed.iter().any(|route| route_matches(route, a)))
            .collect();
        assert!(
            unknown.is_empty(),
            "template forms without a row in security/csrf.rs: {unknown:?}"
        );
        let stale: Vec<_> = listed.difference(&routes).collect();
        assert!(stale.is_empty(), "rows for forms the portal no longer has: {stale:?}");

        // A signed-in traveller with an eSIM, a pending top-up and a second
        // device; operators; someone else's closure request; the traveller's
        // ticket and a draft announcement.
        let token = crate::given::funded_traveller(&app, USER, 3000).await;
        let iccid = crate::given::bought_esim(&app, &token, "JP-5GB-15D").await;
        let (_, orders) = app.get("/api/v1/orders", Some(&token)).await;
        let order = orders[0]["id"].as_str().unwrap().to_owned();
        let (_, top_up) = app
            .post("/api/v1/wallet/top-ups", Some(&token), json!({ "amount_minor": 2500 }))
            .await;
        let top_up = top_up["id"].as_str().unwrap().to_owned();
        let (_, sessions) = app.get("/api/v1/me/sessions", Some(&token)).await;
        let session = sessions[0]["id"].as_str().unwrap().to_owned();
        let closer = app.user("csrf.closer@example.com", PW).await;
        let (_, c) = crate::closure::request_closure(
            &app,
            &closer,
            None,
            json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT" }),
        )
        .await;
        let closure = c["id"].as_str().unwrap().to_owned();
        tern_app::accounts::create_staff(app.app(), ADMIN, tern_domain::Role::Admin, PW)
            .await
            .unwrap();
        tern_app::accounts::create_staff(app.app(), SUPPORT, tern_domain::Role::Support, PW)
            .await
            .unwrap();
        let admin_api = app.login(ADMIN, PW).await;
        let support_api = app.login(SUPPORT, PW).await;
        let (_, me) = app.get("/api/v1/me", Some(&token)).await;
        let account = me["id"].as_str().unwrap().to_owned();
        let (_, me) = app.get("/api/v1/me", Some(&support_api)).await;
        let support = me["id"].as_str().unwrap().to_owned();
        // The traveller's ticket; a draft announcement; no terms yet.
        let (s, t) = app
            .post(
                "/api/v1/tickets",
                Some(&token),
                json!({ "category": "other", "subject": "Help", "body": "A question." }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let ticket = t["id"].as_str().unwrap().to_owned();
        let (s, a) = app
            .post(
                "/api/v1/admin/announcements",
                Some(&admin_api),
                crate::announcements::announcement("policy", true, json!({})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        let draft = a["id"].as_str().unwrap().to_owned();
        let user = browser();
        portal_login(&app, &user, USER).await;
        let admin = browser();
        portal_login(&app, &admin, ADMIN).await;
        app.drain_jobs().await;

        let before = fingerprint(&app).await;
        let mut refused = 0;
        for (route, fields) in FORMS {
            let path = route
                .replace("/support/{id}/{action}", &format!("/support/{ticket}/close"))
                .replace(
                    "/admin/tickets/{id}/{action}",
                    &format!("/admin/tickets/{ticket}/state"),
                )
                .replace("/announcements/{id}", &format!("/announcements/{draft}"))
                .replace("/admin/accounts/{id}", &format!("/admin/accounts/{account}"))
                .replace("/admin/refunds/{id}", "/admin/refunds/no-such-refund")
                .replace("/admin/plans/{code}/{action}", "/admin/plans/JP-5GB-15D/deactivate")
                .replace("/admin/staff/{id}/{action}", &format!("/admin/staff/{support}/disable"))
                .replace("/account/sessions/{id}", &format!("/account/sessions/{session}"))
                .replace("{code}", "JP-5GB-15D")
                .replace("/sandbox/checkout/{id}", &format!("/sandbox/checkout/{top_up}"))
                .replace("{iccid}", &iccid)
                .replace("/orders/{id}", &format!("/orders/{order}"))
                .replace(
                    "/admin/closures/{id}/{action}",
                    &format!("/admin/closures/{closure}/hold"),
                );
            let b = if route.starts_with("/admin/") { &admin } else { &user };
            for token in [None, Some("forged-forged-forged-forged-forged-forged-00")] {
                let mut form: Vec<(&str, &str)> = fields.to_vec();
                if let Some(t) = token {
                    form.push(("csrf", t));
                }
                let res = b.post(format!("{}{path}", app.url)).form(&form).send().await.unwrap();
                let status = res.status();
                let body = res.text().await.unwrap();
                assert_eq!(status, StatusCode::FORBIDDEN, "POST {path} with csrf {token:?}: {body}");
                assert!(body.contains("nothing was changed"), "POST {path}: the refusal says so");
                refused += 1;
            }
        }
        app.drain_jobs().await;
        let after = fingerprint(&app).await;
        let changed: Vec<_> = before
            .iter()
            .zip(&after)
            .filter(|(a, b)| a != b)
            .map(|(a, _)| a.0.clone())
            .collect();
        assert!(changed.is_empty(), "forged forms changed tables: {changed:?}");
        // Still signed in: the forged sign-out did nothing.
        let res = user.get(format!("{}/account", app.url)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        println!(
            "security: CSRF: {} portal forms ({} routes, {} template forms) × 2 forgeries = {refused} posts refused with 403, database unchanged",
            FORMS.len(),
            routes.len(),
            actions.len()
        );
        app.stop().await;
    }
);

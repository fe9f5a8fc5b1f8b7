//! Terms versions: publishing, the hold on API calls and portal pages until
//! a required version is accepted, and the record of acceptances.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tern_domain::Role;

use crate::exports::{export_links, fetch, unzip};
use crate::given::error_code;
use crate::given::{bought_esim, funded_traveller};
use crate::harness::{Db, PW, TestApp};
use crate::on_both;

fn terms(requires: bool) -> Value {
    json!({ "text": { "en": "# Terms\n\nBe **kind**.", "zh-CN": "# 条款\n\n请**友善**。" }, "requires_acceptance": requires })
}

async fn consents(app: &TestApp, token: &str, email: &str) -> Value {
    let (s, e) = app.post("/api/v1/me/exports", Some(token), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{e}");
    app.drain_jobs().await;
    let (link, _) = export_links(app, email).pop().unwrap();
    let (s, _, zip) = fetch(app, &format!("/exports/{link}")).await;
    assert_eq!(s, StatusCode::OK);
    serde_json::from_str(&unzip(&zip)["consents.json"]).unwrap()
}

on_both!(
    a_required_version_holds_back_existing_users_until_accepted,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let admin = crate::given::staff(&app, "admin@example.com", Role::Admin).await.token;
        let ann = funded_traveller(&app, "ann@example.com", 3000).await;
        let iccid = bought_esim(&app, &ann, "JP-5GB-15D").await;
        let (s, b) = app.get("/api/v1/terms/current", None).await;
        assert_eq!((s, error_code(&b)), (StatusCode::NOT_FOUND, "terms_not_published"));

        let (s, v) = app.post("/api/v1/admin/terms", Some(&admin), terms(true)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!((v["version"].as_i64(), v["current"].as_bool()), (Some(1), Some(true)));

        // The very next call is held back, with a stable code; so is the hot
        // eSIM read, which authenticates in its own query.
        let esim_path = format!("/api/v1/esims/{iccid}");
        for path in [
            "/api/v1/wallet",
            "/api/v1/orders",
            esim_path.as_str(),
            "/api/v1/announcements",
        ] {
            let (s, b) = app.get(path, Some(&ann)).await;
            assert_eq!(
                (s, error_code(&b)),
                (StatusCode::FORBIDDEN, "terms_acceptance_required"),
                "{path}"
            );
        }
        let (s, b) = app
            .post("/api/v1/orders", Some(&ann), json!({ "plan_code": "JP-1GB-7D" }))
            .await;
        assert_eq!(
            (s, error_code(&b)),
            (StatusCode::FORBIDDEN, "terms_acceptance_required")
        );
        // What a user must always be able to do still works.
        assert_eq!(app.get("/api/v1/me", Some(&ann)).await.0, StatusCode::OK);
        assert_eq!(
            app.get("/api/v1/me/closure/preview", Some(&ann)).await.0,
            StatusCode::OK
        );
        assert_ne!(app.get("/api/v1/me/closure", Some(&ann)).await.0, StatusCode::FORBIDDEN);
        assert_eq!(app.get("/api/v1/me/preferences", Some(&ann)).await.0, StatusCode::OK);
        let (s, current) = app.get("/api/v1/terms/current", Some(&ann)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(current["version"], 1);
        assert_eq!(current["requires_acceptance"], true);
        assert_eq!(
            current["text_html"],
            "<h1>Terms</h1>\n<p>Be <strong>kind</strong>.</p>\n"
        );
        // Staff are not held back.
        assert_eq!(app.get("/api/v1/admin/terms", Some(&admin)).await.0, StatusCode::OK);

        // The portal sends signed-in pages to the terms page, but not the ways out.
        let portal = |path: String| {
            let req = app.client.get(format!("{}{path}", app.url)).bearer_auth(&ann);
            async move { req.send().await.unwrap() }
        };
        let res = portal("/wallet".into()).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()["location"], "/terms?next=%2Fwallet");
        assert_eq!(portal("/account/close".into()).await.status(), StatusCode::OK);
        let page = portal("/terms?next=%2Fwallet".into()).await.text().await.unwrap();
        assert!(
            page.contains("Be <strong>kind</strong>.") && page.contains("action=\"/terms/accept\""),
            "{page}"
        );
        // A tampered version on the portal's form is answered on the page,
        // in the traveller's words, and accepts nothing.
        let browser = crate::security::browser();
        crate::security::portal_login(&app, &browser, "ann@example.com").await;
        let html = browser
            .get(format!("{}/terms", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = crate::security::csrf_of(&html);
        for version in ["one", "", "99999999999999999999"] {
            let res = browser
                .post(format!("{}/terms/accept", app.url))
                .form(&[("csrf", csrf.as_str()), ("version", version), ("next", "/wallet")])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{version:?}");
            let html = res.text().await.unwrap();
            assert!(html.contains("There is no such terms version."), "{html}");
        }
        assert_eq!(portal("/wallet".into()).await.status(), StatusCode::SEE_OTHER);

        // Accepting lets everything through again; accepting twice is the same.
        let (s, a) = app.post("/api/v1/terms/1/accept", Some(&ann), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{a}");
        assert_eq!(a["version"], 1);
        let (_, again) = app.post("/api/v1/terms/1/accept", Some(&ann), json!({})).await;
        assert_eq!(again, a);
        assert_eq!(app.get("/api/v1/wallet", Some(&ann)).await.0, StatusCode::OK);
        assert_eq!(
            app.get(&format!("/api/v1/esims/{iccid}"), Some(&ann)).await.0,
            StatusCode::OK
        );
        assert_eq!(portal("/wallet".into()).await.status(), StatusCode::OK);
        let (s, b) = app.post("/api/v1/terms/9/accept", Some(&ann), json!({})).await;
        assert_eq!((s, error_code(&b)), (StatusCode::NOT_FOUND, "terms_version_not_found"));

        // The acceptance is in the export, and in the audit log without personal data.
        let list = consents(&app, &ann, "ann@example.com").await;
        assert_eq!(list[0]["kind"], "terms");
        assert_eq!(list[0]["version"], 1);
        assert_eq!(list[0]["accepted_at"], a["accepted_at"]);
        assert_eq!(list[1], json!({ "kind": "promotional_email", "granted": true }));
        let mut conn = app.app().db.conn().await.unwrap();
        let accepted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'terms.accepted'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(accepted, 1);
        drop(conn);

        // A later version that does not require acceptance holds nobody back.
        let (s, v) = app.post("/api/v1/admin/terms", Some(&admin), terms(false)).await;
        assert_eq!((s, v["version"].as_i64()), (StatusCode::CREATED, Some(2)));
        assert_eq!(app.get("/api/v1/wallet", Some(&ann)).await.0, StatusCode::OK);
        app.stop().await;
    }
);

on_both!(
    closing_and_exporting_are_never_blocked_by_new_terms,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let admin = crate::given::staff(&app, "admin@example.com", Role::Admin).await.token;
        let ann = app.user("ann@example.com", PW).await;
        app.post("/api/v1/admin/terms", Some(&admin), terms(true)).await;
        assert_eq!(app.get("/api/v1/wallet", Some(&ann)).await.0, StatusCode::FORBIDDEN);
        // Export without accepting: the consents list has no terms in it.
        let list = consents(&app, &ann, "ann@example.com").await;
        assert_eq!(list, json!([{ "kind": "promotional_email", "granted": true }]));
        let (s, c) = crate::closure::request_closure(
            &app,
            &ann,
            Some("bye"),
            json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT", "reason_code": "privacy" }),
        )
        .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{c}");
        let (s, _) = app
            .call(reqwest::Method::DELETE, "/api/v1/me/closure", Some(&ann), None)
            .await;
        assert!(s.is_success(), "{s}");
        let (s, _) = app
            .call(reqwest::Method::DELETE, "/api/v1/sessions/current", Some(&ann), None)
            .await;
        assert!(s.is_success(), "signing out: {s}");
        app.stop().await;
    }
);

on_both!(sign_up_accepts_the_version_in_effect, |db: Db| async move {
    let app = TestApp::start(db).await;
    let admin = crate::given::staff(&app, "admin@example.com", Role::Admin).await.token;
    app.post("/api/v1/admin/terms", Some(&admin), terms(true)).await;
    // Signing up after the version was published is accepting it.
    let bea = app.user("bea@example.com", PW).await;
    assert_eq!(app.get("/api/v1/wallet", Some(&bea)).await.0, StatusCode::OK);
    let list = consents(&app, &bea, "bea@example.com").await;
    assert_eq!(list[0]["kind"], "terms");
    assert_eq!(list[0]["version"], 1);

    // A version that takes effect tomorrow holds nobody back today.
    let tomorrow = (app.app().clock.now() + chrono::Duration::days(1)).to_rfc3339();
    let mut next = terms(true);
    next["effective_at"] = json!(tomorrow);
    let (s, v) = app.post("/api/v1/admin/terms", Some(&admin), next).await;
    assert_eq!((s, v["current"].as_bool()), (StatusCode::CREATED, Some(false)));
    assert_eq!(app.get("/api/v1/wallet", Some(&bea)).await.0, StatusCode::OK);
    assert_eq!(app.get("/api/v1/terms/current", None).await.1["version"], 1);
    app.clock.advance(Duration::from_secs(86_400 + 60));
    let (s, b) = app.get("/api/v1/wallet", Some(&bea)).await;
    assert_eq!(
        (s, error_code(&b)),
        (StatusCode::FORBIDDEN, "terms_acceptance_required")
    );
    assert_eq!(app.get("/api/v1/terms/current", None).await.1["version"], 2);
    app.post("/api/v1/terms/2/accept", Some(&bea), json!({})).await;
    assert_eq!(app.get("/api/v1/wallet", Some(&bea)).await.0, StatusCode::OK);

    // Publishing checks its input, and only admins may.
    let (s, b) = app
        .post(
            "/api/v1/admin/terms",
            Some(&admin),
            json!({ "text": { "en": "x" }, "effective_at": "soon" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = b["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["text.zh-CN", "effective_at"]);
    let (s, _) = app.post("/api/v1/admin/terms", Some(&bea), terms(false)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.stop().await;
});

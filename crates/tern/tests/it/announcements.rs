//! Announcements, as operators publish them and travellers receive them.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tern_domain::Role;

use crate::given::{bought_esim, funded_traveller};
use crate::harness::{Db, PW, TestApp};
use crate::on_both;

pub fn announcement(kind: &str, important: bool, audience: Value) -> Value {
    let mut body = json!({
        "kind": kind, "important": important,
        "title": { "en": format!("{kind} notice"), "zh-CN": format!("{kind} 通知") },
        "body": { "en": "Read **this**.", "zh-CN": "请**阅读**。" },
    });
    if let (Some(b), Some(a)) = (body.as_object_mut(), audience.as_object()) {
        b.extend(a.clone());
    }
    body
}

/// Creates and publishes an announcement now; its id.
pub async fn publish(app: &TestApp, admin: &str, body: Value) -> String {
    let (s, a) = app.post("/api/v1/admin/announcements", Some(admin), body).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["state"], "draft");
    let id = a["id"].as_str().unwrap().to_owned();
    let (s, a) = app
        .post(
            &format!("/api/v1/admin/announcements/{id}/publish"),
            Some(admin),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["state"], "published");
    id
}

fn titles(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_owned())
        .collect()
}

fn announcement_mails(app: &TestApp, to: &str) -> usize {
    app.mail_to(to)
        .iter()
        .filter(|m| m.body.contains("http://tern.test/announcements"))
        .count()
}

async fn mails_per_account(app: &TestApp, id: &str) -> (i64, i64) {
    let mut conn = app.app().db.conn().await.unwrap();
    // Every mail this announcement queued is in the outbox with its account;
    // deliveries are one per account by key.
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE template = 'announcement'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let distinct: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT d.account_id) FROM announcement_deliveries d WHERE d.announcement_id = $1 AND d.state = 'queued'",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    (total, distinct)
}

on_both!(
    an_important_notice_reaches_its_audience_once_and_is_a_banner_until_read,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let admin = crate::given::staff(&app, "admin@example.com", Role::Admin).await.token;
        let japan = funded_traveller(&app, "japan@example.com", 3000).await;
        bought_esim(&app, &japan, "JP-5GB-15D").await;
        let home = app.user("home@example.com", PW).await;
        let shy = app.user("shy@example.com", PW).await;
        let (s, p) = app
            .call(
                reqwest::Method::PUT,
                "/api/v1/me/preferences",
                Some(&shy),
                Some(json!({ "promotions_opt_out": true })),
            )
            .await;
        assert_eq!((s, p["promotions_opt_out"].as_bool()), (StatusCode::OK, Some(true)));

        // Maintenance in Japan: only the traveller with a Japanese eSIM.
        let jp = publish(
            &app,
            &admin,
            announcement(
                "maintenance",
                true,
                json!({ "audience": "countries", "countries": ["jp"] }),
            ),
        )
        .await;
        // A promotion for everyone: the one who opted out sees it but gets no mail.
        let promo = publish(&app, &admin, announcement("promotion", true, json!({}))).await;
        // A policy note that is not important: listed, no banner, no mail.
        publish(&app, &admin, announcement("policy", false, json!({}))).await;
        app.drain_jobs().await;

        let (s, list) = app.get("/api/v1/announcements", Some(&japan)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            titles(&list),
            ["policy notice", "promotion notice", "maintenance notice"]
        );
        let maintenance = &list[2];
        assert_eq!(maintenance["read"], false);
        assert_eq!(maintenance["important"], true);
        assert_eq!(maintenance["body_html"], "<p>Read <strong>this</strong>.</p>\n");
        assert_eq!(maintenance["body_markdown"], "Read **this**.");
        assert_eq!(
            titles(&app.get("/api/v1/announcements", Some(&home)).await.1),
            ["policy notice", "promotion notice"]
        );
        // In the caller's language.
        let req = app
            .client
            .get(format!("{}/api/v1/announcements", app.url))
            .bearer_auth(&home)
            .header("accept-language", "zh-CN");
        let zh: Value = req.send().await.unwrap().json().await.unwrap();
        assert_eq!(zh[1]["title"], "promotion 通知");
        assert_eq!(zh[1]["body_html"], "<p>请<strong>阅读</strong>。</p>\n");

        // Mail: once to each account in each audience; none for the opted-out promotion.
        assert_eq!(announcement_mails(&app, "japan@example.com"), 2);
        assert_eq!(announcement_mails(&app, "home@example.com"), 1);
        assert_eq!(announcement_mails(&app, "shy@example.com"), 0);
        assert_eq!(announcement_mails(&app, "admin@example.com"), 0);
        let mail = app.mail_to("japan@example.com");
        let promo_mail = mail.iter().find(|m| m.subject == "Tern: promotion notice").unwrap();
        assert!(promo_mail.body.contains("Read **this**."), "{}", promo_mail.body);
        assert!(promo_mail.body.contains("http://tern.test/announcements#preferences"));
        let jp_mail = mail.iter().find(|m| m.subject == "Tern: maintenance notice").unwrap();
        assert!(!jp_mail.body.contains("#preferences"), "not optional: {}", jp_mail.body);

        // The operator sees how far the mail got.
        let (_, a) = app
            .get(&format!("/api/v1/admin/announcements/{promo}"), Some(&admin))
            .await;
        assert_eq!(a["mail"], json!({ "sent": 2, "skipped": 1, "total": 3, "done": true }));
        let (_, a) = app
            .get(&format!("/api/v1/admin/announcements/{jp}"), Some(&admin))
            .await;
        assert_eq!(a["mail"], json!({ "sent": 1, "skipped": 0, "total": 1, "done": true }));

        // Running the job again (a retry, a second worker, the CLI) sends nothing more.
        for id in [&jp, &promo] {
            let tern = app.app();
            let mut tx = tern.db.begin().await.unwrap();
            tern_app::jobs::enqueue(
                tern,
                &mut tx,
                &tern_app::announcements::MailAnnouncement {
                    announcement_id: id.as_str().into(),
                    handled: None,
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            tern_app::announcements::mail_batch(tern, &tern_domain::AnnouncementId::from(id.as_str()))
                .await
                .unwrap();
        }
        app.drain_jobs().await;
        assert_eq!(announcement_mails(&app, "japan@example.com"), 2);
        assert_eq!(announcement_mails(&app, "home@example.com"), 1);

        // The banner shows on signed-in pages until read, for the audience only.
        let page = |token: String, path: &'static str| {
            let req = app.client.get(format!("{}{path}", app.url)).bearer_auth(token);
            async move { req.send().await.unwrap().text().await.unwrap() }
        };
        let html = page(japan.clone(), "/account").await;
        assert!(html.contains("announce-banner"), "{html}");
        assert!(
            html.contains("promotion notice") && html.contains("(and 1 more)"),
            "{html}"
        );
        let (s, _) = app
            .post(&format!("/api/v1/announcements/{promo}/read"), Some(&japan), json!({}))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = app
            .post(&format!("/api/v1/announcements/{promo}/read"), Some(&japan), json!({}))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "reading twice is harmless");
        let html = page(japan.clone(), "/wallet").await;
        assert!(
            html.contains("maintenance notice") && !html.contains("(and 1 more)"),
            "{html}"
        );
        app.post(&format!("/api/v1/announcements/{jp}/read"), Some(&japan), json!({}))
            .await;
        assert!(!page(japan.clone(), "/wallet").await.contains("announce-banner"));
        let (_, list) = app.get("/api/v1/announcements", Some(&japan)).await;
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .filter(|a| a["important"] == true)
                .all(|a| a["read"] == true)
        );
        // Outside the audience: no banner for it, and it cannot be marked read.
        let html = page(home.clone(), "/account").await;
        assert!(
            html.contains("promotion notice") && !html.contains("maintenance notice"),
            "{html}"
        );
        let (s, b) = app
            .post(&format!("/api/v1/announcements/{jp}/read"), Some(&home), json!({}))
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("announcement_not_found"))
        );
        let (s, _) = app.get("/api/v1/announcements", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
);

on_both!(
    mail_goes_in_batches_and_never_twice_even_when_runs_overlap,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let admin = crate::given::staff(&app, "admin@example.com", Role::Admin).await.token;
        // 450 travellers, inserted directly (signing up each would take minutes).
        {
            let tern = app.app();
            let mut tx = tern.db.begin().await.unwrap();
            for i in 0..450 {
                tern_store::accounts::insert(
                    &mut tx,
                    &tern_store::accounts::NewAccount {
                        id: &format!("acct-{i:04}"),
                        email: &format!("t{i:04}@example.com"),
                        phone: None,
                        name: None,
                        password_hash: "x",
                        locale: if i % 2 == 0 { "en" } else { "zh-CN" },
                        role: tern_domain::Role::User,
                        verified_at: Some(tern.now_ms()),
                        now: tern.now_ms(),
                    },
                )
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
        }
        let id = publish(&app, &admin, announcement("policy", true, json!({}))).await;
        let (_, a) = app
            .get(&format!("/api/v1/admin/announcements/{id}"), Some(&admin))
            .await;
        assert_eq!(
            a["mail"],
            json!({ "sent": 0, "skipped": 0, "total": 450, "done": false })
        );

        // One batch: 200 mails queued, the next batch's job queued with it.
        let tern = app.app();
        let p = tern_app::announcements::mail_batch(tern, &id.as_str().into())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((p.sent, p.total, p.done), (200, 450, false));
        // Two runs at once (the queued job and a retry of this one): each account
        // still gets one delivery.
        let typed = tern_domain::AnnouncementId::from(id.as_str());
        let (a, b) = tokio::join!(
            tern_app::announcements::mail_batch(tern, &typed),
            tern_app::announcements::mail_batch(tern, &typed)
        );
        a.unwrap();
        b.unwrap();
        app.drain_jobs().await;
        let (total, distinct) = mails_per_account(&app, &id).await;
        assert_eq!((total, distinct), (450, 450));
        let (_, a) = app
            .get(&format!("/api/v1/admin/announcements/{id}"), Some(&admin))
            .await;
        assert_eq!(
            a["mail"],
            json!({ "sent": 450, "skipped": 0, "total": 450, "done": true })
        );
        let mut conn = tern.db.conn().await.unwrap();
        let zh: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE template = 'announcement' AND locale = 'zh-CN' AND subject = $1",
        )
        .bind("Tern：policy 通知")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(zh, 225, "each in their language");
        let unsent: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE template = 'announcement' AND sent_at IS NULL")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(unsent, 0, "the worker delivered them all");
        drop(conn);
        app.stop().await;
    }
);

on_both!(
    scheduled_and_expiring_notices_show_only_in_their_window,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let admin = crate::given::staff(&app, "admin@example.com", Role::Admin).await.token;
        let ann = app.user("ann@example.com", PW).await;
        let now = app.app().clock.now();
        let rfc = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339();
        let mut body = announcement("maintenance", true, json!({}));
        body["publish_at"] = json!(rfc(now + chrono::Duration::hours(2)));
        body["expires_at"] = json!(rfc(now + chrono::Duration::hours(5)));
        let (s, a) = app.post("/api/v1/admin/announcements", Some(&admin), body).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        assert_eq!(a["state"], "scheduled");
        let id = a["id"].as_str().unwrap().to_owned();
        app.drain_jobs().await;
        assert_eq!(app.get("/api/v1/announcements", Some(&ann)).await.1, json!([]));
        assert_eq!(
            announcement_mails(&app, "ann@example.com"),
            0,
            "not before it is published"
        );

        app.clock.advance(Duration::from_secs(2 * 3600 + 60));
        app.drain_jobs().await;
        assert_eq!(
            titles(&app.get("/api/v1/announcements", Some(&ann)).await.1),
            ["maintenance notice"]
        );
        assert_eq!(announcement_mails(&app, "ann@example.com"), 1);
        let (s, b) = app
            .post(
                &format!("/api/v1/admin/announcements/{id}/publish"),
                Some(&admin),
                json!({}),
            )
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("announcement_already_published"))
        );

        app.clock.advance(Duration::from_secs(3 * 3600));
        assert_eq!(app.get("/api/v1/announcements", Some(&ann)).await.1, json!([]));
        let (_, a) = app
            .get(&format!("/api/v1/admin/announcements/{id}"), Some(&admin))
            .await;
        assert_eq!(a["state"], "expired");
        app.stop().await;
    }
);

/// The markup of `html` (what is between `<` and `>`): escaped text has
/// no `<`, so this is exactly what a browser would treat as tags.
fn live_tags(html: &str) -> Vec<String> {
    html.split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or_default().to_lowercase())
        .collect()
}

/// No script, frame or image, no event handler and no `javascript:` URL
/// in any live tag.
fn assert_inert(html: &str) {
    for tag in live_tags(html) {
        let name = tag.split([' ', '/']).find(|w| !w.is_empty()).unwrap_or_default();
        assert!(
            !["script", "iframe", "object", "embed"].contains(&name),
            "<{tag}> in {html}"
        );
        // The portal's own logo is the one image.
        assert!(name != "img" || tag.contains("src=\"/static/"), "<{tag}> in {html}");
        assert!(
            !tag.contains("javascript:") && !tag.contains("data:"),
            "<{tag}> in {html}"
        );
        assert!(
            !tag.split_whitespace().any(|a| a.starts_with("on") && a.contains('=')),
            "<{tag}> has an event handler"
        );
    }
}

on_both!(
    malicious_markdown_is_inert_in_the_api_and_the_portal,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let admin = crate::given::staff(&app, "admin@example.com", Role::Admin).await.token;
        let ann = app.user("ann@example.com", PW).await;
        let evil = "<script>alert('x')</script>\n\n[win](javascript:alert(1)) <img src=x onerror=alert(2)>\n\n\
        <a href=\"javascript:alert(3)\" onclick=\"alert(4)\">raw</a> <iframe src=\"https://evil.example\"></iframe>\n\n\
        [ok](https://example.com/fine)";
        let mut body = announcement("policy", true, json!({}));
        body["body"]["en"] = json!(evil);
        body["title"]["en"] = json!("<b onmouseover=alert(5)>Title</b>");
        publish(&app, &admin, body).await;

        let (_, list) = app.get("/api/v1/announcements", Some(&ann)).await;
        let html = list[0]["body_html"].as_str().unwrap();
        assert_inert(html);
        let tags = live_tags(html);
        let names: Vec<&str> = tags
            .iter()
            .map(|t| t.split([' ', '/']).find(|w| !w.is_empty()).unwrap())
            .collect();
        assert!(
            names.iter().all(|n| ["p", "a", "strong"].contains(n)),
            "{names:?} in {html}"
        );
        assert!(html.contains("&lt;script&gt;"), "shown as text: {html}");
        assert!(
            html.contains(r#"<a href="https://example.com/fine" rel="noopener noreferrer nofollow">ok</a>"#),
            "{html}"
        );
        assert_eq!(list[0]["body_markdown"], evil, "the source is returned as written");

        for path in ["/announcements", "/account"] {
            let page = app
                .client
                .get(format!("{}{path}", app.url))
                .bearer_auth(&ann)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_inert(&page);
            assert!(
                page.contains("&lt;b onmouseover=alert(5)&gt;Title"),
                "{path}: title escaped"
            );
        }
        app.stop().await;
    }
);

on_both!(only_admins_manage_announcements, |db: Db| async move {
    let app = TestApp::start(db).await;
    let support = crate::given::staff(&app, "support@example.com", Role::Support)
        .await
        .token;
    let ann = app.user("ann@example.com", PW).await;
    for token in [&support, &ann] {
        let (s, b) = app
            .post(
                "/api/v1/admin/announcements",
                Some(token),
                announcement("policy", true, json!({})),
            )
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden"))
        );
        let (s, _) = app.get("/api/v1/admin/announcements", Some(token)).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app.get("/api/v1/admin/terms", Some(token)).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let res = app
            .client
            .get(format!("{}/admin/announcements", app.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    let refused: Vec<String> = crate::given::audited(&app, "access.forbidden")
        .await
        .into_iter()
        .map(|(e, _)| e.subject)
        .collect();
    assert_eq!(
        refused,
        [
            "admin.announcements.create",
            "admin.announcements.list",
            "admin.terms.list",
            "portal.admin.announcements",
        ]
        .repeat(2)
    );
    assert_eq!(app.get("/api/v1/announcements", Some(&ann)).await.1, json!([]));
    app.stop().await;
});

on_both!(bad_announcements_get_every_problem_at_once, |db: Db| async move {
    let app = TestApp::start(db).await;
    let admin = crate::given::staff(&app, "admin@example.com", Role::Admin).await.token;
    let (s, b) = app
        .post(
            "/api/v1/admin/announcements",
            Some(&admin),
            json!({ "kind": "spam", "title": { "en": "Hi\nthere" }, "body": { "en": "x" },
                    "audience": "countries", "countries": ["UK"], "publish_at": "tomorrow" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let fields: Vec<(String, String)> = b["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["field"].as_str().unwrap().to_owned(),
                d["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expect = [
        ("kind", "announcement_kind_unknown"),
        ("title.en", "title_invalid"),
        ("title.zh-CN", "text_missing"),
        ("body.zh-CN", "text_missing"),
        ("countries", "country_unknown"),
        ("publish_at", "time_invalid"),
    ];
    assert_eq!(
        fields,
        expect
            .iter()
            .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
            .collect::<Vec<_>>()
    );
    let (s, b) = app
        .post(
            "/api/v1/admin/announcements",
            Some(&admin),
            announcement("policy", false, json!({ "audience": "countries" })),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["details"][0]["code"], "audience_countries_missing");
    let (s, b) = app
        .post("/api/v1/admin/announcements/nope/publish", Some(&admin), json!({}))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("announcement_not_found"))
    );
    app.stop().await;
});

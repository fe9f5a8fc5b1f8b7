//! Support tickets, as a traveller and a support agent would see them.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tern_domain::Role;

use crate::closure::{db_columns_containing, files_containing, request_closure};
use crate::given::error_code;
use crate::given::{bought_esim, funded_traveller};
use crate::harness::{Db, PW, TestApp};
use crate::on_both;

async fn open_ticket(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.post("/api/v1/tickets", Some(token), body).await
}

fn codes(body: &Value) -> Vec<(String, String)> {
    body["error"]["details"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|d| {
            (
                d["field"].as_str().unwrap_or_default().to_owned(),
                d["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// A portal page fetched with a bearer token (the portal reads the same
/// sessions): status and HTML.
async fn page(app: &TestApp, path: &str, token: &str) -> (StatusCode, String) {
    let res = app
        .client
        .get(format!("{}{path}", app.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn audit_count(app: &TestApp, actor: &str, action: &str) -> i64 {
    let mut conn = app.app().db.conn().await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE actor = $1 AND action = $2")
        .bind(actor)
        .bind(action)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

on_both!(a_traveller_asks_and_support_answers, |db: Db| async move {
    let app = TestApp::start(db).await;
    let ann = funded_traveller(&app, "ann.asks@example.com", 2000).await;
    let iccid = bought_esim(&app, &ann, "JP-1GB-7D").await;
    let (_, orders) = app.get("/api/v1/orders", Some(&ann)).await;
    let order_id = orders[0]["id"].as_str().unwrap().to_owned();
    let crate::given::Staff {
        account_id: sam_id,
        token: sam,
    } = crate::given::staff(&app, "sam.support@example.com", Role::Support).await;
    let crate::given::Staff {
        account_id: ada_id,
        token: _,
    } = crate::given::staff(&app, "ada.admin@example.com", Role::Admin).await;
    crate::given::staff(&app, "fin.finance@example.com", Role::Finance).await;

    let (s, t) = open_ticket(
        &app,
        &ann,
        json!({ "category": "installation", "subject": "  QR code does not scan ", "body": "My phone says\n\"invalid code\".",
                "order_id": order_id, "iccid": iccid }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["state"], "open");
    assert_eq!(t["subject"], "QR code does not scan");
    assert_eq!(t["order_id"], order_id.as_str());
    assert_eq!(t["iccid"], iccid.as_str());
    assert!(t["closure_link"].is_null());
    assert_eq!(t["messages"][0]["author"], "you");
    assert_eq!(t["messages"][0]["body"], "My phone says\n\"invalid code\".");
    let id = t["id"].as_str().unwrap().to_owned();

    // Every support and admin account is told, without the customer's words;
    // finance is not.
    app.drain_jobs().await;
    for to in ["sam.support@example.com", "ada.admin@example.com"] {
        let mails = app.mail_to(to);
        assert_eq!(mails.len(), 1, "{to}: {mails:?}");
        assert!(
            mails[0].subject.starts_with("New support ticket"),
            "{}",
            mails[0].subject
        );
        assert!(mails[0].body.contains(&format!("http://tern.test/admin/tickets/{id}")));
        assert!(!mails[0].body.contains("invalid code") && !mails[0].subject.contains("QR code"));
    }
    assert!(app.mail_to("fin.finance@example.com").is_empty());

    let (_, mine) = app.get("/api/v1/tickets", Some(&ann)).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert!(mine[0].get("messages").is_none(), "lists leave messages out");

    // The queue: open, unanswered.
    let (s, q) = app.get("/api/v1/admin/tickets?state=open", Some(&sam)).await;
    assert_eq!(s, StatusCode::OK, "{q}");
    assert_eq!(q.as_array().unwrap().len(), 1);
    assert_eq!(q[0]["id"], id.as_str());
    assert!(q[0]["first_response_secs"].is_null());
    let (_, q) = app
        .get("/api/v1/admin/tickets?assignee=none&category=installation", Some(&sam))
        .await;
    assert_eq!(q.as_array().unwrap().len(), 1);
    let (_, q) = app.get("/api/v1/admin/tickets?category=billing", Some(&sam)).await;
    assert_eq!(q.as_array().unwrap().len(), 0);
    let (s, b) = app
        .get("/api/v1/admin/tickets?state=pending&category=x", Some(&sam))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&b),
        [
            ("state".to_owned(), "ticket_state_invalid".to_owned()),
            ("category".to_owned(), "ticket_category_invalid".to_owned())
        ]
    );

    // Sam takes it and answers after 12 minutes.
    let (s, v) = app
        .post(
            &format!("/api/v1/admin/tickets/{id}/assign"),
            Some(&sam),
            json!({ "staff_id": sam_id }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["assignee_id"], sam_id.as_str());
    let (s, b) = app
        .post(
            &format!("/api/v1/admin/tickets/{id}/assign"),
            Some(&sam),
            json!({ "staff_id": "nobody" }),
        )
        .await;
    assert_eq!(
        (s, codes(&b)[0].1.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "ticket_assignee_invalid")
    );
    let (_, q) = app.get("/api/v1/admin/tickets?assignee=me", Some(&sam)).await;
    assert_eq!(q.as_array().unwrap().len(), 1);
    app.clock.advance(Duration::from_secs(12 * 60));
    let (s, v) = app
        .post(
            &format!("/api/v1/admin/tickets/{id}/messages"),
            Some(&sam),
            json!({ "body": "Hello Ann,\nscan it from another screen." }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "waiting_on_customer");
    assert_eq!(v["first_response_secs"], 720);
    assert_eq!(v["messages"][1]["author"], "staff");
    assert_eq!(v["messages"][1]["staff_id"], sam_id.as_str());

    // Ann is emailed the answer in plain text, with the link to the ticket.
    app.drain_jobs().await;
    let mails = app.mail_to("ann.asks@example.com");
    let reply = mails
        .iter()
        .find(|m| m.subject == "Support replied to your ticket: QR code does not scan")
        .expect("reply mail");
    let text = reply.body.replace("\r\n", "\n");
    assert!(text.contains("Hello Ann,\nscan it from another screen."), "{text}");
    assert!(reply.body.contains(&format!("http://tern.test/support/{id}")));
    let (_, mine) = app.get(&format!("/api/v1/tickets/{id}"), Some(&ann)).await;
    assert_eq!(mine["state"], "waiting_on_customer");
    assert_eq!(
        mine["messages"][1]["author"], "support",
        "staff are not named to the customer"
    );
    assert!(!mine.to_string().contains(sam_id.as_str()));

    // Ann answers: open again, and only the assignee is told.
    let (s, v) = app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            Some(&ann),
            json!({ "body": "Worked, thanks!" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "open");
    app.drain_jobs().await;
    assert_eq!(app.mail_to("sam.support@example.com").len(), 2);
    assert!(
        app.mail_to("sam.support@example.com")[1]
            .subject
            .starts_with("New customer message")
    );
    assert_eq!(app.mail_to("ada.admin@example.com").len(), 1);

    // Resolved after an hour; a user reply reopens it; closed is final.
    app.clock.advance(Duration::from_secs(3600));
    let (s, v) = app
        .post(
            &format!("/api/v1/admin/tickets/{id}/state"),
            Some(&sam),
            json!({ "state": "resolved" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "resolved");
    assert_eq!(v["resolution_secs"], 720 + 3600);
    let (s, b) = app
        .post(
            &format!("/api/v1/admin/tickets/{id}/state"),
            Some(&sam),
            json!({ "state": "solved" }),
        )
        .await;
    assert_eq!(
        (s, codes(&b)[0].1.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "ticket_state_invalid")
    );
    let (_, v) = app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            Some(&ann),
            json!({ "body": "It stopped again." }),
        )
        .await;
    assert_eq!(v["state"], "open");
    let (_, v) = app.get(&format!("/api/v1/admin/tickets/{id}"), Some(&sam)).await;
    assert!(v["resolution_secs"].is_null(), "reopened: {v}");
    assert_eq!(v["first_response_secs"], 720, "the first answer stays the first");
    let (s, v) = app
        .post(&format!("/api/v1/tickets/{id}/close"), Some(&ann), json!({}))
        .await;
    assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("closed")));
    for (path, token, body) in [
        (
            format!("/api/v1/tickets/{id}/messages"),
            &ann,
            json!({ "body": "one more" }),
        ),
        (format!("/api/v1/tickets/{id}/close"), &ann, json!({})),
        (
            format!("/api/v1/admin/tickets/{id}/messages"),
            &sam,
            json!({ "body": "late" }),
        ),
        (
            format!("/api/v1/admin/tickets/{id}/state"),
            &sam,
            json!({ "state": "open" }),
        ),
        (
            format!("/api/v1/admin/tickets/{id}/assign"),
            &sam,
            json!({ "staff_id": ada_id }),
        ),
    ] {
        let (s, b) = app.post(&path, Some(token), body).await;
        assert_eq!((s, error_code(&b)), (StatusCode::CONFLICT, "ticket_closed"), "{path}");
    }

    // Every staff action is in the audit log under the staff member.
    for action in [
        "ticket.assigned",
        "ticket.replied",
        "ticket.state_changed",
        "ticket.viewed",
    ] {
        assert!(audit_count(&app, &sam_id, action).await >= 1, "{action}");
    }
    let ann_id = app.get("/api/v1/me", Some(&ann)).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(audit_count(&app, &ann_id, "ticket.opened").await, 1);
    assert_eq!(audit_count(&app, &ann_id, "ticket.closed").await, 1);
    let report = tern_app::audit::verify(&app.app().db, |_| {}).await.unwrap();
    assert_eq!(report.first_broken, None);
    app.stop().await;
});

on_both!(nobody_sees_or_touches_another_accounts_tickets, |db: Db| async move {
    let app = TestApp::start(db).await;
    let ann = funded_traveller(&app, "ann.owner@example.com", 2000).await;
    let iccid = bought_esim(&app, &ann, "JP-1GB-7D").await;
    let (_, orders) = app.get("/api/v1/orders", Some(&ann)).await;
    let order_id = orders[0]["id"].as_str().unwrap().to_owned();
    let bob = app.user("bob.other@example.com", PW).await;
    let (_, t) = open_ticket(
        &app,
        &ann,
        json!({ "category": "billing", "subject": "Refund", "body": "Please refund my order." }),
    )
    .await;
    let id = t["id"].as_str().unwrap().to_owned();

    // Every ticket endpoint answers Bob exactly as for an id that does not exist.
    let unknown = "01900000-0000-7000-8000-000000000000";
    for target in [id.as_str(), unknown] {
        let attempts = [
            (Method::GET, format!("/api/v1/tickets/{target}"), None),
            (
                Method::POST,
                format!("/api/v1/tickets/{target}/messages"),
                Some(json!({ "body": "hi" })),
            ),
            (Method::POST, format!("/api/v1/tickets/{target}/close"), Some(json!({}))),
        ];
        for (method, path, body) in attempts {
            let (s, b) = app.call(method, &path, Some(&bob), body).await;
            assert_eq!((s, error_code(&b)), (StatusCode::NOT_FOUND, "not_found"), "{path}");
        }
        let (s, _) = page(&app, &format!("/support/{target}"), &bob).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    assert_eq!(app.get("/api/v1/tickets", Some(&bob)).await.1, json!([]));
    let (_, html) = page(&app, "/support", &bob).await;
    assert!(!html.contains(&id) && !html.contains("Refund"));

    // Nor can Bob point a ticket at Ann's order or eSIM: refused as unknown.
    let (s, b) = open_ticket(
        &app,
        &bob,
        json!({ "category": "billing", "subject": "Mine?", "body": "x", "order_id": order_id, "iccid": iccid }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(
        codes(&b),
        [
            ("order_id".to_owned(), "ticket_order_unknown".to_owned()),
            ("iccid".to_owned(), "ticket_esim_unknown".to_owned())
        ]
    );
    assert_eq!(b["error"]["details"][0]["message"], "Choose one of your own orders.");
    let (s, b) = open_ticket(
        &app,
        &bob,
        json!({ "category": "billing", "subject": "Mine?", "body": "x", "order_id": unknown }),
    )
    .await;
    assert_eq!(
        (s, codes(&b)[0].1.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "ticket_order_unknown")
    );

    // Ann's ticket did not change.
    let (_, v) = app.get(&format!("/api/v1/tickets/{id}"), Some(&ann)).await;
    assert_eq!(v["messages"].as_array().unwrap().len(), 1);
    assert_eq!(v["state"], "open");

    // The staff side: travellers and finance are refused (403, audited).
    let crate::given::Staff {
        account_id: fin_id,
        token: fin,
    } = crate::given::staff(&app, "fin.ance@example.com", Role::Finance).await;
    let bob_id = app.get("/api/v1/me", Some(&bob)).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (who, token) in [(fin_id.as_str(), &fin), (bob_id.as_str(), &bob)] {
        let attempts = [
            (Method::GET, "/api/v1/admin/tickets".to_owned(), None),
            (Method::GET, "/api/v1/admin/tickets/stats".to_owned(), None),
            (Method::GET, format!("/api/v1/admin/tickets/{id}"), None),
            (
                Method::POST,
                format!("/api/v1/admin/tickets/{id}/messages"),
                Some(json!({ "body": "x" })),
            ),
            (
                Method::POST,
                format!("/api/v1/admin/tickets/{id}/assign"),
                Some(json!({ "staff_id": null })),
            ),
            (
                Method::POST,
                format!("/api/v1/admin/tickets/{id}/state"),
                Some(json!({ "state": "closed" })),
            ),
        ];
        for (method, path, body) in attempts {
            let (s, b) = app.call(method, &path, Some(token), body).await;
            assert_eq!((s, error_code(&b)), (StatusCode::FORBIDDEN, "forbidden"), "{path}");
        }
        assert_eq!(page(&app, "/admin/tickets", token).await.0, StatusCode::FORBIDDEN);
        assert_eq!(
            page(&app, &format!("/admin/tickets/{id}"), token).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(audit_count(&app, who, "access.forbidden").await, 8);
    }
    let (_, v) = app.get(&format!("/api/v1/tickets/{id}"), Some(&ann)).await;
    assert_eq!(v["state"], "open", "nothing the refused calls asked for happened");
    app.stop().await;
});

on_both!(
    bad_tickets_are_refused_with_details_and_flooding_is_throttled,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let ann = app.user("ann.flood@example.com", PW).await;
        let (s, b) = open_ticket(
            &app,
            &ann,
            json!({ "category": "complaints", "subject": "x".repeat(201), "body": "y".repeat(10_001) }),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            codes(&b),
            [
                ("category".to_owned(), "ticket_category_invalid".to_owned()),
                ("subject".to_owned(), "ticket_subject_too_long".to_owned()),
                ("body".to_owned(), "ticket_body_too_long".to_owned())
            ]
        );
        let (_, b) = open_ticket(&app, &ann, json!({ "category": "other", "subject": " ", "body": "\n" })).await;
        assert_eq!(
            codes(&b),
            [
                ("subject".to_owned(), "ticket_subject_required".to_owned()),
                ("body".to_owned(), "ticket_body_required".to_owned())
            ]
        );
        let (s, b) = open_ticket(
            &app,
            &ann,
            json!({ "category": "other", "subject": "a", "body": "b", "extra": 1 }),
        )
        .await;
        assert_eq!((s, error_code(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"));
        let (s, _) = open_ticket(&app, &ann, json!({ "category": "other", "subject": "a", "body": "b" })).await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, _) = app.post("/api/v1/tickets", None, json!({})).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);

        // 20 tickets an hour; the 21st is refused with a stable code and a wait.
        for i in 1..20 {
            let (s, b) = open_ticket(
                &app,
                &ann,
                json!({ "category": "other", "subject": format!("n{i}"), "body": "b" }),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{i}: {b}");
        }
        let res = app
            .client
            .post(format!("{}/api/v1/tickets", app.url))
            .bearer_auth(&ann)
            .json(&json!({ "category": "other", "subject": "one too many", "body": "b" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.headers().contains_key("retry-after"));
        assert_eq!(error_code(&res.json().await.unwrap()), "ticket_rate_limited");
        assert_eq!(
            app.get("/api/v1/tickets", Some(&ann)).await.1.as_array().unwrap().len(),
            20
        );

        // Messages have their own allowance; an hour later tickets can be opened again.
        let id = app.get("/api/v1/tickets", Some(&ann)).await.1[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for i in 0..20 {
            let (s, _) = app
                .post(
                    &format!("/api/v1/tickets/{id}/messages"),
                    Some(&ann),
                    json!({ "body": format!("m{i}") }),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{i}");
        }
        let (s, b) = app
            .post(
                &format!("/api/v1/tickets/{id}/messages"),
                Some(&ann),
                json!({ "body": "again" }),
            )
            .await;
        assert_eq!(
            (s, error_code(&b)),
            (StatusCode::TOO_MANY_REQUESTS, "ticket_rate_limited")
        );
        let (s, b) = app
            .post(
                &format!("/api/v1/tickets/{id}/messages"),
                Some(&ann),
                json!({ "body": "" }),
            )
            .await;
        assert_eq!(
            (s, codes(&b)[0].1.as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "ticket_body_required")
        );
        app.clock.advance(Duration::from_secs(3601));
        let ann = app.login("ann.flood@example.com", PW).await;
        let (s, _) = open_ticket(
            &app,
            &ann,
            json!({ "category": "other", "subject": "later", "body": "b" }),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        app.stop().await;
    }
);

const MALICIOUS: &str = "<script>alert('x')</script>\n<a href=\"javascript:alert(1)\">click</a>\n\
    <img src=x onerror=\"alert(2)\"> [link](javascript:alert(3)) <svg onload=alert(4)>";

fn assert_inert(html: &str) {
    for bad in [
        "<script>alert",
        "<a href=\"javascript:",
        "<img src=x",
        "<svg onload",
        "onerror=\"alert",
    ] {
        assert!(!html.contains(bad), "{bad} rendered live");
    }
    assert!(html.contains("&lt;script&gt;alert("), "shown as text");
    assert!(html.contains("&lt;img src=x onerror="), "shown as text");
}

on_both!(malicious_markup_in_messages_stays_text, |db: Db| async move {
    let app = TestApp::start(db).await;
    let eve = app.user("eve.markup@example.com", PW).await;
    let crate::given::Staff {
        account_id: _,
        token: sam,
    } = crate::given::staff(&app, "sam.markup@example.com", Role::Support).await;
    let (s, t) = open_ticket(
        &app,
        &eve,
        json!({ "category": "other", "subject": "<b onmouseover=alert(5)>hi</b>", "body": MALICIOUS }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().unwrap().to_owned();
    assert_eq!(t["messages"][0]["body"], MALICIOUS, "stored as written");

    for (path, token) in [
        (format!("/support/{id}"), &eve),
        ("/support".to_owned(), &eve),
        (format!("/admin/tickets/{id}"), &sam),
        ("/admin/tickets".to_owned(), &sam),
    ] {
        let (s, html) = page(&app, &path, token).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(!html.contains("<b onmouseover"), "{path}");
        assert!(
            html.contains("&lt;b onmouseover=alert(5)&gt;hi&lt;&#x2f;b&gt;") || html.contains("&lt;b onmouseover"),
            "{path}"
        );
        if path.contains(&id) {
            assert_inert(&html);
            // Line breaks are kept, as <br> between escaped lines.
            assert!(
                html.contains("&lt;&#x2f;script&gt;<br>") || html.contains("&lt;/script&gt;<br>"),
                "{path}"
            );
        }
    }

    // Staff answer with markup too; the email is text/plain with the text as written.
    let (s, _) = app
        .post(
            &format!("/api/v1/admin/tickets/{id}/messages"),
            Some(&sam),
            json!({ "body": "Not <script>alert(6)</script> a problem." }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.drain_jobs().await;
    let dir = app.data_dir.join("outbox").join("mail");
    let raw: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .filter(|m| m.contains("eve.markup@example.com") && m.contains("Support replied"))
        .collect();
    assert_eq!(raw.len(), 1);
    assert!(
        raw[0].to_ascii_lowercase().contains("content-type: text/plain"),
        "{}",
        raw[0]
    );
    assert!(!raw[0].to_ascii_lowercase().contains("text/html"));
    let mail = app.mail_to("eve.markup@example.com");
    let reply = mail.iter().find(|m| m.subject.contains("Support replied")).unwrap();
    assert!(reply.body.contains("Not <script>alert(6)</script> a problem."));
    let (_, html) = page(&app, &format!("/support/{id}"), &eve).await;
    assert!(!html.contains("<script>alert(6)"));
    app.stop().await;
});

const EMAIL: &str = "ottilie.ticket@example.com";
const PHONE: &str = "+447700900456";
const NAME: &str = "Ottilie Quennell-Ticket";

on_both!(
    an_open_ticket_never_blocks_closure_and_its_text_is_erased,
    |db: Db| async move {
        // Mail lands in the relay's folder, outside Tern's data folder (as with a
        // real mail relay), so the export link can be read after erasure.
        let relay = tempfile::tempdir().unwrap();
        let relay_dir = relay.path().to_path_buf();
        let app = TestApp::start_with(db, move |s| {
            s.closure.cooling_off = Duration::ZERO;
            s.mail.file_dir = Some(relay_dir.join("mail"));
        })
        .await;
        let token = funded_traveller(&app, EMAIL, 1000).await;
        let (s, me) = app
            .call(
                Method::PATCH,
                "/api/v1/me",
                Some(&token),
                Some(json!({ "phone": PHONE, "name": NAME })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{me}");
        let crate::given::Staff {
            account_id: _,
            token: sam,
        } = crate::given::staff(&app, "sam.closure@example.com", Role::Support).await;

        // A closure question: the answer points to the self-service page.
        let (s, t) = open_ticket(
            &app,
            &token,
            json!({ "category": "account_closure", "subject": format!("Close the account of {NAME}"),
                "body": format!("I am {NAME}, call me on {PHONE} or write to {EMAIL}.") }),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        assert_eq!(t["closure_link"], "http://tern.test/account/close");
        let id = t["id"].as_str().unwrap().to_owned();
        let (_, html) = page(&app, &format!("/support/{id}"), &token).await;
        assert!(
            html.contains("href=\"/account/close\""),
            "the ticket page links to self-service closure"
        );
        let (s, _) = app
            .post(
                &format!("/api/v1/admin/tickets/{id}/messages"),
                Some(&sam),
                json!({ "body": format!("Dear {NAME}, you can close it yourself; we will not call {PHONE}.") }),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, other) = open_ticket(
            &app,
            &token,
            json!({ "category": "billing", "subject": "Still open", "body": format!("{NAME} again") }),
        )
        .await;
        app.drain_jobs().await;

        // Open tickets hold nothing up.
        let (_, preview) = app.get("/api/v1/me/closure/preview", Some(&token)).await;
        assert_eq!(preview["holds"], json!([]), "{preview}");
        let (s, v) = request_closure(
            &app,
            &token,
            None,
            json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT", "export": true }),
        )
        .await;
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
        assert_eq!(st["receipt"]["deleted"]["ticket_messages"], 3, "{st}");
        assert_eq!(st["receipt"]["deleted"]["ticket_subjects"], 2, "{st}");

        // The export mailed before erasure carried the tickets, staff as "support".
        let links = crate::exports::export_links(&app, EMAIL);
        let (_, _, zip) = crate::exports::fetch(&app, &format!("/api/v1/exports/download/{}", links[0].0)).await;
        let files = crate::exports::unzip(&zip);
        let exported: Value = serde_json::from_str(&files["tickets.json"]).unwrap();
        assert_eq!(exported.as_array().unwrap().len(), 2);
        let closure_ticket = exported
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id.as_str())
            .unwrap();
        assert_eq!(closure_ticket["messages"][1]["author"], "support");
        assert!(closure_ticket["messages"][1]["body"].as_str().unwrap().contains(NAME));
        assert!(!files["tickets.json"].contains("sam.closure"));

        // Nothing of the person is left, and the tickets stay, empty and closed.
        for personal in [EMAIL, PHONE, NAME] {
            assert_eq!(
                db_columns_containing(&app, personal).await,
                Vec::<String>::new(),
                "{personal}"
            );
            assert_eq!(
                files_containing(&app.data_dir, personal),
                Vec::<String>::new(),
                "{personal}"
            );
        }
        let (_, v) = app.get(&format!("/api/v1/admin/tickets/{id}"), Some(&sam)).await;
        assert_eq!(
            (v["state"].as_str(), v["erased"].as_bool(), v["subject"].as_str()),
            (Some("closed"), Some(true), Some(""))
        );
        assert!(v["messages"].as_array().unwrap().iter().all(|m| m["body"] == ""));
        assert_eq!(v["first_response_secs"], 0, "the figures keep their times");
        let (_, v) = app
            .get(
                &format!("/api/v1/admin/tickets/{}", other["id"].as_str().unwrap()),
                Some(&sam),
            )
            .await;
        assert_eq!(v["state"], "closed");
        let (_, html) = page(&app, "/admin/tickets", &sam).await;
        assert!(html.contains("(erased: the account was closed)"));
        app.stop().await;
    }
);

on_both!(
    the_queue_figures_measure_first_response_and_resolution,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let crate::given::Staff {
            account_id: _,
            token: sam,
        } = crate::given::staff(&app, "sam.figures@example.com", Role::Support).await;
        let ann = app.user("ann.figures@example.com", PW).await;
        let empty = tern_app::tickets::stats(app.app()).await.unwrap();
        assert_eq!(empty, tern_store::tickets::TicketStats::default());

        // Three tickets answered after 10, 20 and 60 minutes; one never answered.
        let mut ids = vec![];
        for (i, wait) in [10u64, 20, 60].into_iter().enumerate() {
            let (_, t) = open_ticket(
                &app,
                &ann,
                json!({ "category": "billing", "subject": format!("t{i}"), "body": "?" }),
            )
            .await;
            let id = t["id"].as_str().unwrap().to_owned();
            app.clock.advance(Duration::from_secs(wait * 60));
            let (s, _) = app
                .post(
                    &format!("/api/v1/admin/tickets/{id}/messages"),
                    Some(&sam),
                    json!({ "body": "!" }),
                )
                .await;
            assert_eq!(s, StatusCode::OK);
            ids.push(id);
        }
        let (_, _) = open_ticket(
            &app,
            &ann,
            json!({ "category": "other", "subject": "waiting", "body": "?" }),
        )
        .await;
        // The first is resolved two hours after it was opened... and more.
        let (s, _) = app
            .post(
                &format!("/api/v1/admin/tickets/{}/state", ids[2]),
                Some(&sam),
                json!({ "state": "resolved" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK);

        let s = tern_app::tickets::stats(app.app()).await.unwrap();
        assert_eq!(s.open, 3, "two waiting on the customer and one open");
        assert_eq!(s.awaiting_first_response, 1);
        assert_eq!(s.answered, 3);
        assert_eq!(s.median_first_response_secs, Some(20 * 60));
        assert_eq!(s.avg_first_response_secs, Some(30 * 60));
        assert_eq!(s.avg_resolution_secs, Some(60 * 60));
        let opened: i64 = s.opened_per_day.iter().map(|(_, n)| n).sum();
        assert_eq!(opened, 4);

        // The same figures over the API and on the queue page, with the chart.
        let (st, v) = app.get("/api/v1/admin/tickets/stats", Some(&sam)).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(v["median_first_response_secs"], 1200);
        assert_eq!(v["open"], 3);
        let (_, html) = page(&app, "/admin/tickets", &sam).await;
        assert!(html.contains("<dd data-figure=\"median_first\">20 min</dd>"), "{html}");
        assert!(html.contains("<dd data-figure=\"avg_first\">30 min</dd>"));
        assert!(html.contains("<dd data-figure=\"avg_resolution\">1 h 0 min</dd>"));
        assert_eq!(html.matches("<svg").count(), 1);

        // 31 days later the old tickets drop out of the window; open work stays.
        app.clock.advance(Duration::from_secs(31 * 86_400));
        let s = tern_app::tickets::stats(app.app()).await.unwrap();
        assert_eq!((s.open, s.answered, s.opened_per_day.len()), (3, 0, 0));
        assert_eq!(s.median_first_response_secs, None);
        app.stop().await;
    }
);

const CSRF: &str = "csrf-token-of-forty-characters-0123456789";

on_both!(
    support_works_tickets_in_the_portal_without_javascript,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let ann = app.user("ann.portal@example.com", PW).await;
        let crate::given::Staff {
            account_id: _,
            token: sam,
        } = crate::given::staff(&app, "sam.portal@example.com", Role::Support).await;
        let (_, t) = open_ticket(
            &app,
            &ann,
            json!({ "category": "connectivity", "subject": "No signal", "body": "In Osaka." }),
        )
        .await;
        let id = t["id"].as_str().unwrap().to_owned();

        // Forms need the CSRF token (cookie and field) like every portal form.
        let form = |path: String, token: String, fields: Vec<(&'static str, String)>, csrf: bool| {
            let mut req = app.client.post(format!("{}{path}", app.url)).bearer_auth(token);
            let mut fields = fields;
            if csrf {
                req = req.header("cookie", format!("tern_csrf={CSRF}"));
                fields.push(("csrf", CSRF.to_owned()));
            }
            let req = req.form(&fields);
            async move {
                let res = req.send().await.unwrap();
                let loc = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
                (res.status(), loc, res.text().await.unwrap())
            }
        };
        let (s, _, _) = form(
            format!("/admin/tickets/{id}/reply"),
            sam.clone(),
            vec![("body", "x".into())],
            false,
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "no CSRF token");
        let (s, loc, body) = form(
            format!("/admin/tickets/{id}/reply"),
            sam.clone(),
            vec![("body", "Restart the phone.".into())],
            true,
        )
        .await;
        assert_eq!(
            (s, loc.as_deref()),
            (StatusCode::SEE_OTHER, Some(format!("/admin/tickets/{id}").as_str())),
            "{body}"
        );
        let (s, _, _) = form(
            format!("/admin/tickets/{id}/state"),
            sam.clone(),
            vec![("state", "resolved".into())],
            true,
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (_, html) = page(&app, &format!("/admin/tickets/{id}"), &sam).await;
        assert!(html.contains("Restart the phone.") && html.contains("Resolved"));

        // The traveller reads and answers in the portal; a bad reply shows the error.
        let (_, html) = page(&app, &format!("/support/{id}"), &ann).await;
        assert!(html.contains("Restart the phone.") && html.contains("Support"));
        let (s, _, html) = form(
            format!("/support/{id}/reply"),
            ann.clone(),
            vec![("body", " ".into())],
            true,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("Write a message."));
        let (s, loc, _) = form(
            format!("/support/{id}/reply"),
            ann.clone(),
            vec![("body", "Works now".into())],
            true,
        )
        .await;
        assert_eq!(
            (s, loc),
            (StatusCode::SEE_OTHER, Some(format!("/support/{id}?notice=sent")))
        );
        let (s, loc, _) = form(
            "/support".into(),
            ann.clone(),
            vec![
                ("category", "billing".into()),
                ("subject", "Invoice".into()),
                ("body", "Need one".into()),
            ],
            true,
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert!(loc.unwrap().ends_with("?notice=created"));
        let (s, _, html) = form(
            "/support".into(),
            ann.clone(),
            vec![
                ("category", "billing".into()),
                ("subject", "".into()),
                ("body", "Need one".into()),
            ],
            true,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            html.contains("Give your ticket a subject.") && html.contains("Need one"),
            "the form keeps what was typed"
        );
        let (_, html) = page(&app, "/support", &ann).await;
        assert!(html.contains("Invoice") && html.contains("No signal"));

        // Chinese pages.
        let res = app
            .client
            .get(format!("{}/support", app.url))
            .bearer_auth(&ann)
            .header("cookie", "tern_lang=zh-CN")
            .send()
            .await
            .unwrap();
        let html = res.text().await.unwrap();
        assert!(html.contains("我的工单") && html.contains("寻求帮助"));
        app.stop().await;
    }
);

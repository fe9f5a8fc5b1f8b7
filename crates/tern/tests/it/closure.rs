//! Closing an account, as a traveller and an operator would see it.

use std::time::Duration;

use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;

use crate::given::bought_esim;
use crate::harness::{Db, PW, TestApp};
use crate::on_both;
use crate::wallet::{assert_ledger_balanced, vouchers};

const EMAIL: &str = "marguerite.closer@example.com";
const PHONE: &str = "+447700900123";
const NAME: &str = "Marguerite Duchamp-Closer";

pub fn code_in(sms: &str) -> String {
    sms.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_default()
        .to_owned()
}

/// A traveller with a name, a verified phone, a card top-up of 25.00, a
/// cash voucher of 10.00 and promotional credit of 5.00.
async fn rich_traveller(app: &TestApp) -> String {
    let token = app.user(EMAIL, PW).await;
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(&token),
        Some(json!({ "phone": PHONE, "name": NAME })),
    )
    .await;
    let (s, _) = app.post("/api/v1/me/phone/verification", Some(&token), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    app.drain_jobs().await;
    let code = code_in(app.sms_to(PHONE).last().unwrap());
    let (s, _) = app
        .post(
            "/api/v1/me/phone/verification/confirm",
            Some(&token),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, t) = app
        .post("/api/v1/wallet/top-ups", Some(&token), json!({ "amount_minor": 2500 }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let who = tern_app::auth::authenticate(app.app(), &token).await.unwrap();
    tern_app::payments::sandbox_charge(
        app.app(),
        &who,
        &t["id"].as_str().unwrap().into(),
        "4242 4242 4242 4242",
    )
    .await
    .unwrap();
    for (minor, promo) in [(1000, false), (500, true)] {
        let code = vouchers(app, minor, 1, promo).await.remove(0);
        let (s, _) = app
            .post("/api/v1/wallet/redeem", Some(&token), json!({ "code": code }))
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    token
}

pub async fn request_closure(app: &TestApp, token: &str, key: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(format!("{}/api/v1/me/closure", app.url))
        .bearer_auth(token)
        .json(&body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = req.send().await.unwrap();
    let s = res.status();
    (s, res.json().await.unwrap_or(Value::Null))
}

fn status_path(view: &Value) -> String {
    let url = view["status_url"].as_str().unwrap();
    let token = url.rsplit('/').next().unwrap();
    format!("/api/v1/closure-status/{token}")
}

async fn emulator_subscriber(app: &TestApp, iccid: &str) -> Value {
    let base = app.app().emulator_url.clone().unwrap();
    reqwest::get(format!("{base}/network/subscribers/{iccid}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Every file under `dir` that contains `needle` (ASCII case ignored).
pub fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let needle = needle.to_ascii_lowercase();
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                let lower: Vec<u8> = bytes.iter().map(u8::to_ascii_lowercase).collect();
                if lower.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    out.push(p.display().to_string());
                }
            }
        }
    }
    out
}

/// Every (table, column) of the database whose text contains `needle`,
/// checked independently of Tern's own sweep: every column of every
/// table, cast to text.
pub async fn db_columns_containing(app: &TestApp, needle: &str) -> Vec<String> {
    let mut conn = app.app().db.conn().await.unwrap();
    let cols: Vec<(String, String)> = if app.app().db.backend() == tern_store::Backend::Postgres {
        sqlx::query(
            "SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c FROM information_schema.columns \
             WHERE table_schema = current_schema()",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("t"), r.get("c")))
        .collect()
    } else {
        let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let mut cols = vec![];
        for t in tables {
            for r in sqlx::query("SELECT name FROM pragma_table_info($1)")
                .bind(t.as_str())
                .fetch_all(&mut *conn)
                .await
                .unwrap()
            {
                cols.push((t.clone(), r.get("name")));
            }
        }
        cols
    };
    let mut hits = vec![];
    for (t, c) in cols {
        let sql = format!("SELECT COUNT(*) AS n FROM \"{t}\" WHERE lower(CAST(\"{c}\" AS TEXT)) LIKE $1");
        let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(format!("%{}%", needle.to_lowercase()))
            .fetch_one(&mut *conn)
            .await
            .unwrap()
            .get("n");
        if n > 0 {
            hits.push(format!("{t}.{c}"));
        }
    }
    hits
}

on_both!(
    closing_with_no_cooling_off_refunds_stops_erases_and_proves_it,
    |db: Db| async move {
        // Mail and SMS land in the relay's folders, outside Tern's data folder
        // (as with a real mail relay and SMS provider).
        let relay = tempfile::tempdir().unwrap();
        let relay_dir = relay.path().to_path_buf();
        let app = TestApp::start_with(db, move |s| {
            s.closure.cooling_off = Duration::ZERO;
            s.mail.file_dir = Some(relay_dir.join("mail"));
            s.sms.file_dir = Some(relay_dir.join("sms"));
        })
        .await;
        let token = rich_traveller(&app).await;
        let installed = bought_esim(&app, &token, "JP-1GB-7D").await;
        let spare = bought_esim(&app, &token, "TH-3GB-8D").await;
        crate::given::installed(&app, &token, &installed).await;
        let (_, w) = app.get("/api/v1/wallet", Some(&token)).await;
        let cash = w["cash"]["amount_minor"].as_i64().unwrap();
        let promo = w["promo"]["amount_minor"].as_i64().unwrap();
        assert!(cash > 0, "{w}");

        // The preview says what will happen.
        let (s, p) = app.get("/api/v1/me/closure/preview", Some(&token)).await;
        assert_eq!(s, StatusCode::OK, "{p}");
        assert_eq!(p["wallet"]["refund"]["amount_minor"], cash);
        assert_eq!(p["wallet"]["forfeited"]["amount_minor"], promo);
        assert_eq!(p["esims"].as_array().unwrap().len(), 2);
        assert_eq!(p["confirmation_phrase"], "CLOSE MY ACCOUNT");
        assert!(p["holds"].as_array().unwrap().is_empty());
        let card: i64 = p["wallet"]["refund_lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["method"] == "card")
            .map(|l| l["amount"]["amount_minor"].as_i64().unwrap())
            .sum();
        assert_eq!(card, cash.min(2500), "cash goes back to the card first: {p}");

        // A mistyped phrase and an unknown reason are refused with details.
        let (s, b) = request_closure(
            &app,
            &token,
            None,
            json!({ "password": PW, "confirmation": "close my acount", "reason_code": "bored" }),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let codes: Vec<&str> = b["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["confirmation_mismatch", "reason_invalid"]);

        let (s, v) = request_closure(
            &app,
            &token,
            Some("close-1"),
            json!({ "password": PW, "confirmation": "close my account", "reason_code": "privacy", "export": true,
                "reason_text": "I only travel once a year, says Marguerite Duchamp-Closer" }),
        )
        .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        assert_eq!(v["state"], "received");
        let status = status_path(&v);

        app.drain_jobs().await;

        // The status page, without signing in.
        let (s, st) = app.get(&status, None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(st["state"], "completed", "{st}");
        let done: Vec<&str> = st["steps_done"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["step"].as_str().unwrap())
            .collect();
        assert_eq!(
            done,
            [
                "freeze",
                "stop_services",
                "settle_wallet",
                "export",
                "notify",
                "erase",
                "sweep",
                "close"
            ]
        );
        let receipt = &st["receipt"];
        assert_eq!(receipt["refund"]["refund_minor"], cash);
        assert_eq!(receipt["sweep"]["hits"], 0, "{receipt}");
        assert!(receipt["sweep"]["files"].as_i64().unwrap() > 0);
        assert_eq!(receipt["services"]["barred"], 1);
        assert_eq!(receipt["services"]["canceled_at_smdp"], 1);
        insta::assert_json_snapshot!(
            "closure_receipt",
            crate::given::redacted(receipt, &["files", "rows", "until"])
        );
        let page = st.to_string().to_lowercase();
        for personal in [EMAIL, PHONE, NAME] {
            assert!(!page.contains(&personal.to_lowercase()), "status page shows {personal}");
        }

        // Mail and SMS: "received" and the completion notice with the receipt.
        let mails = app.mail_to(EMAIL);
        assert!(
            mails.iter().any(|m| m.subject.contains("received your request")),
            "{mails:?}"
        );
        let done_mail = mails
            .iter()
            .find(|m| m.subject.contains("is closed"))
            .expect("completion notice");
        assert!(done_mail.body.contains("Delete eSIM"), "{}", done_mail.body);
        assert!(done_mail.body.contains(&format!("{}.{:02}", cash / 100, cash % 100)));
        insta::assert_snapshot!("closure_completed_mail", crate::given::redacted_text(&done_mail.body));
        assert!(app.sms_to(PHONE).iter().any(|t| t.contains("account is closed")));

        // The export asked for was mailed before erasure and still downloads
        // after it (the file is encrypted at rest under the link's token).
        let links = crate::exports::export_links(&app, EMAIL);
        assert_eq!(links.len(), 1, "{links:?}");
        let (s, _, zip) = crate::exports::fetch(&app, &format!("/api/v1/exports/download/{}", links[0].0)).await;
        assert_eq!(s, StatusCode::OK);
        let files = crate::exports::unzip(&zip);
        assert!(files["profile.json"].contains(EMAIL));
        assert!(files["orders.csv"].contains("JP-1GB-7D"));

        // Exactly one refund in the ledger, and it went back to the card.
        let mut conn = app.app().db.conn().await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_transactions WHERE kind = 'closure_settlement'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(n, 1);
        let refunded: Vec<(String, i64)> = sqlx::query("SELECT source, amount_minor FROM refunds")
            .fetch_all(&mut *conn)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get("source"), r.get("amount_minor")))
            .collect();
        assert_eq!(refunded.iter().map(|r| r.1).sum::<i64>(), cash);
        drop(conn);
        assert_ledger_balanced(&app).await;

        // The eSIMs: barred at the network, cancelled at the SM-DP+.
        assert_eq!(emulator_subscriber(&app, &installed).await["barred"], true);
        let base = app.app().emulator_url.clone().unwrap();
        let spare_profile: Value = reqwest::get(format!("{base}/emulator/profiles/{spare}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(spare_profile["state"], "Unavailable", "{spare_profile}");

        // The old token is dead; the old credentials get the generic answer.
        let (s, _) = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, b) = app
            .post("/api/v1/sessions", None, json!({ "email": EMAIL, "password": PW }))
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
        );

        // Nothing personal is left: not in any table, not in any file under
        // the data folder (the SQLite database file included).
        for personal in [EMAIL, PHONE, NAME] {
            assert_eq!(
                db_columns_containing(&app, personal).await,
                Vec::<String>::new(),
                "{personal} in the database"
            );
            assert_eq!(
                files_containing(&app.data_dir, personal),
                Vec::<String>::new(),
                "{personal} in a file"
            );
        }
        // Kept records carry the pseudonym (the account's random id, whose
        // row now holds nothing personal).
        let mut conn = app.app().db.conn().await.unwrap();
        let row = sqlx::query(
            "SELECT id, email, name, phone, status FROM accounts WHERE id IN (SELECT account_id FROM closure_requests)",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let pseudonym: String = row.get("id");
        assert_eq!(row.get::<Option<String>, _>("email"), None);
        assert_eq!(row.get::<String, _>("status"), "closed");
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE account_id = $1")
            .bind(pseudonym.as_str())
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(kept, 2);
        drop(conn);
        let report = tern_app::audit::verify(&app.app().db, |_| {}).await.unwrap();
        assert_eq!(report.first_broken, None);

        // The same email can start again as a new account.
        let again = app.user(EMAIL, PW).await;
        let (s, me) = app.get("/api/v1/me", Some(&again)).await;
        assert_eq!(s, StatusCode::OK);
        assert_ne!(me["id"].as_str().unwrap(), pseudonym);

        // After the retention period a housekeeping job purges the kept
        // records; the books still balance.
        app.clock.advance(Duration::from_secs(7 * 366 * 86_400));
        {
            let tern = app.app();
            let mut tx = tern.db.begin().await.unwrap();
            tern_app::jobs::enqueue(tern, &mut tx, &tern_app::housekeeping::Housekeeping {})
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        app.drain_jobs().await;
        let mut conn = app.app().db.conn().await.unwrap();
        for sql in [
            "SELECT COUNT(*) FROM orders WHERE account_id = $1",
            "SELECT COUNT(*) FROM esims WHERE account_id = $1",
            "SELECT COUNT(*) FROM ledger_accounts WHERE owner_id = $1",
        ] {
            let n: i64 = sqlx::query_scalar(sql)
                .bind(pseudonym.as_str())
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(n, 0, "{sql}");
        }
        let purged: Option<i64> = sqlx::query_scalar("SELECT purged_at FROM closure_requests LIMIT 1")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert!(purged.is_some());
        drop(conn);
        assert_ledger_balanced(&app).await;
        app.stop().await;
    }
);

on_both!(cooling_off_reminds_and_cancel_keeps_the_account, |db: Db| async move {
    let app = TestApp::start(db).await;
    let token = crate::given::funded_traveller(&app, "noor@example.com", 3000).await;
    let (s, v) = request_closure(
        &app,
        &token,
        None,
        json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT" }),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    app.drain_jobs().await;
    let (_, cur) = app.get("/api/v1/me/closure", Some(&token)).await;
    assert_eq!(cur["state"], "cooling_off");
    assert_eq!(cur["cancelable"], true);
    let received = chrono::DateTime::parse_from_rfc3339(v["received_at"].as_str().unwrap()).unwrap();
    let until = chrono::DateTime::parse_from_rfc3339(v["cooling_off_until"].as_str().unwrap()).unwrap();
    assert_eq!((until - received).num_days(), 7);

    // A day before the end: the reminder, once.
    app.clock.advance(Duration::from_secs(6 * 86_400 + 60));
    app.drain_jobs().await;
    app.drain_jobs().await;
    let reminders = app
        .mail_to("noor@example.com")
        .iter()
        .filter(|m| m.subject.contains("closed tomorrow"))
        .count();
    assert_eq!(reminders, 1);
    assert_eq!(
        app.get("/api/v1/me/closure", Some(&token)).await.1["state"],
        "cooling_off"
    );

    // Cancel: the account works as before and an email confirms.
    let (s, c) = app.call(Method::DELETE, "/api/v1/me/closure", Some(&token), None).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["state"], "canceled");
    app.clock.advance(Duration::from_secs(2 * 86_400));
    app.drain_jobs().await;
    assert_eq!(app.get(&status_path(&v), None).await.1["state"], "canceled");
    assert!(
        app.mail_to("noor@example.com")
            .iter()
            .any(|m| m.subject.contains("will stay open"))
    );
    let iccid = bought_esim(&app, &token, "JP-1GB-7D").await;
    assert!(!iccid.is_empty());
    let (s, _) = app.call(Method::DELETE, "/api/v1/me/closure", Some(&token), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A new request is possible again.
    let (s, v2) = request_closure(
        &app,
        &token,
        None,
        json!({ "password": PW, "confirmation": "注销我的账户" }),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_ne!(v2["id"], v["id"]);
    app.stop().await;
});

on_both!(
    concurrent_requests_make_one_and_wrong_passwords_are_throttled,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let token = app.user("zed@example.com", PW).await;
        for _ in 0..5 {
            let (s, b) = request_closure(
                &app,
                &token,
                None,
                json!({ "password": "not-my-password-1", "confirmation": "CLOSE MY ACCOUNT" }),
            )
            .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
            assert_eq!(b["error"]["details"][0]["code"], "password_incorrect");
        }
        let (s, _) = request_closure(
            &app,
            &token,
            None,
            json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT" }),
        )
        .await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
        app.clock.advance(Duration::from_secs(16 * 60));

        let ids: Vec<String> = futures::stream::iter(0..20)
            .map(|i| {
                let app = &app;
                let token = token.clone();
                async move {
                    let (s, v) = request_closure(
                        app,
                        &token,
                        Some(&format!("k{i}")),
                        json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT" }),
                    )
                    .await;
                    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
                    v["id"].as_str().unwrap().to_owned()
                }
            })
            .buffer_unordered(20)
            .collect()
            .await;
        assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
        let mut conn = app.app().db.conn().await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM closure_requests")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(n, 1);
        drop(conn);
        // Same key, other body: refused.
        let (s, b) = request_closure(
            &app,
            &token,
            Some("k1"),
            json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT", "export": true }),
        )
        .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("idempotency_key_reused"))
        );
        app.stop().await;
    }
);

on_both!(operators_hold_resume_and_see_deadlines, |db: Db| async move {
    let app = TestApp::start(db).await;
    let token = app.user("ola@example.com", PW).await;
    let staff = app.user("staff@example.com", PW).await;
    {
        let mut conn = app.app().db.conn().await.unwrap();
        let id: String = sqlx::query_scalar("SELECT id FROM accounts WHERE email = 'staff@example.com'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        tern_store::accounts::set_role(&mut conn, &id, tern_domain::Role::Support, 0)
            .await
            .unwrap();
    }
    // A traveller is not an operator: 403, and it is audited.
    let (s, _) = app.get("/api/v1/admin/closures", Some(&token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, v) = request_closure(
        &app,
        &token,
        None,
        json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT" }),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    app.drain_jobs().await;
    let (s, list) = app.get("/api/v1/admin/closures?state=cooling_off", Some(&staff)).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["deadline"], "ok");
    let (s, b) = app.get("/api/v1/admin/closures?state=nonsense", Some(&staff)).await;
    assert_eq!(
        (s, b["error"]["details"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("closure_state_invalid"))
    );

    // The operators' page: the request, both charts; travellers are refused.
    let page = |token: String| {
        let req = app.client.get(format!("{}/admin/closures", app.url)).bearer_auth(token);
        async move {
            let res = req.send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let (s, html) = page(staff.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&id[id.len() - 8..]), "the request is listed");
    assert_eq!(
        html.matches("<svg").count(),
        2,
        "requests per day and deadline compliance charts"
    );
    assert_eq!(page(token.clone()).await.0, StatusCode::FORBIDDEN);

    let (s, h) = app
        .post(
            &format!("/api/v1/admin/closures/{id}/hold"),
            Some(&staff),
            json!({ "reason": "payment dispute open" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert_eq!(h["state"], "on_hold");
    let (_, st) = app.get(&status_path(&v), None).await;
    assert_eq!(
        (st["state"].as_str(), st["hold_reason"].as_str()),
        (Some("on_hold"), Some("payment dispute open"))
    );

    // Past the due date, it shows as overdue.
    app.clock.advance(Duration::from_secs(30 * 86_400));
    let staff = app.login("staff@example.com", PW).await;
    let (_, overdue) = app.get("/api/v1/admin/closures?deadline=overdue", Some(&staff)).await;
    assert_eq!(overdue.as_array().unwrap().len(), 1, "{overdue}");

    let (s, r) = app
        .post(&format!("/api/v1/admin/closures/{id}/resume"), Some(&staff), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "processing");
    app.drain_jobs().await;
    assert_eq!(app.get(&status_path(&v), None).await.1["state"], "completed");
    let mut audited = 0;
    for action in ["access.forbidden", "closure.on_hold", "closure.processing"] {
        let entries = crate::given::audited(&app, action).await;
        assert!(!entries.is_empty(), "{action} is audited");
        audited += entries.len();
    }
    assert!(audited >= 3, "{audited}");
    app.stop().await;
});

on_both!(dormant_accounts_are_warned_then_closed, |db: Db| async move {
    let app = TestApp::start_with(db, |s| s.closure.cooling_off = Duration::ZERO).await;
    let _token = crate::given::funded_traveller(&app, "sleepy@example.com", 700).await;
    let _active = app.user("awake@example.com", PW).await;
    let housekeeping = |app: &TestApp| {
        let app = app.app().clone();
        async move {
            let mut tx = app.db.begin().await.unwrap();
            tern_app::jobs::enqueue(&app, &mut tx, &tern_app::housekeeping::Housekeeping {})
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    app.clock.advance(Duration::from_secs(731 * 86_400));
    // One of them signs in again and so is never warned twice.
    housekeeping(&app).await;
    app.drain_jobs().await;
    assert_eq!(
        app.mail_to("sleepy@example.com")
            .iter()
            .filter(|m| m.subject.contains("inactivity"))
            .count(),
        1
    );
    app.login("awake@example.com", PW).await;
    app.clock.advance(Duration::from_secs(31 * 86_400));
    housekeeping(&app).await;
    app.drain_jobs().await;
    app.drain_jobs().await;
    let mut conn = app.app().db.conn().await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query("SELECT reason_code, state FROM closure_requests")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("reason_code"), r.get("state")))
        .collect();
    assert_eq!(rows, [("dormant".to_owned(), "completed".to_owned())]);
    drop(conn);
    let (s, _) = app
        .post(
            "/api/v1/sessions",
            None,
            json!({ "email": "awake@example.com", "password": PW }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "the active account stays");
    app.stop().await;
});

on_both!(
    a_trace_left_in_a_file_holds_the_sweep_until_it_is_gone,
    |db: Db| async move {
        let app = TestApp::start_with(db, |s| s.closure.cooling_off = Duration::ZERO).await;
        let email = "tracy.trace@example.com";
        let token = crate::given::funded_traveller(&app, email, 1000).await;
        // A file under the data folder that still names the traveller (as a
        // stray log or a copy an operator made would).
        let stray = app.data_dir.join("stray-notes.txt");
        std::fs::write(&stray, format!("call back {email} tomorrow\n")).unwrap();
        let (s, v) = request_closure(
            &app,
            &token,
            None,
            json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT" }),
        )
        .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        app.drain_jobs().await;
        let (_, st) = app.get(&status_path(&v), None).await;
        assert_ne!(st["state"], "completed", "a trace remains: {st}");
        let last_error: String = {
            let mut conn = app.app().db.conn().await.unwrap();
            sqlx::query_scalar("SELECT last_error FROM closure_requests")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        };
        assert!(last_error.contains("sweep found 1 trace"), "{last_error}");
        assert!(last_error.contains("\"hits_in_database\":0"), "{last_error}");
        assert!(last_error.contains("\"hits_in_files\":1"), "{last_error}");
        // On SQLite a file-only trace first rewrites the database file (stale
        // page space) and searches again; this one is a real file, so it stays.
        let sqlite = app.app().db.backend() == tern_store::Backend::Sqlite;
        assert!(last_error.contains(&format!("\"compacted\":{sqlite}")), "{last_error}");
        // Once the file is gone the retry completes the closure.
        std::fs::remove_file(&stray).unwrap();
        app.clock.advance(Duration::from_secs(3600));
        app.drain_jobs().await;
        app.drain_jobs().await;
        let (_, st) = app.get(&status_path(&v), None).await;
        assert_eq!(st["state"], "completed", "{st}");
        assert_eq!(st["receipt"]["sweep"]["hits"], 0, "{st}");
        app.stop().await;
    }
);

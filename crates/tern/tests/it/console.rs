//! The operator console: who may do what (a 403 and an audit entry for
//! every refusal), wallet adjustments, manual payouts, plans, staff,
//! search and the dashboard.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tern_domain::Role;

use crate::closure::request_closure;
use tern_domain::ledger::SystemAccount;

use crate::given::{self, bought_esim, funded_traveller};
use crate::harness::{Db, PW, TestApp};
use crate::on_both;
use crate::wallet::assert_ledger_balanced;

async fn account_id(app: &TestApp, token: &str) -> String {
    app.get("/api/v1/me", Some(token)).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn count_audit(app: &TestApp, action: &str, subject: &str) -> i64 {
    let entries = given::audited(app, action).await;
    entries.iter().filter(|(e, _)| e.subject == subject).count() as i64
}

async fn adjust(app: &TestApp, token: &str, account: &str, key: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(format!(
            "{}/api/v1/admin/accounts/{account}/wallet-adjustments",
            app.url
        ))
        .bearer_auth(token)
        .json(&body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = req.send().await.unwrap();
    let s = res.status();
    (s, res.json().await.unwrap_or(Value::Null))
}

async fn assert_audit_verifies(app: &TestApp) {
    let report = tern_app::audit::verify(&app.app().db, |_| {}).await.unwrap();
    assert_eq!(report.first_broken, None);
    assert!(report.entries > 0);
}

/// A signed-in support, finance and admin staff member; their tokens.
async fn one_of_each_role(app: &TestApp) -> (String, String, String) {
    let token = async |email: &str, role: Role| crate::given::staff(app, email, role).await.token;
    (
        token("support@example.com", Role::Support).await,
        token("finance@example.com", Role::Finance).await,
        token("admin@example.com", Role::Admin).await,
    )
}

/// An admin call: method, path, body, the audited action, the roles allowed.
type Case = (Method, String, Option<Value>, &'static str, Vec<Role>);

on_both!(roles_are_enforced_on_every_admin_endpoint, |db: Db| async move {
    let app = TestApp::start(db).await;
    let user = funded_traveller(&app, "traveller@example.com", 1000).await;
    let uid = account_id(&app, &user).await;
    let (support, finance, admin) = one_of_each_role(&app).await;
    let credit = json!({ "amount_minor": 100, "currency": "USD", "bucket": "promo", "reason": "goodwill" });

    // (method, path, body, audited action, roles allowed)
    use Role::{Admin as A, Finance as F, Support as S};
    let cases: Vec<Case> = vec![
        (
            Method::GET,
            "/api/v1/admin/dashboard".into(),
            None,
            "admin.dashboard",
            vec![A, S, F],
        ),
        (
            Method::GET,
            "/api/v1/admin/accounts?q=traveller".into(),
            None,
            "admin.accounts.search",
            vec![A, S, F],
        ),
        (
            Method::GET,
            format!("/api/v1/admin/accounts/{uid}"),
            None,
            "admin.accounts.show",
            vec![A, S, F],
        ),
        (
            Method::POST,
            format!("/api/v1/admin/accounts/{uid}/wallet-adjustments"),
            Some(credit.clone()),
            "admin.wallet_adjustments.create",
            vec![A, F],
        ),
        (
            Method::GET,
            "/api/v1/admin/refunds".into(),
            None,
            "admin.refunds.list",
            vec![A, F],
        ),
        (
            Method::POST,
            "/api/v1/admin/refunds/nope/approve".into(),
            Some(json!({})),
            "admin.refunds.approve",
            vec![A, F],
        ),
        (
            Method::GET,
            "/api/v1/admin/closures".into(),
            None,
            "admin.closures.list",
            vec![A, S],
        ),
        (
            Method::POST,
            "/api/v1/admin/closures/nope/hold".into(),
            Some(json!({ "reason": "check" })),
            "admin.closures.hold",
            vec![A, S],
        ),
        (
            Method::GET,
            "/api/v1/admin/plans".into(),
            None,
            "admin.plans.list",
            vec![A],
        ),
        (
            Method::POST,
            "/api/v1/admin/plans/NOPE/deactivate".into(),
            None,
            "admin.plans.deactivate",
            vec![A],
        ),
        (
            Method::POST,
            "/api/v1/admin/plans/NOPE/activate".into(),
            None,
            "admin.plans.activate",
            vec![A],
        ),
        (
            Method::GET,
            "/api/v1/admin/staff".into(),
            None,
            "admin.staff.list",
            vec![A],
        ),
        (
            Method::POST,
            "/api/v1/admin/staff/nope/role".into(),
            Some(json!({ "role": "support" })),
            "admin.staff.role",
            vec![A],
        ),
        (
            Method::POST,
            "/api/v1/admin/staff/nope/disable".into(),
            None,
            "admin.staff.disable",
            vec![A],
        ),
    ];
    let callers = [(Role::User, &user), (S, &support), (F, &finance), (A, &admin)];
    for (method, path, body, action, allowed) in &cases {
        let (s, b) = app.call(method.clone(), path, None, body.clone()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "anonymous {method} {path}: {b}");
        for (role, token) in &callers {
            let before = count_audit(&app, "access.forbidden", action).await;
            let (s, b) = app.call(method.clone(), path, Some(token), body.clone()).await;
            if allowed.contains(role) {
                assert!(
                    s != StatusCode::FORBIDDEN && s != StatusCode::UNAUTHORIZED && s.as_u16() < 500,
                    "{role} {method} {path} should be allowed: {s} {b}"
                );
                assert_eq!(count_audit(&app, "access.forbidden", action).await, before);
            } else {
                assert_eq!(
                    (s, b["error"]["code"].as_str()),
                    (StatusCode::FORBIDDEN, Some("forbidden")),
                    "{role} {method} {path}"
                );
                assert_eq!(
                    count_audit(&app, "access.forbidden", action).await,
                    before + 1,
                    "the refusal of {role} {path} is audited"
                );
            }
        }
    }
    // Adding staff is admin only (checked apart: it creates an account).
    let (s, _) = app
        .post(
            "/api/v1/admin/staff",
            Some(&support),
            json!({ "email": "x@example.com", "role": "support" }),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post("/api/v1/admin/plans/import", Some(&finance), json!({ "plans": [] }))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The refusal names the role and the missing permission, nothing personal.
    let refused = given::audited(&app, "access.forbidden").await;
    let (_, details) = refused
        .iter()
        .rfind(|(e, _)| e.subject == "admin.wallet_adjustments.create")
        .expect("the refusal is audited");
    assert_eq!(details, &json!({ "role": "support", "permission": "adjust_wallets" }));
    assert_audit_verifies(&app).await;
    app.stop().await;
});

on_both!(
    support_holds_a_closure_but_cannot_adjust_a_wallet,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let user = funded_traveller(&app, "leaving@example.com", 500).await;
        let uid = account_id(&app, &user).await;
        let support = crate::given::staff(&app, "support@example.com", Role::Support)
            .await
            .token;
        let (s, v) = request_closure(
            &app,
            &user,
            None,
            json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT" }),
        )
        .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        let id = v["id"].as_str().unwrap();
        // Support sees the account with its closure, and holds it.
        let (s, a) = app.get(&format!("/api/v1/admin/accounts/{uid}"), Some(&support)).await;
        assert_eq!(s, StatusCode::OK, "{a}");
        assert_eq!(a["closure"]["id"], id);
        let (s, h) = app
            .post(
                &format!("/api/v1/admin/closures/{id}/hold"),
                Some(&support),
                json!({ "reason": "chargeback open" }),
            )
            .await;
        assert_eq!((s, h["state"].as_str()), (StatusCode::OK, Some("on_hold")), "{h}");
        // …but may not move money.
        let (s, b) = adjust(
            &app,
            &support,
            &uid,
            Some("k1"),
            json!({ "amount_minor": 500, "currency": "USD", "bucket": "cash", "reason": "test" }),
        )
        .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden"))
        );
        assert_eq!(
            app.get("/api/v1/wallet", Some(&user)).await.1["balance"]["amount_minor"],
            500
        );
        assert_eq!(
            count_audit(&app, "access.forbidden", "admin.wallet_adjustments.create").await,
            1
        );
        assert_eq!(
            count_audit(&app, "closure.on_hold", &uid).await,
            1,
            "the hold is audited"
        );
        assert_eq!(count_audit(&app, "admin.account_viewed", &uid).await, 1);
        assert_audit_verifies(&app).await;
        app.stop().await;
    }
);

on_both!(
    wallet_adjustments_are_balanced_idempotent_and_never_below_zero,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let user = app.user("adjusted@example.com", PW).await;
        let uid = account_id(&app, &user).await;
        let finance = crate::given::staff(&app, "finance@example.com", Role::Finance)
            .await
            .token;
        let fid = account_id(&app, &finance).await;
        let reason = "Refund for outage ticket 4411, Ms Example";
        let credit = json!({ "amount_minor": 1000, "currency": "USD", "bucket": "cash", "reason": reason });

        let (s, first) = adjust(&app, &finance, &uid, Some("adj-1"), credit.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{first}");
        assert_eq!(
            (first["amount_minor"].as_i64(), first["bucket"].as_str()),
            (Some(1000), Some("cash"))
        );
        assert_eq!(first["reason"], reason);
        assert_eq!(first["actor_id"], fid.as_str());
        // The same key and body: the same adjustment, money moved once.
        let (s, again) = adjust(&app, &finance, &uid, Some("adj-1"), credit.clone()).await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(again, first);
        // The same key with another body: 409.
        let mut other = credit.clone();
        other["amount_minor"] = json!(2000);
        let (s, b) = adjust(&app, &finance, &uid, Some("adj-1"), other).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("idempotency_key_reused"))
        );
        let (_, w) = app.get("/api/v1/wallet", Some(&user)).await;
        assert_eq!(
            (w["cash"]["amount_minor"].as_i64(), w["promo"]["amount_minor"].as_i64()),
            (Some(1000), Some(0))
        );
        assert!(
            w["history"]
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h["kind"] == "adjustment" && h["amount"]["amount_minor"] == 1000),
            "{w}"
        );

        // A debit past the balance is refused; a wallet never goes below zero.
        let (s, b) = adjust(
            &app,
            &finance,
            &uid,
            Some("adj-2"),
            json!({ "amount_minor": -1500, "currency": "USD", "bucket": "cash", "reason": "clawback" }),
        )
        .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("adjustment_exceeds_balance"))
        );
        let (s, b) = adjust(
            &app,
            &finance,
            &uid,
            None,
            json!({ "amount_minor": -1, "currency": "USD", "bucket": "promo", "reason": "clawback" }),
        )
        .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("adjustment_exceeds_balance"))
        );
        let (s, d) = adjust(
            &app,
            &finance,
            &uid,
            Some("adj-3"),
            json!({ "amount_minor": -400, "currency": "USD", "bucket": "cash", "reason": "duplicate credit" }),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        assert_eq!(
            app.get("/api/v1/wallet", Some(&user)).await.1["balance"]["amount_minor"],
            600
        );

        // Bad input: every problem at once.
        let (s, b) = adjust(
            &app,
            &finance,
            &uid,
            None,
            json!({ "amount_minor": 0, "currency": "EUR", "bucket": "gold", "reason": " x " }),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let codes: Vec<&str> = b["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            [
                "amount_zero",
                "currency_not_wallet",
                "bucket_invalid",
                "adjustment_reason_length"
            ]
        );
        let (s, _) = adjust(&app, &finance, "no-such-account", None, credit.clone()).await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // The console shows both, with their reasons, and the ledger lines.
        let (_, a) = app.get(&format!("/api/v1/admin/accounts/{uid}"), Some(&finance)).await;
        assert_eq!(a["wallet"]["cash_minor"], 600);
        let adjustments = a["wallet"]["adjustments"].as_array().unwrap();
        assert_eq!(adjustments.len(), 2);
        assert_eq!(adjustments[1]["reason"], reason);
        assert_eq!(
            a["wallet"]["ledger"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["kind"] == "adjustment")
                .count(),
            2
        );

        // Balanced against the system account; audited by id, never the reason's text.
        assert_ledger_balanced(&app).await;
        assert_eq!(given::system_balance(&app, SystemAccount::Adjustments).await, -600);
        let audits: Vec<String> = given::audited(&app, "wallet.adjusted")
            .await
            .into_iter()
            .map(|(_, d)| d.to_string())
            .collect();
        assert_eq!(audits.len(), 2);
        assert!(
            audits.iter().all(|d| !d.contains("outage") && d.contains("adjustment")),
            "{audits:?}"
        );
        let mut conn = app.app().db.conn().await.unwrap();
        let stored: Vec<String> = sqlx::query_scalar("SELECT response FROM idempotency_keys")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        assert!(
            stored.iter().all(|r| !r.contains("outage")),
            "the reason is kept in one place only"
        );
        drop(conn);
        assert_audit_verifies(&app).await;
        app.stop().await;
    }
);

async fn on_sale(app: &TestApp, code: &str) -> bool {
    let (_, plans) = app.get("/api/v1/plans?country=jp", None).await;
    plans.as_array().unwrap().iter().any(|p| p["code"] == code)
}

on_both!(plans_are_switched_on_and_off_and_imported, |db: Db| async move {
    let app = TestApp::start(db).await;
    let admin = crate::given::staff(&app, "admin@example.com", Role::Admin).await.token;
    assert!(on_sale(&app, "JP-5GB-15D").await);
    let (s, p) = app
        .post("/api/v1/admin/plans/jp-5gb-15d/deactivate", Some(&admin), json!({}))
        .await;
    assert_eq!((s, p["active"].as_bool()), (StatusCode::OK, Some(false)), "{p}");
    assert!(!on_sale(&app, "JP-5GB-15D").await, "a deactivated plan leaves the shop");
    let (_, all) = app.get("/api/v1/admin/plans", Some(&admin)).await;
    let row = all
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "JP-5GB-15D")
        .unwrap()
        .clone();
    assert_eq!(row["active"], false);
    let buyer = funded_traveller(&app, "buyer@example.com", 2000).await;
    let (s, b) = app
        .post("/api/v1/orders", Some(&buyer), json!({ "plan_code": "JP-5GB-15D" }))
        .await;
    assert_eq!(
        (s, b["error"]["details"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("plan_inactive"))
    );
    let (s, _) = app
        .post("/api/v1/admin/plans/JP-5GB-15D/activate", Some(&admin), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(on_sale(&app, "JP-5GB-15D").await);
    let (s, _) = app
        .post("/api/v1/admin/plans/NO-SUCH/activate", Some(&admin), json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Import: a bad file is refused with numbered rows, nothing stored.
    let import = |body: String, kind: &'static str| {
        let req = app
            .client
            .post(format!("{}/api/v1/admin/plans/import", app.url))
            .bearer_auth(&admin)
            .header("content-type", kind)
            .body(body);
        async move {
            let res = req.send().await.unwrap();
            (res.status(), res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let header = "code,name_en,name_zh,countries,region,region_label,data_mb,unlimited,fair_use_mb,voice_minutes,sms,validity_days,price,currency,activation,active";
    let bad = format!(
        "{header}\nZZ-1GB-7D,Z 1GB,Z 1GB,JP,local,,1024,,,,,7,4.00,USD,on_first_use,true\nZZ-BAD,Bad,坏,XX,local,,0,,,,,0,-1,USD,on_first_use,true\n"
    );
    let (s, b) = import(bad, "text/csv").await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("plan_import_invalid")),
        "{b}"
    );
    let details = b["error"]["details"].as_array().unwrap();
    assert!(
        !details.is_empty() && details.iter().all(|d| d["line"] == 3),
        "{details:?}"
    );
    assert_eq!(app.get("/api/v1/plans/ZZ-1GB-7D", None).await.0, StatusCode::NOT_FOUND);
    let good = format!("{header}\nZZ-1GB-7D,Z 1GB,Z 1GB,JP,local,,1024,,,,,7,4.00,USD,on_first_use,true\n");
    let (s, b) = import(good, "text/csv").await;
    assert_eq!((s, b["created"].as_u64()), (StatusCode::OK, Some(1)), "{b}");
    assert_eq!(app.get("/api/v1/plans/ZZ-1GB-7D", None).await.0, StatusCode::OK);
    let (s, _) = import("plans: []".into(), "text/plain").await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(count_audit(&app, "plan.deactivated", "JP-5GB-15D").await == 1);
    assert!(count_audit(&app, "plan.activated", "JP-5GB-15D").await == 1);
    assert_audit_verifies(&app).await;
    app.stop().await;
});

on_both!(accounts_are_found_by_each_key, |db: Db| async move {
    let app = TestApp::start(db).await;
    let user = funded_traveller(&app, "findme.traveller@example.com", 2000).await;
    let (s, _) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&user),
            Some(json!({ "phone": "+447700900555" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let uid = account_id(&app, &user).await;
    let iccid = bought_esim(&app, &user, "JP-1GB-7D").await;
    let (_, orders) = app.get("/api/v1/orders", Some(&user)).await;
    let order = orders[0]["id"].as_str().unwrap().to_owned();
    let _other = app.user("someone.else@example.com", PW).await;
    let support = crate::given::staff(&app, "support@example.com", Role::Support)
        .await
        .token;
    let search = |q: String| {
        let req = app
            .client
            .get(format!("{}/api/v1/admin/accounts", app.url))
            .query(&[("q", q)])
            .bearer_auth(&support);
        async move {
            let res = req.send().await.unwrap();
            (res.status(), res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    for q in [
        "findme.traveller@example.com".to_owned(),
        "FindMe.Trav".to_owned(),
        "+447700900555".to_owned(),
        "+4477009005".to_owned(),
        iccid.clone(),
        order.clone(),
        uid.clone(),
    ] {
        let (s, found) = search(q.clone()).await;
        assert_eq!(s, StatusCode::OK, "{q}: {found}");
        let ids: Vec<&str> = found
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [uid.as_str()], "{q}");
    }
    let (s, found) = search("nobody%".into()).await;
    assert_eq!(
        (s, found.as_array().map(Vec::len)),
        (StatusCode::OK, Some(0)),
        "LIKE wildcards are literal"
    );
    let (s, b) = search("ab".into()).await;
    assert_eq!(
        (s, b["error"]["details"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("search_too_short"))
    );

    // The account view has the eSIM with its package and the order.
    let (s, a) = app.get(&format!("/api/v1/admin/accounts/{uid}"), Some(&support)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(a["account"]["email"], "findme.traveller@example.com");
    assert_eq!(a["esims"][0]["iccid"], iccid.as_str());
    assert_eq!(a["esims"][0]["packages"][0]["plan_code"], "JP-1GB-7D");
    assert_eq!(a["orders"][0]["id"], order.as_str());
    assert!(
        a["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "order.placed")
    );
    assert_eq!(
        app.get("/api/v1/admin/accounts/nope", Some(&support)).await.0,
        StatusCode::NOT_FOUND
    );
    // Searches are audited without what was searched for.
    let details: Vec<String> = given::audited(&app, "admin.accounts_searched")
        .await
        .into_iter()
        .map(|(_, d)| d.to_string())
        .collect();
    assert!(details.len() >= 8 && details.iter().all(|d| !d.contains("findme") && !d.contains("7700")));

    // The dashboard counts them.
    let (s, d) = app.get("/api/v1/admin/dashboard", Some(&support)).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let days = d["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let today = days.last().unwrap();
    assert_eq!(today["signups"], 2, "{today}");
    assert_eq!(today["order_minor"], 450, "{today}");
    assert_eq!(d["esims_by_state"]["released"], 1, "{d}");
    assert_audit_verifies(&app).await;
    app.stop().await;
});

on_both!(admins_manage_staff, |db: Db| async move {
    let app = TestApp::start(db).await;
    let admin = crate::given::staff(&app, "admin@example.com", Role::Admin).await.token;
    let aid = account_id(&app, &admin).await;
    let (s, made) = app
        .post(
            "/api/v1/admin/staff",
            Some(&admin),
            json!({ "email": "new.agent@example.com", "role": "support" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    assert_eq!(
        (made["created"].as_bool(), made["staff"]["role"].as_str()),
        (Some(true), Some("support"))
    );
    let password = made["one_time_password"].as_str().unwrap();
    let id = made["staff"]["id"].as_str().unwrap().to_owned();
    let agent = app.login("new.agent@example.com", password).await;
    assert_eq!(app.get("/api/v1/admin/closures", Some(&agent)).await.0, StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/admin/refunds", Some(&agent)).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/admin/staff/{id}/role"),
            Some(&admin),
            json!({ "role": "finance" }),
        )
        .await;
    assert_eq!((s, v["role"].as_str()), (StatusCode::OK, Some("finance")));
    // The new role applies to the next request of the same session.
    assert_eq!(app.get("/api/v1/admin/refunds", Some(&agent)).await.0, StatusCode::OK);
    let (s, b) = app
        .post(
            &format!("/api/v1/admin/staff/{id}/role"),
            Some(&admin),
            json!({ "role": "user" }),
        )
        .await;
    assert_eq!(
        (s, b["error"]["details"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("role_not_staff"))
    );
    let (s, b) = app
        .post(&format!("/api/v1/admin/staff/{aid}/disable"), Some(&admin), json!({}))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("staff_self_change"))
    );
    let (_, list) = app.get("/api/v1/admin/staff", Some(&admin)).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (s, v) = app
        .post(&format!("/api/v1/admin/staff/{id}/disable"), Some(&admin), json!({}))
        .await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("disabled")));
    assert_eq!(
        app.get("/api/v1/admin/refunds", Some(&agent)).await.0,
        StatusCode::UNAUTHORIZED,
        "sessions ended"
    );
    let (s, _) = app
        .post(
            "/api/v1/sessions",
            None,
            json!({ "email": "new.agent@example.com", "password": password }),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a disabled account cannot sign in");
    let (s, _) = app
        .post(&format!("/api/v1/admin/staff/{id}/disable"), Some(&admin), json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // A traveller is not staff: not found by id on the staff endpoints.
    let user = app.user("plain@example.com", PW).await;
    let uid = account_id(&app, &user).await;
    let (s, _) = app
        .post(&format!("/api/v1/admin/staff/{uid}/disable"), Some(&admin), json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(count_audit(&app, "admin.staff_created", &id).await, 1);
    assert_eq!(count_audit(&app, "admin.staff_disabled", &id).await, 1);
    assert_audit_verifies(&app).await;
    app.stop().await;
});

on_both!(finance_pays_out_manual_refunds_once, |db: Db| async move {
    let app = TestApp::start_with(db, |s| s.closure.cooling_off = Duration::ZERO).await;
    let user = funded_traveller(&app, "refund.me@example.com", 700).await;
    let finance = crate::given::staff(&app, "finance@example.com", Role::Finance)
        .await
        .token;
    let (s, v) = request_closure(
        &app,
        &user,
        None,
        json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT" }),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    for _ in 0..5 {
        app.drain_jobs().await;
    }
    let (s, waiting) = app.get("/api/v1/admin/refunds", Some(&finance)).await;
    assert_eq!(s, StatusCode::OK);
    let waiting = waiting.as_array().unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(
        (waiting[0]["amount_minor"].as_i64(), waiting[0]["source"].as_str()),
        (Some(700), Some("manual"))
    );
    let id = waiting[0]["id"].as_str().unwrap();
    let (s, r) = app
        .post(
            &format!("/api/v1/admin/refunds/{id}/approve"),
            Some(&finance),
            json!({ "reference": "BANK-2026-001" }),
        )
        .await;
    assert_eq!(
        (s, r["state"].as_str(), r["reference"].as_str()),
        (StatusCode::OK, Some("paid_out"), Some("BANK-2026-001")),
        "{r}"
    );
    let (s, b) = app
        .post(
            &format!("/api/v1/admin/refunds/{id}/approve"),
            Some(&finance),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("refund_not_awaiting_payout"))
    );
    assert_eq!(
        app.get("/api/v1/admin/refunds", Some(&finance))
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        app.get("/api/v1/admin/refunds?state=paid_out", Some(&finance))
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (s, _) = app.get("/api/v1/admin/refunds?state=lost", Some(&finance)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_ledger_balanced(&app).await;
    let payable = given::system_balance(&app, SystemAccount::RefundsPayable).await;
    let paid = given::system_balance(&app, SystemAccount::Payouts).await;
    assert_eq!((payable, paid), (0, 700));
    assert_eq!(count_audit(&app, "refund.paid_out", id).await, 1);
    assert_audit_verifies(&app).await;
    app.stop().await;
});

on_both!(console_pages_follow_the_roles, |db: Db| async move {
    let app = TestApp::start(db).await;
    let user = funded_traveller(&app, "page.user@example.com", 300).await;
    let uid = account_id(&app, &user).await;
    let (support, finance, admin) = one_of_each_role(&app).await;
    let page = |path: String, token: String| {
        let req = app.client.get(format!("{}{path}", app.url)).bearer_auth(token);
        async move {
            let res = req.send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let (s, html) = page("/admin".into(), support.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        html.matches("<svg").count(),
        7,
        "sign-ups, revenue, installs, usage, closures, deadlines, tickets"
    );
    assert!(
        html.contains("data-figure=\"open\">0<"),
        "open tickets shown on the dashboard"
    );
    assert!(
        html.contains("href=\"/admin/closures\"")
            && !html.contains("href=\"/admin/refunds\"")
            && !html.contains("href=\"/admin/staff\"")
    );
    let (_, html) = page("/admin".into(), finance.clone()).await;
    assert!(html.contains("href=\"/admin/refunds\"") && !html.contains("href=\"/admin/closures\""));
    let (s, html) = page(format!("/admin/accounts?q={uid}"), support.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("page.user@example.com"));
    let (s, html) = page(format!("/admin/accounts/{uid}"), support.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("wallet-adjustments"), "support gets no adjustment form");
    let (_, html) = page(format!("/admin/accounts/{uid}"), finance.clone()).await;
    assert!(html.contains("wallet-adjustments"));
    for (path, ok) in [
        ("/admin/plans", &admin),
        ("/admin/staff", &admin),
        ("/admin/refunds", &finance),
    ] {
        assert_eq!(page(path.into(), ok.clone()).await.0, StatusCode::OK, "{path}");
        assert_eq!(
            page(path.into(), support.clone()).await.0,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(page("/admin".into(), user.clone()).await.0, StatusCode::FORBIDDEN);
    let res = app.client.get(format!("{}/admin", app.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(count_audit(&app, "access.forbidden", "portal.admin.plans").await, 1);
    app.stop().await;
});

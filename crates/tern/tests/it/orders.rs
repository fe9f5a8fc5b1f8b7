//! Buying plans: provisioning over ES2+, money exactly right, retries safe.

use std::time::Duration;

use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::given::{bought_esim, funded_traveller};
use crate::harness::{Db, PW, TestApp};
use crate::on_both;
use crate::wallet::assert_ledger_balanced;

async fn order(app: &TestApp, token: &str, key: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(format!("{}/api/v1/orders", app.url))
        .bearer_auth(token)
        .json(&body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = req.send().await.unwrap();
    let s = res.status();
    (s, res.json().await.unwrap_or(Value::Null))
}

async fn balance(app: &TestApp, token: &str) -> i64 {
    app.get("/api/v1/wallet", Some(token)).await.1["balance"]["amount_minor"]
        .as_i64()
        .unwrap()
}

on_both!(buy_a_plan_install_it_and_see_it_installed, |db: Db| async move {
    let app = TestApp::start(db).await;
    let token = funded_traveller(&app, "tia@example.com", 2000).await;
    let (s, plans) = app.get("/api/v1/plans?country=jp", None).await;
    assert_eq!(s, StatusCode::OK);
    let plans = plans.as_array().unwrap();
    assert!(plans.len() >= 3);
    assert!(
        plans
            .iter()
            .all(|p| p["coverage"].as_array().unwrap().iter().any(|c| c == "JP"))
    );
    let prices: Vec<i64> = plans
        .iter()
        .map(|p| p["price"]["amount_minor"].as_i64().unwrap())
        .collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "cheapest first");
    let (s, plan) = app.get("/api/v1/plans/JP-5GB-15D", None).await;
    assert_eq!(s, StatusCode::OK);
    let price = plan["price"]["amount_minor"].as_i64().unwrap();

    let (s, o) = order(&app, &token, Some("first-try"), json!({ "plan_code": "JP-5GB-15D" })).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!(o["state"], "provisioning");
    assert_eq!(balance(&app, &token).await, 2000 - price);
    app.drain_jobs().await;
    let (_, orders) = app.get("/api/v1/orders", Some(&token)).await;
    assert_eq!(orders[0]["state"], "completed");
    let iccid = orders[0]["iccid"].as_str().unwrap().to_owned();
    assert!(
        tern_domain::ids::Iccid::parse(&iccid).is_ok(),
        "ICCID {iccid} passes Luhn"
    );

    let (s, esim) = app.get(&format!("/api/v1/esims/{iccid}"), Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    let code = esim["activation_code"].as_str().unwrap();
    let parsed = tern_domain::activation_code::ActivationCode::parse(code).unwrap();
    assert_eq!(parsed.smdp_address(), esim["smdp_address"]);
    assert_eq!(parsed.matching_id(), esim["matching_id"]);
    assert!(code.starts_with("LPA:1$smdp.tern.test$"));
    assert!(
        esim["ios_install_link"]
            .as_str()
            .unwrap()
            .starts_with("https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24")
    );
    assert_eq!(esim["state"], "released");
    let pkg = &esim["packages"][0];
    assert_eq!(pkg["data_left_bytes"], 5 * 1024 * 1024 * 1024_i64);
    let res = app
        .client
        .get(format!("{}/api/v1/esims/{iccid}/qr.svg", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    assert!(res.text().await.unwrap().contains("<svg"));
    app.drain_jobs().await;
    assert!(
        app.mail_to("tia@example.com")
            .iter()
            .any(|m| m.subject == "Your eSIM is ready to install")
    );

    // The phone scans the code: the emulator calls Tern back over HTTP.
    let (s, _) = app
        .post(
            &format!("/api/v1/esims/{iccid}/simulate-install"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let mut state = String::new();
    for _ in 0..100 {
        state = app.get(&format!("/api/v1/esims/{iccid}"), Some(&token)).await.1["state"]
            .as_str()
            .unwrap()
            .to_owned();
        if state == "installed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(state, "installed");

    // Someone else sees none of it.
    let eve = app.user("eve@example.com", PW).await;
    assert_eq!(
        app.get(&format!("/api/v1/esims/{iccid}"), Some(&eve)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/orders/{}", orders[0]["id"].as_str().unwrap()),
            Some(&eve)
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (s, _) = order(&app, &eve, None, json!({ "plan_code": "JP-1GB-7D", "iccid": iccid })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "no top-ups of someone else's eSIM");
    assert_ledger_balanced(&app).await;
    app.stop().await;
});

on_both!(
    fifty_concurrent_orders_against_a_balance_for_three,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let (_, plan) = app.get("/api/v1/plans/JP-1GB-7D", None).await;
        let price = plan["price"]["amount_minor"].as_i64().unwrap();
        let token = funded_traveller(&app, "uma@example.com", price * 3 + price / 2).await;
        let statuses: Vec<(StatusCode, Value)> = futures::stream::iter(0..50)
            .map(|_| {
                let app = &app;
                let token = token.clone();
                async move { order(app, &token, None, json!({ "plan_code": "JP-1GB-7D" })).await }
            })
            .buffer_unordered(50)
            .collect()
            .await;
        let created = statuses.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
        let refused: Vec<&Value> = statuses
            .iter()
            .filter(|(s, _)| *s == StatusCode::PAYMENT_REQUIRED)
            .map(|(_, b)| b)
            .collect();
        assert_eq!(created, 3, "{statuses:?}");
        assert_eq!(refused.len(), 47);
        assert_eq!(refused[0]["error"]["code"], "insufficient_funds");
        assert_eq!(
            refused[0]["error"]["shortfall"],
            json!({ "amount_minor": price / 2 + price % 2, "currency": "USD" })
        );
        assert_eq!(balance(&app, &token).await, price / 2);
        assert_ledger_balanced(&app).await;
        app.stop().await;
    }
);

on_both!(
    a_replayed_idempotency_key_returns_the_same_order_and_charges_once,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let token = funded_traveller(&app, "vic@example.com", 5000).await;
        let before = balance(&app, &token).await;
        let first = order(&app, &token, Some("key-1"), json!({ "plan_code": "KR-3GB-10D" })).await;
        assert_eq!(first.0, StatusCode::CREATED, "{}", first.1);
        // Concurrent and sequential replays.
        let replays: Vec<(StatusCode, Value)> = futures::stream::iter(0..10)
            .map(|_| {
                let app = &app;
                let token = token.clone();
                async move { order(app, &token, Some("key-1"), json!({ "plan_code": "KR-3GB-10D" })).await }
            })
            .buffer_unordered(10)
            .collect()
            .await;
        for r in &replays {
            assert_eq!(r.0, StatusCode::CREATED);
            assert_eq!(r.1["id"], first.1["id"]);
        }
        let price = first.1["price"]["amount_minor"].as_i64().unwrap();
        assert_eq!(balance(&app, &token).await, before - price, "charged once");
        let (s, b) = order(&app, &token, Some("key-1"), json!({ "plan_code": "JP-1GB-7D" })).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("idempotency_key_reused"))
        );
        // Two concurrent first uses of a new key also make one order.
        let racers: Vec<(StatusCode, Value)> = futures::stream::iter(0..8)
            .map(|_| {
                let app = &app;
                let token = token.clone();
                async move { order(app, &token, Some("key-2"), json!({ "plan_code": "JP-1GB-7D" })).await }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        let ids: std::collections::HashSet<String> = racers
            .iter()
            .map(|r| r.1["id"].as_str().unwrap_or("none").to_owned())
            .collect();
        assert_eq!(ids.len(), 1, "{racers:?}");
        let (_, orders) = app.get("/api/v1/orders", Some(&token)).await;
        assert_eq!(orders.as_array().unwrap().len(), 2);
        assert_ledger_balanced(&app).await;
        app.stop().await;
    }
);

on_both!(a_provisioning_failure_returns_the_money, |db: Db| async move {
    // The emulator has one profile: the second new eSIM cannot be made.
    let app = TestApp::start_with(db, |s| s.smdp.emulator_profiles = 1).await;
    let token = funded_traveller(&app, "wes@example.com", 3000).await;
    bought_esim(&app, &token, "JP-1GB-7D").await;
    let before = balance(&app, &token).await;
    let (s, o) = order(&app, &token, None, json!({ "plan_code": "JP-1GB-7D" })).await;
    assert_eq!(s, StatusCode::CREATED);
    app.drain_jobs().await;
    let (_, o) = app
        .get(&format!("/api/v1/orders/{}", o["id"].as_str().unwrap()), Some(&token))
        .await;
    assert_eq!(o["state"], "failed");
    assert!(o["failure_reason"].as_str().unwrap().contains("8.2.5"), "{o}");
    assert_eq!(balance(&app, &token).await, before, "money returned");
    let (_, w) = app.get("/api/v1/wallet", Some(&token)).await;
    assert_eq!(w["history"][0]["kind"], "purchase_reversal");
    // Running the job again changes nothing.
    app.drain_jobs().await;
    assert_eq!(balance(&app, &token).await, before);
    assert_ledger_balanced(&app).await;
    app.stop().await;
});

on_both!(
    cancel_refunds_an_unused_esim_but_not_an_installed_one,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let token = funded_traveller(&app, "xia@example.com", 5000).await;
        let iccid = bought_esim(&app, &token, "TH-3GB-8D").await;
        let (_, orders) = app.get("/api/v1/orders", Some(&token)).await;
        let id = orders[0]["id"].as_str().unwrap().to_owned();
        let (s, o) = app
            .post(&format!("/api/v1/orders/{id}/cancel"), Some(&token), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{o}");
        assert_eq!(o["state"], "canceled");
        assert_eq!(balance(&app, &token).await, 5000);
        let (_, e) = app.get(&format!("/api/v1/esims/{iccid}"), Some(&token)).await;
        assert_eq!(e["state"], "canceled");
        let (s, b) = app
            .post(&format!("/api/v1/orders/{id}/cancel"), Some(&token), json!({}))
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("order_not_cancellable_state"))
        );

        let iccid = bought_esim(&app, &token, "TH-3GB-8D").await;
        app.post(
            &format!("/api/v1/esims/{iccid}/simulate-install"),
            Some(&token),
            json!({}),
        )
        .await;
        for _ in 0..100 {
            if app.get(&format!("/api/v1/esims/{iccid}"), Some(&token)).await.1["state"] == "installed" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (_, orders) = app.get("/api/v1/orders", Some(&token)).await;
        let id = orders[0]["id"].as_str().unwrap().to_owned();
        let (s, b) = app
            .call(
                Method::POST,
                &format!("/api/v1/orders/{id}/cancel"),
                Some(&token),
                Some(json!({})),
            )
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("esim_installed"))
        );
        assert_ledger_balanced(&app).await;
        app.stop().await;
    }
);

on_both!(
    esim_reads_answer_each_caller_and_see_sign_outs_at_once,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let ann = funded_traveller(&app, "ann@example.com", 2000).await;
        let bob = funded_traveller(&app, "bob@example.com", 2000).await;
        let ann_iccid = bought_esim(&app, &ann, "JP-5GB-15D").await;
        let bob_iccid = bought_esim(&app, &bob, "JP-1GB-7D").await;
        // A top-up: Ann's eSIM has two packages, which come oldest first.
        let (s, o) = order(
            &app,
            &ann,
            None,
            json!({ "plan_code": "JP-1GB-7D", "iccid": ann_iccid }),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        app.drain_jobs().await;
        // Dated before the first, though stored after it: the answer follows
        // the dates, not the order the database happens to keep rows in.
        sqlx::query("UPDATE packages SET created_at = created_at - 86400000 WHERE order_id = $1")
            .bind(o["id"].as_str().unwrap())
            .execute(app.app().db.pool())
            .await
            .unwrap();

        // Many at once, so that lookups share queries (see tern_app::batch):
        // every caller still gets exactly their own answer.
        let cases = [
            (
                ann.as_str(),
                ann_iccid.as_str(),
                StatusCode::OK,
                &["JP-1GB-7D", "JP-5GB-15D"][..],
            ),
            (bob.as_str(), bob_iccid.as_str(), StatusCode::OK, &["JP-1GB-7D"]),
            (ann.as_str(), bob_iccid.as_str(), StatusCode::NOT_FOUND, &[]),
            (bob.as_str(), ann_iccid.as_str(), StatusCode::NOT_FOUND, &[]),
            ("not-a-token", ann_iccid.as_str(), StatusCode::UNAUTHORIZED, &[]),
            (ann.as_str(), "8900000000000000000", StatusCode::NOT_FOUND, &[]),
        ];
        let answers: Vec<_> = futures::stream::iter((0..240).map(|i| {
            let (token, iccid, status, plan) = cases[i % cases.len()];
            let app = &app;
            async move {
                let (s, e) = app.get(&format!("/api/v1/esims/{iccid}"), Some(token)).await;
                (s, e, status, iccid, plan)
            }
        }))
        .buffer_unordered(48)
        .collect()
        .await;
        for (s, e, status, iccid, plan) in answers {
            assert_eq!(s, status, "{iccid}: {e}");
            if s == StatusCode::OK {
                assert_eq!(e["iccid"], iccid);
                let plans: Vec<&str> = e["packages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["plan_code"].as_str().unwrap())
                    .collect();
                assert_eq!(plans, plan, "{e}");
            }
        }
        let path = format!("/api/v1/esims/{ann_iccid}");

        // Signing out counts for the very next request.
        let second = app.login("ann@example.com", PW).await;
        let (s, _) = app
            .call(Method::DELETE, "/api/v1/sessions/current", Some(&ann), None)
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(app.get(&path, Some(&ann)).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(app.get(&path, Some(&second)).await.0, StatusCode::OK);

        // So does a password change, which ends the other sessions.
        let third = app.login("ann@example.com", PW).await;
        assert_eq!(app.get(&path, Some(&third)).await.0, StatusCode::OK);
        let (s, _) = app
            .post(
                "/api/v1/me/password",
                Some(&second),
                json!({ "current_password": PW, "new_password": "a much longer passphrase 2026" }),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(app.get(&path, Some(&third)).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(app.get(&path, Some(&second)).await.0, StatusCode::OK);

        // And a frozen account.
        let (_, me) = app.get("/api/v1/me", Some(&second)).await;
        sqlx::query("UPDATE accounts SET status = 'frozen' WHERE id = $1")
            .bind(me["id"].as_str().unwrap())
            .execute(app.app().db.pool())
            .await
            .unwrap();
        assert_eq!(app.get(&path, Some(&second)).await.0, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
);

on_both!(
    the_esim_detail_follows_every_change_to_the_esim_and_its_packages,
    |db: Db| async move {
        // The detail is rendered again only when the database says the eSIM
        // or a package changed (tern_app::esims::Rendered); changes made
        // outside this process, straight in the database, count too.
        let app = TestApp::start(db).await;
        let token = funded_traveller(&app, "cai@example.com", 5000).await;
        let iccid = bought_esim(&app, &token, "JP-5GB-15D").await;
        let path = format!("/api/v1/esims/{iccid}");
        let sql = |q: &'static str| {
            let iccid = iccid.clone();
            let pool = app.app().db.pool().clone();
            async move { sqlx::query(q).bind(iccid).execute(&pool).await.unwrap() }
        };
        let (s, first) = app.get(&path, Some(&token)).await;
        assert_eq!(s, StatusCode::OK, "{first}");
        assert_eq!(app.get(&path, Some(&token)).await.1, first, "unchanged");
        assert_eq!(first["packages"][0]["data_used_bytes"], 0);

        sql("UPDATE packages SET used_data_bytes = 1048576 WHERE iccid = $1").await;
        let (_, e) = app.get(&path, Some(&token)).await;
        assert_eq!(e["packages"][0]["data_used_bytes"], 1048576, "{e}");
        assert_eq!(
            e["packages"][0]["data_left_bytes"],
            5 * 1024 * 1048576_i64 - 1048576,
            "{e}"
        );

        sql("UPDATE esims SET last_error = 'profile download failed' WHERE iccid = $1").await;
        let (_, e) = app.get(&path, Some(&token)).await;
        assert_eq!(e["last_error"], "profile download failed", "{e}");

        // A package added (a top-up), then taken away again.
        let (s, o) = order(&app, &token, None, json!({ "plan_code": "JP-1GB-7D", "iccid": iccid })).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        app.drain_jobs().await;
        let (_, e) = app.get(&path, Some(&token)).await;
        assert_eq!(e["packages"].as_array().map(Vec::len), Some(2), "{e}");
        sql("DELETE FROM packages WHERE iccid = $1 AND plan_code = 'JP-1GB-7D'").await;
        let (_, e) = app.get(&path, Some(&token)).await;
        assert_eq!(e["packages"].as_array().map(Vec::len), Some(1), "{e}");
        assert_eq!(e["packages"][0]["data_used_bytes"], 1048576, "{e}");

        // Another account's reading of the same ICCID is still refused.
        let other = funded_traveller(&app, "dan@example.com", 100).await;
        assert_eq!(app.get(&path, Some(&other)).await.0, StatusCode::NOT_FOUND);
        app.stop().await;
    }
);

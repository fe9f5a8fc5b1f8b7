//! Provisioning against an SM-DP+ that behaves as SGP.22 allows: answers
//! lost after they took effect, refusals, no `smdpAddress`, ICCIDs without
//! a check digit. Whatever fails, the money comes back exactly once and no
//! profile stays reserved at the SM-DP+ for a failed order (issue 17,
//! items 4 to 7); the emulator's own inventory read says so.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::given::funded_traveller;
use crate::harness::{Db, TestApp};
use crate::on_both;
use crate::wallet::assert_ledger_balanced;

const PLAN: &str = "JP-1GB-7D";

/// Makes the in-process emulator show `fault` on the next `times` calls of
/// `function`.
async fn inject(app: &TestApp, function: &str, fault: &str, times: u32) {
    let base = app.app().emulator_url.clone().unwrap();
    let res = reqwest::Client::new()
        .post(format!("{base}/emulator/faults"))
        .json(&json!({ "function": function, "fault": fault, "times": times }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

/// The emulator's profiles that are not `Available`.
async fn reserved(app: &TestApp) -> Vec<Value> {
    let base = app.app().emulator_url.clone().unwrap();
    reqwest::get(format!("{base}/emulator/profiles"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// One emulator profile.
async fn profile(app: &TestApp, iccid: &str) -> Value {
    let base = app.app().emulator_url.clone().unwrap();
    reqwest::get(format!("{base}/emulator/profiles/{iccid}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Runs jobs, retries included, until none is left to run.
async fn settle(app: &TestApp) {
    for _ in 0..200 {
        app.drain_jobs().await;
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state <> 'failed'")
            .fetch_one(app.app().db.pool())
            .await
            .unwrap();
        if left == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    panic!("jobs never settled");
}

/// Places a new-eSIM order and lets the jobs run; returns the order.
async fn order_and_settle(app: &TestApp, token: &str) -> Value {
    let (s, o) = app
        .post("/api/v1/orders", Some(token), json!({ "plan_code": PLAN }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    settle(app).await;
    let (_, o) = app
        .get(&format!("/api/v1/orders/{}", o["id"].as_str().unwrap()), Some(token))
        .await;
    o
}

async fn balance(app: &TestApp, token: &str) -> i64 {
    app.get("/api/v1/wallet", Some(token)).await.1["balance"]["amount_minor"]
        .as_i64()
        .unwrap()
}

/// Profiles held for orders that are not completed (the leak to avoid).
async fn held_for_failed_orders(app: &TestApp) -> Vec<Value> {
    let completed: Vec<String> = sqlx::query_scalar("SELECT iccid FROM esims")
        .fetch_all(app.app().db.pool())
        .await
        .unwrap();
    reserved(app)
        .await
        .into_iter()
        .filter(|p| {
            let digits = p["iccid"].as_str().unwrap().trim_end_matches('F');
            !completed.iter().any(|c| c == digits)
        })
        .collect()
}

on_both!(every_failure_point_leaves_no_profile_reserved, |db: Db| async move {
    let app = TestApp::start_with(db, |s| s.jobs.max_attempts = 3).await;
    let token = funded_traveller(&app, "fay@example.com", 50_000).await;
    let start = balance(&app, &token).await;

    // 1. confirmOrder refused for good after downloadOrder reserved a profile.
    inject(&app, "confirmOrder", "execution_error", 1).await;
    let o = order_and_settle(&app, &token).await;
    assert_eq!(o["state"], "failed", "{o}");

    // 2. confirmOrder's answer lost, then the SM-DP+ unreachable until the
    //    attempts run out: the cancel must name the matching id.
    // (Three attempts: the lost answer, then two replays that fail.)
    inject(&app, "confirmOrder", "answer_lost", 1).await;
    inject(&app, "confirmOrder", "unavailable", 2).await;
    let o = order_and_settle(&app, &token).await;
    assert_eq!(o["state"], "failed", "{o}");

    // 3. The SM-DP+ down for confirmOrder on every attempt.
    inject(&app, "confirmOrder", "unavailable", 3).await;
    let o = order_and_settle(&app, &token).await;
    assert_eq!(o["state"], "failed", "{o}");

    // 4. The first cancelOrder of a give-back fails too: the job retries.
    inject(&app, "confirmOrder", "execution_error", 1).await;
    inject(&app, "cancelOrder", "unavailable", 1).await;
    let o = order_and_settle(&app, &token).await;
    assert_eq!(o["state"], "failed", "{o}");

    // Every failed order's money is back, once; nothing is left reserved.
    assert_eq!(balance(&app, &token).await, start);
    assert_ledger_balanced(&app).await;
    assert_eq!(held_for_failed_orders(&app).await, Vec::<Value>::new());
    assert_eq!(
        reserved(&app).await,
        Vec::<Value>::new(),
        "no order completed, so nothing is held"
    );
    let given_back = crate::given::audited(&app, "order.failed")
        .await
        .iter()
        .filter(|(_, d)| d["profile_given_back"].is_string())
        .count();
    assert_eq!(given_back, 4, "each failed order says which profile it gave back");

    // And the next order still works.
    let o = order_and_settle(&app, &token).await;
    assert_eq!(o["state"], "completed", "{o}");
    let iccid = o["iccid"].as_str().unwrap();
    assert_eq!(profile(&app, iccid).await["state"], "Released");
    assert_eq!(held_for_failed_orders(&app).await, Vec::<Value>::new());
});

on_both!(
    a_lost_confirm_answer_is_recovered_with_es2_functions_only,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let token = funded_traveller(&app, "gus@example.com", 5_000).await;

        // The confirm takes effect at the SM-DP+ but its answer never arrives.
        inject(&app, "confirmOrder", "answer_lost", 1).await;
        let o = order_and_settle(&app, &token).await;

        // The repeat replays confirmOrder with the same matching id; the SM-DP+
        // refuses it (already released), so the profile goes back and a fresh
        // one is ordered. No getProfileStatus, which ES2+ does not have.
        assert_eq!(o["state"], "completed", "{o}");
        let iccid = o["iccid"].as_str().unwrap().to_owned();
        let first = reserved(&app).await;
        assert_eq!(first.len(), 1, "{first:?}");
        assert_eq!(first[0]["state"], "Released");
        let (_, esim) = app.get(&format!("/api/v1/esims/{iccid}"), Some(&token)).await;
        assert_eq!(first[0]["matchingId"], esim["matching_id"], "{esim}");
        assert!(
            esim["activation_code"]
                .as_str()
                .unwrap()
                .starts_with("LPA:1$smdp.tern.test$"),
            "{esim}"
        );
        // The first profile was cancelled back to the pool (the fresh order
        // may have picked it again, under a new matching id).
        let base = app.app().emulator_url.clone().unwrap();
        let pool: Vec<Value> = reqwest::get(format!("{base}/emulator/profiles?state=Available"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let cancelled = pool
            .iter()
            .chain(first.iter())
            .filter(|p| p["canceledBefore"] == true)
            .count();
        assert_eq!(cancelled, 1, "{first:?}");
        // Paid once, for the one eSIM.
        assert_eq!(
            balance(&app, &token).await,
            5_000 - o["price"]["amount_minor"].as_i64().unwrap()
        );
        assert_ledger_balanced(&app).await;
    }
);

on_both!(a_confirm_without_smdp_address_still_makes_a_code, |db: Db| async move {
    let app = TestApp::start_with(db, |s| s.smdp.address = Some("rsp.operator.example".into())).await;
    let token = funded_traveller(&app, "hal@example.com", 5_000).await;
    inject(&app, "confirmOrder", "no_smdp_address", 1).await;

    let o = order_and_settle(&app, &token).await;

    assert_eq!(o["state"], "completed", "{o}");
    let iccid = o["iccid"].as_str().unwrap();
    let (_, esim) = app.get(&format!("/api/v1/esims/{iccid}"), Some(&token)).await;
    assert_eq!(esim["smdp_address"], "rsp.operator.example", "{esim}");
    assert_eq!(
        esim["activation_code"],
        format!("LPA:1$rsp.operator.example${}", esim["matching_id"].as_str().unwrap())
    );
});

on_both!(iccids_without_a_check_digit_work_end_to_end, |db: Db| async move {
    let app = TestApp::start_with(db, |s| {
        s.smdp.emulator_iccid_prefix = "1234".into();
        s.smdp.emulator_iccid_check_digit = false;
    })
    .await;
    let token = funded_traveller(&app, "ida@example.com", 10_000).await;

    let o = order_and_settle(&app, &token).await;
    assert_eq!(o["state"], "completed", "{o}");
    let iccid = o["iccid"].as_str().unwrap().to_owned();
    assert!(iccid.starts_with("1234"), "stored as the SM-DP+ sent it: {iccid}");
    assert!(
        tern_domain::ids::Iccid::parse(&iccid).is_err(),
        "not an ICCID a person could type"
    );

    // The traveller sees it, tops it up by typing it, installs it.
    let (s, esim) = app.get(&format!("/api/v1/esims/{iccid}"), Some(&token)).await;
    assert_eq!(s, StatusCode::OK, "{esim}");
    let (s, top_up) = app
        .post(
            "/api/v1/orders",
            Some(&token),
            json!({ "plan_code": PLAN, "iccid": iccid }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{top_up}");
    assert_eq!(top_up["state"], "completed", "{top_up}");
    // A typo in a typed ICCID is still caught.
    let (s, typo) = app
        .post(
            "/api/v1/orders",
            Some(&token),
            json!({ "plan_code": PLAN, "iccid": "1234000000000000999" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{typo}");

    let (s, b) = app
        .post(
            &format!("/api/v1/esims/{iccid}/simulate-install"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let mut state = Value::Null;
    for _ in 0..200 {
        state = app.get(&format!("/api/v1/esims/{iccid}"), Some(&token)).await.1["state"].clone();
        if state == "installed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(state, "installed");
});

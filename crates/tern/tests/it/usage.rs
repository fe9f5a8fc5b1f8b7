//! Usage from the network: batches, replays, drawing down allowances,
//! reminders, and the usage history travellers see.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::given;
use crate::harness::{Db, PW, TestApp};
use crate::on_both;

const MB: i64 = 1024 * 1024;
const GB: i64 = 1024 * MB;
const DAY: i64 = 86_400_000;

/// A traveller with an installed eSIM carrying `plan`.
async fn installed_esim(app: &TestApp, email: &str, plan: &str) -> (String, String) {
    let token = given::funded_traveller(app, email, 10_000).await;
    let iccid = given::installed_esim(app, &token, plan).await;
    (token, iccid)
}

/// A new API key with the network role.
async fn network_key(app: &TestApp) -> String {
    tern_app::usage::create_api_key(app.app(), "Test network", "network")
        .await
        .unwrap()
        .1
}

fn rfc3339(ms: i64) -> String {
    tern_app::clock::rfc3339(ms)
}

fn rec(event_id: &str, iccid: &str, kind: &str, quantity: i64, country: &str, at: i64) -> Value {
    json!({
        "event_id": event_id, "iccid": iccid, "kind": kind, "quantity": quantity,
        "country": country, "occurred_at": rfc3339(at),
    })
}

async fn post_usage(app: &TestApp, key: &str, records: Vec<Value>) -> (StatusCode, Value) {
    app.post("/api/v1/network/usage", Some(key), json!({ "records": records }))
        .await
}

async fn accepted(app: &TestApp, key: &str, records: Vec<Value>) -> Value {
    let (s, b) = post_usage(app, key, records).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

/// The packages on an eSIM as its owner sees them, by plan code.
async fn package(app: &TestApp, token: &str, iccid: &str, plan: &str) -> Value {
    let (s, e) = app.get(&format!("/api/v1/esims/{iccid}"), Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    e["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["plan_code"] == plan)
        .cloned()
        .unwrap_or_else(|| panic!("no {plan} on {iccid}: {e}"))
}

async fn stored_events(app: &TestApp) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM usage_events")
        .fetch_one(app.app().db.pool())
        .await
        .unwrap()
}

/// A valid ICCID the SM-DP+ emulator never hands out.
fn stranger_iccid() -> String {
    tern_domain::ids::Iccid::from_prefix_and_serial("8999", 4242, 19)
        .unwrap()
        .as_str()
        .to_owned()
}

on_both!(replayed_batches_draw_down_once, |db: Db| async move {
    let app = TestApp::start(db).await;
    let (token, iccid) = installed_esim(&app, "uma@example.com", "JP-5GB-15D").await;
    let key = network_key(&app).await;
    let pending = package(&app, &token, &iccid, "JP-5GB-15D").await;
    assert_eq!(pending["state"], "pending", "starts on first use: {pending}");

    // The trip starts two days after the purchase; the records span it.
    app.clock.advance(std::time::Duration::from_secs(2 * 86_400));
    let now = app.clock.now_ms();
    let first = now - 2 * DAY;
    let quantities = [300 * MB, 20 * MB, 7, GB, 123_456];
    let mut records: Vec<Value> = quantities
        .iter()
        .enumerate()
        .map(|(i, q)| rec(&format!("ev-{i}"), &iccid, "data", *q, "JP", first + i as i64 * DAY / 2))
        .collect();
    // A repeat inside the batch, a call the plan has no minutes for, an
    // unknown ICCID.
    records.push(records[1].clone());
    records.push(rec("ev-voice", &iccid, "voice", 90, "JP", now - 1000));
    records.push(rec("ev-stranger", &stranger_iccid(), "data", 5 * MB, "JP", now));
    let sum: i64 = quantities.iter().sum();

    let r = accepted(&app, &key, records.clone()).await;
    assert_eq!(
        r,
        json!({ "accepted": 6, "duplicates": 1, "unknown_iccid": 1, "overage_records": 1 })
    );
    let p = package(&app, &token, &iccid, "JP-5GB-15D").await;
    assert_eq!(p["state"], "active");
    assert_eq!(
        p["starts_at"],
        json!(rfc3339(first)),
        "validity starts at the first use"
    );
    assert_eq!(p["expires_at"], json!(rfc3339(first + 15 * DAY)));
    assert_eq!(p["data_used_bytes"], sum);
    assert_eq!(p["data_left_bytes"], 5 * GB - sum);
    assert_eq!(p["voice_used_seconds"], 0);

    // The same batch again, e.g. after a timeout: nothing changes.
    let r = accepted(&app, &key, records.clone()).await;
    assert_eq!(
        r,
        json!({ "accepted": 0, "duplicates": 8, "unknown_iccid": 0, "overage_records": 0 })
    );
    let again = package(&app, &token, &iccid, "JP-5GB-15D").await;
    assert_eq!(again, p);
    assert_eq!(stored_events(&app).await, 7);

    // The history: three UTC days in a row (no gaps), sums as sent.
    let (s, u) = app.get(&format!("/api/v1/esims/{iccid}/usage"), Some(&token)).await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(u["iccid"], iccid.as_str());
    assert_eq!(u["totals"], json!({ "data_bytes": sum, "voice_seconds": 90, "sms": 0 }));
    assert_eq!(u["overage"], json!({ "data_bytes": 0, "voice_seconds": 90, "sms": 0 }));
    let days = u["days"].as_array().unwrap();
    let day_sum: i64 = days.iter().map(|d| d["data_bytes"].as_i64().unwrap()).sum();
    assert_eq!(day_sum, sum);
    assert_eq!(
        days.iter().map(|d| d["voice_seconds"].as_i64().unwrap()).sum::<i64>(),
        90
    );
    let dates: Vec<&str> = days.iter().map(|d| d["date"].as_str().unwrap()).collect();
    let expected_first = rfc3339(first)[..10].to_owned();
    let expected_last = rfc3339(now)[..10].to_owned();
    assert_eq!(dates.first().copied(), Some(expected_first.as_str()));
    assert_eq!(dates.last().copied(), Some(expected_last.as_str()));
    assert!(dates.windows(2).all(|w| w[0] < w[1]), "{dates:?}");
    assert!((3..=4).contains(&dates.len()), "{dates:?}");

    // Only the owner sees it.
    let eve = app.user("eve@example.com", PW).await;
    let (s, _) = app.get(&format!("/api/v1/esims/{iccid}/usage"), Some(&eve)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&format!("/api/v1/esims/{iccid}/usage"), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
});

on_both!(the_soonest_expiring_package_pays_first, |db: Db| async move {
    let app = TestApp::start(db).await;
    let (token, iccid) = installed_esim(&app, "sol@example.com", "JP-5GB-15D").await;
    let key = network_key(&app).await;
    let t0 = app.clock.now_ms();
    // First use starts the 15-day Japan plan…
    accepted(&app, &key, vec![rec("a1", &iccid, "data", MB, "JP", t0)]).await;
    // …then a 30-day Asia plan is added; it starts at once (installed eSIM).
    assert_eq!(given::bought(&app, &token, "ASIA-20GB-30D", Some(&iccid)).await, iccid);
    let asia = package(&app, &token, &iccid, "ASIA-20GB-30D").await;
    assert_eq!(asia["state"], "active", "{asia}");
    let t1 = app.clock.now_ms();

    // Japan: the plan that ends first pays.
    let r = accepted(&app, &key, vec![rec("a2", &iccid, "data", 100 * MB, "JP", t1 + 1000)]).await;
    assert_eq!(r["overage_records"], 0);
    let jp = package(&app, &token, &iccid, "JP-5GB-15D").await;
    assert_eq!(jp["data_used_bytes"], 101 * MB);
    assert_eq!(
        package(&app, &token, &iccid, "ASIA-20GB-30D").await["data_used_bytes"],
        0
    );

    // More than it has left: the rest spills over to the Asia plan.
    accepted(&app, &key, vec![rec("a3", &iccid, "data", 5 * GB, "JP", t1 + 2000)]).await;
    let jp = package(&app, &token, &iccid, "JP-5GB-15D").await;
    assert_eq!(
        (jp["data_used_bytes"].as_i64(), jp["data_left_bytes"].as_i64()),
        (Some(5 * GB), Some(0))
    );
    let asia = package(&app, &token, &iccid, "ASIA-20GB-30D").await;
    assert_eq!(asia["data_used_bytes"], 101 * MB);

    // Korea: only the Asia plan covers it. The US: nothing does.
    let r = accepted(
        &app,
        &key,
        vec![
            rec("a4", &iccid, "data", 10 * MB, "KR", t1 + 3000),
            rec("a5", &iccid, "data", 42 * MB, "US", t1 + 4000),
        ],
    )
    .await;
    assert_eq!(
        r,
        json!({ "accepted": 2, "duplicates": 0, "unknown_iccid": 0, "overage_records": 1 })
    );
    let asia = package(&app, &token, &iccid, "ASIA-20GB-30D").await;
    assert_eq!(asia["data_used_bytes"], 111 * MB);
    assert_eq!(asia["data_left_bytes"], 20 * GB - 111 * MB);
    let (_, u) = app.get(&format!("/api/v1/esims/{iccid}/usage"), Some(&token)).await;
    assert_eq!(u["overage"]["data_bytes"], 42 * MB);
    assert_eq!(u["totals"]["data_bytes"], MB + 100 * MB + 5 * GB + 10 * MB + 42 * MB);
    let (pkg_of_a4,): (Option<String>,) = sqlx::query_as("SELECT package_id FROM usage_events WHERE event_id = 'a4'")
        .fetch_one(app.app().db.pool())
        .await
        .unwrap();
    assert!(pkg_of_a4.is_some());
    let (overage_a5,): (i64,) = sqlx::query_as("SELECT overage FROM usage_events WHERE event_id = 'a5'")
        .fetch_one(app.app().db.pool())
        .await
        .unwrap();
    assert_eq!(overage_a5, 42 * MB);
    app.stop().await;
});

/// Adds and verifies a mobile number through the SMS code.
async fn verify_phone(app: &TestApp, token: &str, phone: &str) {
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(token),
        Some(json!({ "phone": phone })),
    )
    .await;
    let (s, _) = app.post("/api/v1/me/phone/verification", Some(token), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    app.drain_jobs().await;
    let text = app.sms_to(phone).pop().unwrap();
    let code: String = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_owned();
    let (s, _) = app
        .post(
            "/api/v1/me/phone/verification/confirm",
            Some(token),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

on_both!(travellers_hear_at_80_and_100_percent_once_each, |db: Db| async move {
    let app = TestApp::start(db).await;
    let (token, iccid) = installed_esim(&app, "kai@example.com", "JP-1GB-7D").await;
    let phone = "+8613800138000";
    verify_phone(&app, &token, phone).await;
    let key = network_key(&app).await;
    let t = app.clock.now_ms();
    let subjects = |app: &TestApp| -> Vec<String> {
        app.mail_to("kai@example.com")
            .into_iter()
            .map(|m| m.subject)
            .filter(|s| s.contains("JP-1GB-7D"))
            .collect()
    };
    let texts_before = app.sms_to(phone).len();

    accepted(&app, &key, vec![rec("k1", &iccid, "data", 700 * MB, "JP", t)]).await;
    app.drain_jobs().await;
    assert!(subjects(&app).is_empty(), "68 %: nothing yet");
    // 80 %, then more below 100 %: one message.
    accepted(&app, &key, vec![rec("k2", &iccid, "data", 120 * MB, "JP", t + 1)]).await;
    accepted(&app, &key, vec![rec("k3", &iccid, "data", 50 * MB, "JP", t + 2)]).await;
    app.drain_jobs().await;
    assert_eq!(subjects(&app), vec!["80% of your JP-1GB-7D data is used"]);
    let mail = app.mail_to("kai@example.com").pop().unwrap();
    assert!(mail.body.contains("204 MB"), "what was left then: {}", mail.body);
    assert!(mail.body.contains(&format!("http://tern.test/esims/{iccid}")));
    // 100 %, then beyond (overage): one more message.
    let r = accepted(&app, &key, vec![rec("k4", &iccid, "data", 200 * MB, "JP", t + 3)]).await;
    assert_eq!(r["overage_records"], 1);
    accepted(&app, &key, vec![rec("k5", &iccid, "data", MB, "JP", t + 4)]).await;
    app.drain_jobs().await;
    assert_eq!(
        subjects(&app),
        vec!["80% of your JP-1GB-7D data is used", "Your JP-1GB-7D data is used up"]
    );
    let texts = app.sms_to(phone);
    assert_eq!(texts.len() - texts_before, 2, "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("80%")));
    assert!(texts.iter().any(|t| t.contains("is used")));
    let p = package(&app, &token, &iccid, "JP-1GB-7D").await;
    assert_eq!(
        (p["data_used_bytes"].as_i64(), p["data_left_bytes"].as_i64()),
        (Some(GB), Some(0))
    );
    app.stop().await;
});

on_both!(a_reminder_goes_out_a_day_before_expiry, |db: Db| async move {
    let app = TestApp::start(db).await;
    let (token, iccid) = installed_esim(&app, "zhu@example.com", "JP-1GB-7D").await;
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(&token),
        Some(json!({ "locale": "zh-CN" })),
    )
    .await;
    let key = network_key(&app).await;
    let t0 = app.clock.now_ms();
    accepted(&app, &key, vec![rec("z1", &iccid, "data", 10 * MB, "JP", t0)]).await;
    let reminders = |app: &TestApp| {
        app.mail_to("zhu@example.com")
            .into_iter()
            .filter(|m| m.subject.contains("到期"))
            .count()
    };
    assert_eq!(tern_app::usage::sweep(app.app()).await.unwrap().reminded, 0);

    app.clock.advance(Duration::from_secs(6 * 86_400 + 3_600));
    let swept = tern_app::usage::sweep(app.app()).await.unwrap();
    assert_eq!((swept.reminded, swept.expired), (1, 0));
    app.drain_jobs().await;
    assert_eq!(reminders(&app), 1, "in the account's language");
    // Once only: neither a second sweep nor new usage sends it again.
    assert_eq!(tern_app::usage::sweep(app.app()).await.unwrap().reminded, 0);
    let t1 = app.clock.now_ms();
    accepted(&app, &key, vec![rec("z2", &iccid, "data", MB, "JP", t1)]).await;
    app.drain_jobs().await;
    assert_eq!(reminders(&app), 1);

    // Over: the package expires; new usage is overage, but a late record
    // from inside the validity still counts against it.
    app.clock.advance(Duration::from_secs(86_400));
    let t2 = app.clock.now_ms();
    let r = accepted(
        &app,
        &key,
        vec![
            rec("z3", &iccid, "data", MB, "JP", t2),
            rec("z4", &iccid, "data", 2 * MB, "JP", t0 + 1000),
        ],
    )
    .await;
    assert_eq!(r["overage_records"], 1);
    let p = package(&app, &token, &iccid, "JP-1GB-7D").await;
    assert_eq!(p["state"], "expired");
    assert_eq!(p["data_used_bytes"], 13 * MB);
    // The queued sweep runs a few minutes after a batch.
    app.clock.advance(Duration::from_secs(600));
    app.drain_jobs().await;
    assert_eq!(reminders(&app), 1);
    app.stop().await;
});

on_both!(an_invalid_batch_is_refused_whole, |db: Db| async move {
    let app = TestApp::start(db).await;
    let (token, iccid) = installed_esim(&app, "ida@example.com", "JP-5GB-15D").await;
    let key = network_key(&app).await;
    let now = app.clock.now_ms();
    // ICCIDs come from the network as the SM-DP+ issued them (no check
    // digit is demanded, issue 17), but they must still be 18-20 digits.
    let too_short = &iccid[..12];
    let records = vec![
        rec("i0", &iccid, "data", MB, "JP", now),
        rec("i1", too_short, "data", MB, "JP", now),
        json!({ "event_id": "i2", "iccid": iccid, "kind": "fax", "quantity": -5, "country": "XX", "occurred_at": "soon" }),
        rec("i3", &iccid, "sms", 1, "JP", now),
        json!({ "event_id": "i4", "iccid": iccid, "kind": "data", "quantity": 1.5, "country": "JP" }),
    ];
    let res = app
        .client
        .post(format!("{}/api/v1/network/usage", app.url))
        .bearer_auth(&key)
        .header("accept-language", "zh-CN")
        .json(&json!({ "records": records }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["error"]["code"], "validation_failed");
    assert_eq!(b["error"]["invalid_records"], 3);
    let found: Vec<(i64, String, String)> = b["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["index"].as_i64().unwrap(),
                d["field"].as_str().unwrap().to_owned(),
                d["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(i64, String, String)> = [
        (1, "iccid", "iccid_invalid_length"),
        (2, "kind", "kind_invalid"),
        (2, "quantity", "quantity_not_positive"),
        (2, "country", "country_unknown"),
        (2, "occurred_at", "occurred_at_invalid"),
        (4, "quantity", "quantity_invalid"),
        (4, "occurred_at", "field_missing"),
    ]
    .iter()
    .map(|(i, f, c)| (*i, format!("records[{i}].{f}"), (*c).to_owned()))
    .collect();
    assert_eq!(found, expected);
    assert_eq!(b["error"]["details"][0]["message"], "ICCID 应为 18 到 20 位数字。");
    // Nothing stored, nothing drawn down.
    assert_eq!(stored_events(&app).await, 0);
    let p = package(&app, &token, &iccid, "JP-5GB-15D").await;
    assert_eq!(
        (p["state"].as_str(), p["data_used_bytes"].as_i64()),
        (Some("pending"), Some(0))
    );

    // Empty, too many, and not a batch at all.
    let (s, b) = post_usage(&app, &key, vec![]).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("batch_empty"))
    );
    let many: Vec<Value> = (0..10_001)
        .map(|i| rec(&format!("m{i}"), &iccid, "sms", 1, "JP", now))
        .collect();
    let (s, b) = post_usage(&app, &key, many).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("batch_too_large"))
    );
    let (s, b) = app
        .post("/api/v1/network/usage", Some(&key), json!({ "rows": [] }))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body"))
    );
    assert_eq!(stored_events(&app).await, 0);
    app.stop().await;
});

on_both!(only_network_keys_may_post_usage, |db: Db| async move {
    let app = TestApp::start(db).await;
    let (token, iccid) = installed_esim(&app, "net@example.com", "JP-5GB-15D").await;
    let now = app.clock.now_ms();
    let batch = vec![rec("n1", &iccid, "data", MB, "JP", now)];
    // No key, a user's session token, a made-up key.
    for auth in [None, Some(token.as_str()), Some("tern_key_not-a-real-key")] {
        let (s, b) = app
            .post("/api/v1/network/usage", auth, json!({ "records": batch.clone() }))
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
        );
    }
    // A staff session is no key either.
    tern_app::accounts::create_staff(app.app(), "ops@example.com", tern_domain::Role::Admin, PW)
        .await
        .unwrap();
    let admin = app.login("ops@example.com", PW).await;
    assert_eq!(
        post_usage(&app, &admin, batch.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(stored_events(&app).await, 0);

    let key = network_key(&app).await;
    assert_eq!(post_usage(&app, &key, batch.clone()).await.0, StatusCode::OK);
    // A network key is not a session either.
    assert_eq!(app.get("/api/v1/me", Some(&key)).await.0, StatusCode::UNAUTHORIZED);
    // Revoked: refused at once.
    let id = tern_app::usage::list_api_keys(app.app()).await.unwrap()[0].id.clone();
    assert!(tern_app::usage::revoke_api_key(app.app(), &id).await.unwrap());
    assert_eq!(post_usage(&app, &key, batch).await.0, StatusCode::UNAUTHORIZED);
    let err = tern_app::usage::create_api_key(app.app(), "x", "admin")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "validation_failed");
    app.stop().await;
});

on_both!(a_full_batch_of_ten_thousand_records, |db: Db| async move {
    let app = TestApp::start(db).await;
    let (token, iccid) = installed_esim(&app, "max@example.com", "JP-UNL-10D").await;
    let key = network_key(&app).await;
    let now = app.clock.now_ms();
    let stranger = stranger_iccid();
    let records: Vec<Value> = (0..10_000)
        .map(|i| {
            let target = if i % 10 == 9 { &stranger } else { &iccid };
            rec(
                &format!("big-{i:05}"),
                target,
                "data",
                1_000 + i,
                "JP",
                now - (10_000 - i) * 1_000,
            )
        })
        .collect();
    let sum: i64 = (0..10_000).filter(|i| i % 10 != 9).map(|i| 1_000 + i).sum();
    let started = std::time::Instant::now();
    let r = accepted(&app, &key, records.clone()).await;
    eprintln!("10 000 records in {:?}", started.elapsed());
    assert_eq!(
        r,
        json!({ "accepted": 9_000, "duplicates": 0, "unknown_iccid": 1_000, "overage_records": 0 })
    );
    let r = accepted(&app, &key, records).await;
    assert_eq!(r["duplicates"], 10_000);
    assert_eq!(r["accepted"], 0);
    let p = package(&app, &token, &iccid, "JP-UNL-10D").await;
    assert_eq!(p["data_used_bytes"], sum);
    assert_eq!(p["data_left_bytes"], Value::Null, "unlimited");
    let (_, u) = app.get(&format!("/api/v1/esims/{iccid}/usage"), Some(&token)).await;
    assert_eq!(u["totals"]["data_bytes"], sum);
    assert_eq!(stored_events(&app).await, 10_000);
    app.stop().await;
});

on_both!(
    concurrent_overlapping_batches_count_each_event_once,
    |db: Db| async move {
        use futures::StreamExt;
        let app = TestApp::start(db).await;
        let (token, iccid) = installed_esim(&app, "ola@example.com", "JP-20GB-30D").await;
        let key = network_key(&app).await;
        let now = app.clock.now_ms();
        let stranger = stranger_iccid();
        // Batch i holds events 10·i … 10·i+29: neighbours share 20 events.
        // The last batches name only an unknown ICCID, so nothing is locked
        // and they race on the event ids alone.
        let batch = |i: i64| -> Vec<Value> {
            (i * 10..i * 10 + 30)
                .map(|e| {
                    let target = if i >= 6 { &stranger } else { &iccid };
                    let id = if i >= 6 { format!("s{e}") } else { format!("c{e}") };
                    rec(&id, target, "data", 1_000 + e, "JP", now - 100_000 + e)
                })
                .collect()
        };
        let batches: Vec<Vec<Value>> = (0..9).flat_map(|i| [batch(i), batch(i)]).collect();
        let reports: Vec<Value> = futures::stream::iter(batches)
            .map(|b| {
                let app = &app;
                let key = &key;
                async move { accepted(app, key, b).await }
            })
            .buffer_unordered(18)
            .collect()
            .await;
        let total = |k: &str| reports.iter().map(|r| r[k].as_i64().unwrap()).sum::<i64>();
        // Known eSIM: events c0 … c79; unknown: s60 … s109.
        assert_eq!(total("accepted"), 80, "{reports:?}");
        assert_eq!(total("unknown_iccid"), 50, "{reports:?}");
        assert_eq!(total("duplicates"), 18 * 30 - 130);
        let sum: i64 = (0..80).map(|e| 1_000 + e).sum();
        let p = package(&app, &token, &iccid, "JP-20GB-30D").await;
        assert_eq!(p["data_used_bytes"], sum);
        assert_eq!(stored_events(&app).await, 130);
        app.stop().await;
    }
);

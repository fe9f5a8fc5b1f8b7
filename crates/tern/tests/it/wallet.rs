//! The wallet and vouchers.

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use tern_domain::Money;

use crate::harness::{Db, PW, TestApp};
use crate::on_both;

/// Issues `n` cash vouchers of `minor` cents and returns their printed codes.
pub async fn vouchers(app: &TestApp, minor: i64, n: usize, promo: bool) -> Vec<String> {
    let usd = tern_domain::Currency::parse("USD").unwrap();
    let batch = tern_app::wallet::issue_vouchers(app.app(), Money::new(minor, usd), n, promo, None, |_| {})
        .await
        .unwrap();
    batch.codes.iter().map(|c| c.to_string()).collect()
}

/// Asserts the whole ledger balances and no wallet is negative.
pub async fn assert_ledger_balanced(app: &TestApp) {
    let mut conn = app.app().db.conn().await.unwrap();
    let (unbalanced, drifted) = tern_store::ledger::integrity(&mut conn).await.unwrap();
    assert!(unbalanced.is_empty(), "unbalanced transactions: {unbalanced:?}");
    assert!(
        drifted.is_empty(),
        "balances that differ from their entries or are negative: {drifted:?}"
    );
    let total: Option<i64> = sqlx::query_scalar("SELECT CAST(SUM(amount_minor) AS BIGINT) FROM ledger_entries")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(total.unwrap_or(0), 0, "the whole ledger sums to zero");
}

on_both!(a_voucher_is_redeemed_once, |db: Db| async move {
    let app = TestApp::start(db).await;
    let ann = app.user("ann@example.com", PW).await;
    let bob = app.user("bob@example.com", PW).await;
    let codes = vouchers(&app, 2000, 2, false).await;

    let (s, w) = app.get("/api/v1/wallet", Some(&ann)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(w["balance"], json!({ "amount_minor": 0, "currency": "USD" }));

    // Typed in lower case without dashes: still the same code.
    let typed = codes[0].replace('-', "").to_lowercase();
    let (s, w) = app
        .post("/api/v1/wallet/redeem", Some(&ann), json!({ "code": typed }))
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    assert_eq!(w["balance"]["amount_minor"], 2000);
    assert_eq!(w["cash"]["amount_minor"], 2000);
    assert_eq!(w["history"][0]["kind"], "voucher");
    assert_eq!(w["history"][0]["amount"]["amount_minor"], 2000);

    let (s, b) = app
        .post("/api/v1/wallet/redeem", Some(&bob), json!({ "code": codes[0] }))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("voucher_already_redeemed"))
    );
    let (s, b) = app
        .post("/api/v1/wallet/redeem", Some(&ann), json!({ "code": codes[0] }))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("voucher_already_redeemed"))
    );

    // One wrong character: caught by the check character.
    let mut typo: Vec<char> = codes[1].chars().collect();
    typo[0] = if typo[0] == 'A' { 'B' } else { 'A' };
    let typo: String = typo.into_iter().collect();
    let (s, b) = app
        .post("/api/v1/wallet/redeem", Some(&bob), json!({ "code": typo }))
        .await;
    assert_eq!(
        (s, b["error"]["details"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("voucher_invalid"))
    );
    let (s, _) = app
        .post("/api/v1/wallet/redeem", Some(&bob), json!({ "code": "hello" }))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, w) = app.get("/api/v1/wallet", Some(&bob)).await;
    assert_eq!(w["balance"]["amount_minor"], 0);
    assert_ledger_balanced(&app).await;
    app.stop().await;
});

on_both!(concurrent_redemptions_of_one_code_credit_once, |db: Db| async move {
    let app = TestApp::start(db).await;
    let mut tokens = vec![];
    for i in 0..4 {
        tokens.push(app.user(&format!("racer{i}@example.com"), PW).await);
    }
    let code = vouchers(&app, 500, 1, false).await.remove(0);
    let statuses: Vec<StatusCode> = futures::stream::iter(0..20)
        .map(|i| {
            let token = tokens[i % 4].clone();
            let code = code.clone();
            let app = &app;
            async move {
                app.post("/api/v1/wallet/redeem", Some(&token), json!({ "code": code }))
                    .await
                    .0
            }
        })
        .buffer_unordered(20)
        .collect()
        .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let mut total = 0;
    for t in &tokens {
        total += app.get("/api/v1/wallet", Some(t)).await.1["balance"]["amount_minor"]
            .as_i64()
            .unwrap();
    }
    assert_eq!(total, 500);
    assert_ledger_balanced(&app).await;
    app.stop().await;
});

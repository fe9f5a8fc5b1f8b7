//! Wallet top-ups through the sandbox payment gateway and its signed webhook.

use reqwest::StatusCode;
use serde_json::json;
use tern_app::payments::{TestCardOutcome, sandbox_charge};

use crate::harness::{Db, PW, TestApp};
use crate::on_both;
use crate::wallet::assert_ledger_balanced;

async fn top_up_row(app: &TestApp, id: &str) -> tern_store::top_ups::TopUpRow {
    let mut conn = app.app().db.conn().await.unwrap();
    tern_store::top_ups::by_id(&mut conn, &id.into())
        .await
        .unwrap()
        .unwrap()
}

on_both!(a_card_top_up_credits_the_wallet_once, |db: Db| async move {
    let app = TestApp::start(db).await;
    let token = app.user("yan@example.com", PW).await;
    let (s, b) = app
        .post("/api/v1/wallet/top-ups", Some(&token), json!({ "amount_minor": 50 }))
        .await;
    assert_eq!(
        (s, b["error"]["details"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("top_up_amount_out_of_range"))
    );
    let (s, t) = app
        .post("/api/v1/wallet/top-ups", Some(&token), json!({ "amount_minor": 2500 }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["state"], "pending");
    assert!(
        t["checkout_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/sandbox/checkout/{}", t["id"].as_str().unwrap()))
    );
    let id = t["id"].as_str().unwrap().to_owned();

    // A forged webhook is refused.
    let forged =
        json!({ "type": "payment.succeeded", "top_up_id": id, "amount_minor": 2500, "currency": "USD" }).to_string();
    let res = app
        .client
        .post(format!("{}/api/v1/payments/webhook/sandbox", app.url))
        .header("x-sandbox-signature", "t=1,v1=00")
        .body(forged.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/wallet", Some(&token)).await.1["balance"]["amount_minor"],
        0
    );

    // The hosted checkout pays with the approved test card; the gateway's
    // signed webhook comes back over HTTP.
    let row = top_up_row(&app, &id).await;
    let who = tern_app::auth::authenticate(app.app(), &token).await.unwrap();
    assert_eq!(
        sandbox_charge(app.app(), &who, &row.id, "4242 4242 4242 4242")
            .await
            .unwrap(),
        TestCardOutcome::Approved
    );
    let (_, w) = app.get("/api/v1/wallet", Some(&token)).await;
    assert_eq!(w["cash"]["amount_minor"], 2500);
    assert_eq!(w["history"][0]["kind"], "top_up");
    assert_eq!(
        app.get(&format!("/api/v1/wallet/top-ups/{id}"), Some(&token)).await.1["state"],
        "succeeded"
    );

    // The same webhook again (a gateway retry) credits nothing more.
    let secret = tern_app::tokens::keyed_hash(app.app().secret_key(), "sandbox-gateway-webhook");
    let sig = tern_notify::sms::signature(&secret, app.app().now_ms() / 1000, &forged);
    let res = app
        .client
        .post(format!("{}/api/v1/payments/webhook/sandbox", app.url))
        .header("x-sandbox-signature", sig)
        .body(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/wallet", Some(&token)).await.1["balance"]["amount_minor"],
        2500
    );

    // A declined card moves no money.
    let (_, t2) = app
        .post("/api/v1/wallet/top-ups", Some(&token), json!({ "amount_minor": 1000 }))
        .await;
    let row = top_up_row(&app, t2["id"].as_str().unwrap()).await;
    assert_eq!(
        sandbox_charge(app.app(), &who, &row.id, "4000 0000 0000 0002")
            .await
            .unwrap(),
        TestCardOutcome::Declined
    );
    assert_eq!(
        app.get(&format!("/api/v1/wallet/top-ups/{}", row.id), Some(&token))
            .await
            .1["state"],
        "failed"
    );
    assert_eq!(
        app.get("/api/v1/wallet", Some(&token)).await.1["balance"]["amount_minor"],
        2500
    );
    assert!(
        sandbox_charge(app.app(), &who, &row.id, "1234").await.is_err(),
        "not a card number"
    );

    // Someone else cannot see the top-up.
    let eve = app.user("eve@example.com", PW).await;
    assert_eq!(
        app.get(&format!("/api/v1/wallet/top-ups/{id}"), Some(&eve)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_ledger_balanced(&app).await;
    app.stop().await;
});

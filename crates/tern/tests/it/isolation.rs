//! A traveller never sees another's order, eSIM, top-up or export by id:
//! every id-taking endpoint answers someone else's id exactly as it
//! answers an id that does not exist (404 `not_found`, or
//! `export_not_found` for exports), so it confirms nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::given::{bought_esim, funded_traveller};
use crate::harness::{Db, TestApp};
use crate::on_both;

on_both!(a_user_never_sees_another_users_things, |db: Db| async move {
    let app = TestApp::start(db).await;
    let ann = funded_traveller(&app, "ann@example.com", 3000).await;
    let bob = funded_traveller(&app, "bob@example.com", 3000).await;
    let iccid = bought_esim(&app, &ann, "JP-1GB-7D").await;
    let (_, orders) = app.get("/api/v1/orders", Some(&ann)).await;
    let order = orders[0]["id"].as_str().unwrap().to_owned();
    let (s, top_up) = app
        .post("/api/v1/wallet/top-ups", Some(&ann), json!({ "amount_minor": 1000 }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{top_up}");
    let top_up = top_up["id"].as_str().unwrap().to_owned();
    let (s, export) = app.post("/api/v1/me/exports", Some(&ann), json!({})).await;
    assert!(s.is_success(), "{export}");
    let export = export["id"].as_str().unwrap().to_owned();
    // A well-formed ICCID from the same range that exists nowhere.
    let ghost_iccid = tern_domain::ids::Iccid::from_prefix_and_serial(&iccid[..iccid.len() - 6], 99_999, iccid.len())
        .unwrap()
        .as_str()
        .to_owned();
    assert_ne!(ghost_iccid, iccid);

    let probes: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "/api/v1/orders/{order}", None),
        (Method::POST, "/api/v1/orders/{order}/cancel", Some(json!({}))),
        (Method::GET, "/api/v1/esims/{iccid}", None),
        (Method::GET, "/api/v1/esims/{iccid}/qr.svg", None),
        (Method::GET, "/api/v1/esims/{iccid}/usage", None),
        (Method::POST, "/api/v1/esims/{iccid}/simulate-install", Some(json!({}))),
        (Method::GET, "/api/v1/wallet/top-ups/{top_up}", None),
        (Method::GET, "/api/v1/me/exports/{export}", None),
    ];
    let fill = |p: &str, order: &str, iccid: &str, top_up: &str, export: &str| {
        p.replace("{order}", order)
            .replace("{iccid}", iccid)
            .replace("{top_up}", top_up)
            .replace("{export}", export)
    };
    for (method, pattern, body) in &probes {
        let theirs = fill(pattern, &order, &iccid, &top_up, &export);
        let nobody = fill(
            pattern,
            "no-such-order",
            &ghost_iccid,
            "no-such-top-up",
            "no-such-export",
        );
        if *method == Method::GET {
            let (owner, _) = app.call(method.clone(), &theirs, Some(&ann), None).await;
            assert!(owner.is_success(), "the owner reaches {theirs}: {owner}");
        }
        let (s, b) = app.call(method.clone(), &theirs, Some(&bob), body.clone()).await;
        let (s2, b2) = app.call(method.clone(), &nobody, Some(&bob), body.clone()).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {theirs} as another user: {b}");
        assert!(
            matches!(b["error"]["code"].as_str(), Some("not_found" | "export_not_found")),
            "{method} {theirs}: {b}"
        );
        assert_eq!(
            (s2, &b2),
            (s, &b),
            "{method} {pattern}: someone else's id answers like a missing one"
        );
    }
    // Topping up someone else's eSIM is refused like an unknown eSIM, and
    // Bob's money stays put.
    let (s, b) = app
        .post(
            "/api/v1/orders",
            Some(&bob),
            json!({ "plan_code": "JP-1GB-7D", "iccid": iccid }),
        )
        .await;
    let (s2, b2) = app
        .post(
            "/api/v1/orders",
            Some(&bob),
            json!({ "plan_code": "JP-1GB-7D", "iccid": ghost_iccid }),
        )
        .await;
    assert_eq!(
        (s, b["error"]["details"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("esim_not_found"))
    );
    assert_eq!(
        (s2, b2["error"]["details"][0]["code"].as_str()),
        (s, Some("esim_not_found"))
    );
    assert_eq!(
        app.get("/api/v1/wallet", Some(&bob)).await.1["balance"]["amount_minor"],
        3000
    );
    // Lists show only one's own.
    assert_eq!(
        app.get("/api/v1/orders", Some(&bob)).await.1.as_array().unwrap().len(),
        0
    );
    assert_eq!(
        app.get("/api/v1/esims", Some(&bob)).await.1.as_array().unwrap().len(),
        0
    );
    // The portal pages too.
    let page = |path: String| {
        let req = app.client.get(format!("{}{path}", app.url)).bearer_auth(&bob);
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(page(format!("/esims/{iccid}")).await, StatusCode::NOT_FOUND);
    assert_eq!(page(format!("/esims/{ghost_iccid}")).await, StatusCode::NOT_FOUND);
    assert_eq!(page(format!("/sandbox/checkout/{top_up}")).await, StatusCode::NOT_FOUND);
    // And the owner still has everything.
    assert_eq!(
        app.get(&format!("/api/v1/esims/{iccid}"), Some(&ann)).await.0,
        StatusCode::OK
    );
    app.stop().await;
});

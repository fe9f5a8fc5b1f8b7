//! The OpenAPI document is generated from the code; a snapshot shows every
//! change to the contract in review.

use crate::harness::{Db, TestApp};
use crate::on_both;

on_both!(openapi_document_is_stable, |db: Db| async move {
    let app = TestApp::start(db).await;
    let (s, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, reqwest::StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/accounts",
        "/api/v1/sessions",
        "/api/v1/me",
        "/api/v1/password-resets",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    if db == Db::Sqlite {
        insta::assert_json_snapshot!("openapi", doc);
    }
    app.stop().await;
});

//! Runs the authorisation matrix: every operation of the OpenAPI document
//! must have a row, and every cell must answer as the row says.

use std::collections::{BTreeSet, HashMap};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::matrix::{CALLERS, ROWS, Row};
use crate::harness::{Db, PW, TestApp};
use crate::on_both;

const OWNER: &str = "owner.matrix@example.com";
const OTHER: &str = "other.matrix@example.com";
const CLOSER: &str = "closer.matrix@example.com";
const SUPPORT: &str = "support.matrix@example.com";
const FINANCE: &str = "finance.matrix@example.com";
const ADMIN: &str = "admin.matrix@example.com";

/// The owner's resources, other callers, and the ids the paths take.
pub(super) struct Fixture {
    /// Emails per caller column (anonymous has none).
    pub(super) emails: [Option<&'static str>; 6],
    tokens: [Option<String>; 6],
    /// Path parameter values by the path segment before them (or by
    /// `before/segment` when that is more precise).
    pub(super) ids: HashMap<&'static str, String>,
}

impl Fixture {
    pub(super) async fn build(app: &TestApp) -> Self {
        let owner = crate::given::funded_traveller(app, OWNER, 5000).await;
        let iccid = crate::given::bought_esim(app, &owner, "JP-5GB-15D").await;
        let (_, orders) = app.get("/api/v1/orders", Some(&owner)).await;
        let order_id = orders[0]["id"].as_str().unwrap().to_owned();
        let (s, t) = app
            .post("/api/v1/wallet/top-ups", Some(&owner), json!({ "amount_minor": 2500 }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let (s, x) = app.post("/api/v1/me/exports", Some(&owner), json!({})).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{x}");
        // A second device of the owner's, for "end that session".
        let _second = app.login(OWNER, PW).await;
        let (_, sessions) = app.get("/api/v1/me/sessions", Some(&owner)).await;
        let other_session = sessions
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == false)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let other = app.user(OTHER, PW).await;
        // Someone else's closure request, for the operators' rows.
        let closer = app.user(CLOSER, PW).await;
        let (s, c) = crate::closure::request_closure(
            app,
            &closer,
            None,
            json!({ "password": PW, "confirmation": "CLOSE MY ACCOUNT" }),
        )
        .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{c}");
        let status_token = c["status_url"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
        let mut staff = Vec::new();
        for (email, role) in [
            (SUPPORT, tern_domain::Role::Support),
            (FINANCE, tern_domain::Role::Finance),
            (ADMIN, tern_domain::Role::Admin),
        ] {
            tern_app::accounts::create_staff(app.app(), email, role, PW)
                .await
                .unwrap();
            staff.push(app.login(email, PW).await);
        }
        let [support, finance, admin]: [String; 3] = staff.try_into().unwrap();
        let (_, me) = app.get("/api/v1/me", Some(&owner)).await;
        let owner_id = me["id"].as_str().unwrap().to_owned();
        let (_, me) = app.get("/api/v1/me", Some(&admin)).await;
        let admin_id = me["id"].as_str().unwrap().to_owned();
        // The owner's support ticket (staff see it in the queue).
        let (s, ticket) = app
            .post(
                "/api/v1/tickets",
                Some(&owner),
                json!({ "category": "other", "subject": "Matrix", "body": "A question." }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{ticket}");
        // A published announcement (publishing it again is 409) and terms
        // in effect that do not hold anyone back.
        let announcement = crate::announcements::publish(
            app,
            &admin,
            crate::announcements::announcement("maintenance", false, json!({})),
        )
        .await;
        let (s, terms) = app
            .post(
                "/api/v1/admin/terms",
                Some(&admin),
                json!({ "text": { "en": "# Terms", "zh-CN": "# 条款" }, "requires_acceptance": false }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{terms}");
        let ids = HashMap::from([
            ("orders", order_id),
            ("esims", iccid),
            ("top-ups", t["id"].as_str().unwrap().to_owned()),
            ("exports", x["id"].as_str().unwrap().to_owned()),
            ("sessions", other_session),
            ("closures", c["id"].as_str().unwrap().to_owned()),
            ("closure-status", status_token),
            // A download token nobody was sent.
            ("download", "A".repeat(43)),
            ("plans", "JP-5GB-15D".to_owned()),
            ("webhook", "sandbox".to_owned()),
            ("tickets", ticket["id"].as_str().unwrap().to_owned()),
            ("admin/accounts", owner_id),
            // Only an admin passes the check, and may not change their own
            // role or disable themselves (409).
            ("admin/staff", admin_id),
            // No such plan or refund: an authorised caller learns 404 and
            // nothing changes.
            ("admin/plans", "NO-SUCH-PLAN".to_owned()),
            ("admin/refunds", "no-such-refund".to_owned()),
            ("announcements", announcement),
            ("terms", terms["version"].to_string()),
        ]);
        Fixture {
            emails: [
                None,
                Some(OWNER),
                Some(OTHER),
                Some(SUPPORT),
                Some(FINANCE),
                Some(ADMIN),
            ],
            tokens: [
                None,
                Some(owner),
                Some(other),
                Some(support),
                Some(finance),
                Some(admin),
            ],
            ids,
        }
    }

    /// `path` with each `{param}` replaced by the owner's id of that kind.
    pub(super) fn fill(&self, path: &str) -> String {
        let mut out = Vec::new();
        let (mut before, mut prev) = ("", "");
        for seg in path.split('/') {
            if seg.starts_with('{') {
                // `admin/plans` before `plans`: operators' paths may take
                // other ids than the traveller's.
                let v = self
                    .ids
                    .get(format!("{before}/{prev}").as_str())
                    .or_else(|| self.ids.get(prev))
                    .unwrap_or_else(|| panic!("the fixture has no id for `{prev}/{seg}` in {path}: add one"));
                out.push(v.clone());
            } else {
                out.push(seg.to_owned());
            }
            (before, prev) = (prev, seg);
        }
        out.join("/")
    }
}

/// Every (METHOD, path) operation of the OpenAPI document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

/// Every (METHOD, path) routed in `api/mod.rs`, read from the source, so an
/// endpoint missing from the OpenAPI document (and so from the matrix) is
/// caught too.
fn routed_api_operations() -> BTreeSet<(String, String)> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tern-http/src/api/mod.rs")).unwrap();
    let mut ops = BTreeSet::new();
    for chunk in src.split(".route(").skip(1) {
        let Some(path) = chunk.split('"').nth(1) else { continue };
        // The handlers of this route, up to the next route.
        for method in ["get", "post", "put", "patch", "delete"] {
            if chunk.contains(&format!("{method}(")) {
                ops.insert((method.to_uppercase(), format!("/api/v1{path}")));
            }
        }
    }
    ops
}

async fn call(app: &TestApp, row: &Row, path: &str, token: Option<&str>) -> StatusCode {
    let method = Method::from_bytes(row.method.as_bytes()).unwrap();
    let mut req = app.client.request(method, format!("{}{path}", app.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if !row.body.is_empty() {
        req = req.header("content-type", "application/json").body(row.body);
    }
    req.send().await.unwrap().status()
}

on_both!(authorisation_matrix_covers_every_operation, |db: Db| async move {
    let app = TestApp::start_with(db, |s| {
        // The matrix signs in many times from one address.
        s.auth.login_attempts_per_address = 10_000;
        s.auth.login_failures_per_account = 10_000;
    })
    .await;
    let (s, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    let documented = operations(&doc);
    // A row's path may carry a query (`?q=…`); the operation is the path.
    let in_matrix: BTreeSet<(String, String)> = ROWS
        .iter()
        .map(|r| {
            (
                r.method.to_owned(),
                r.path.split('?').next().unwrap_or(r.path).to_owned(),
            )
        })
        .collect();
    assert_eq!(in_matrix.len(), ROWS.len(), "a row appears twice");
    let missing: Vec<_> = documented.difference(&in_matrix).collect();
    assert!(
        missing.is_empty(),
        "operations without a row in tests/it/security/matrix.rs: {missing:?}"
    );
    let stale: Vec<_> = in_matrix.difference(&documented).collect();
    assert!(stale.is_empty(), "rows for operations the API no longer has: {stale:?}");
    let routed = routed_api_operations();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes in api/mod.rs missing from the OpenAPI document: {undocumented:?}"
    );

    let fx = Fixture::build(&app).await;
    // Past the re-authentication window that signing in opens.
    app.clock.advance(std::time::Duration::from_secs(11 * 60));
    let mut wrong = Vec::new();
    let mut cells = 0;
    // The owner's column runs last: its calls may change the owner's data.
    for caller in [0, 2, 3, 4, 5, 1] {
        for row in ROWS {
            let path = fx.fill(row.path);
            let token = match (&fx.tokens[caller], row.fresh_session) {
                (Some(_), true) => Some(app.login(fx.emails[caller].unwrap(), PW).await),
                (t, _) => t.clone(),
            };
            let got = call(&app, row, &path, token.as_deref()).await;
            cells += 1;
            if got.as_u16() != row.expect[caller] {
                wrong.push(format!(
                    "{} {} as {}: expected {}, got {}",
                    row.method, row.path, CALLERS[caller], row.expect[caller], got
                ));
            }
        }
    }
    println!(
        "security: authorisation matrix: {} operations (all {} in the OpenAPI document, {} routed) × {} callers = {cells} cells checked",
        ROWS.len(),
        documented.len(),
        routed.len(),
        CALLERS.len()
    );
    assert!(wrong.is_empty(), "{} cells differ:\n{}", wrong.len(), wrong.join("\n"));
    app.stop().await;
});

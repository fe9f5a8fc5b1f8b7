//! The portal's pages × the six kinds of caller, like the API matrix
//! ([`super::matrix`]) but through a browser's cookies: every page the
//! portal routes for GET must have a row here (the test reads
//! `portal/mod.rs`), and each caller must get the status the row says.
//! Forms (POST) are covered by `csrf.rs` and by the API matrix, since they
//! call the same services.

use std::collections::BTreeSet;

use reqwest::StatusCode;

use super::authz::Fixture;
use super::{browser, portal_login};
use crate::harness::{Db, TestApp};
use crate::on_both;

/// anonymous, user (owner), other user, support, finance, admin.
type Expect = [u16; 6];

/// Anyone, signed in or not.
const PUBLIC: Expect = [200, 200, 200, 200, 200, 200];
/// Signed in, any role (the caller's own page); anonymous is sent to the
/// sign-in page.
const SIGNED_IN: Expect = [303, 200, 200, 200, 200, 200];
/// The owner's resource: nobody else learns it exists, staff included
/// (staff use the console's account view).
const OWNER_ONLY: Expect = [303, 200, 404, 404, 404, 404];
/// Pages for signed-out people: a signed-in caller is sent on.
const SIGNED_OUT: Expect = [200, 303, 303, 303, 303, 303];
/// Console pages by role (finance views accounts to adjust wallets).
const STAFF: Expect = [303, 403, 403, 200, 200, 200];
const SUPPORT_AND_ADMIN: Expect = [303, 403, 403, 200, 403, 200];
const FINANCE_AND_ADMIN: Expect = [303, 403, 403, 403, 200, 200];
const ADMIN_ONLY: Expect = [303, 403, 403, 403, 403, 200];

/// (path as routed, with the query a real visit sends, expected status).
const PAGES: &[(&str, Expect)] = &[
    // The landing page sends signed-in callers to their account.
    ("/", SIGNED_OUT),
    // Anyone may open a new account, signed in or not.
    ("/signup", PUBLIC),
    ("/login", SIGNED_OUT),
    ("/forgot-password", PUBLIC),
    // A link nobody was sent: a page that says so, for everyone.
    ("/verify-email?token=not-a-token", [400, 400, 400, 400, 400, 400]),
    ("/reset-password?token=not-a-token", [400, 400, 400, 400, 400, 400]),
    ("/plans", PUBLIC),
    ("/plans/{code}", PUBLIC),
    ("/terms", PUBLIC),
    ("/lang?lang=zh-CN", [303, 303, 303, 303, 303, 303]),
    ("/manifest.webmanifest", PUBLIC),
    ("/static/{file}", PUBLIC),
    // The status page of someone's closure: whoever has the link.
    ("/closure-status/{token}", PUBLIC),
    ("/exports/{token}", [404, 404, 404, 404, 404, 404]),
    ("/account", SIGNED_IN),
    ("/account/close", SIGNED_IN),
    // Nobody but the closer has a request: the page sends them to start one.
    ("/account/closure", [303, 303, 303, 303, 303, 303]),
    ("/wallet", SIGNED_IN),
    ("/esims", SIGNED_IN),
    ("/esims/{iccid}", OWNER_ONLY),
    ("/sandbox/checkout/{id}", OWNER_ONLY),
    ("/announcements", SIGNED_IN),
    ("/support", SIGNED_IN),
    ("/support/{id}", OWNER_ONLY),
    ("/admin", STAFF),
    ("/admin/accounts", STAFF),
    ("/admin/accounts/{id}", STAFF),
    ("/admin/closures", SUPPORT_AND_ADMIN),
    ("/admin/closures/{id}", SUPPORT_AND_ADMIN),
    ("/admin/tickets", SUPPORT_AND_ADMIN),
    ("/admin/tickets/{id}", SUPPORT_AND_ADMIN),
    ("/admin/refunds", FINANCE_AND_ADMIN),
    ("/admin/plans", ADMIN_ONLY),
    ("/admin/staff", ADMIN_ONLY),
    ("/admin/announcements", ADMIN_ONLY),
    ("/admin/announcements/{id}", ADMIN_ONLY),
    ("/admin/terms", ADMIN_ONLY),
];

/// Every path routed with a GET handler in `portal/mod.rs`, from the source.
fn routed_pages() -> BTreeSet<String> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tern-http/src/portal/mod.rs")).unwrap();
    let mut pages = BTreeSet::new();
    for chunk in src.split(".route(").skip(1) {
        let Some(path) = chunk.split('"').nth(1) else { continue };
        let handlers = chunk.split(".route(").next().unwrap_or(chunk);
        if handlers.contains("get(") {
            pages.insert(path.to_owned());
        }
    }
    pages
}

on_both!(
    every_portal_page_answers_each_caller_as_its_row_says,
    |db: Db| async move {
        let app = TestApp::start_with(db, |s| {
            s.auth.login_attempts_per_address = 10_000;
            s.auth.login_failures_per_account = 10_000;
        })
        .await;
        let in_table: BTreeSet<String> = PAGES
            .iter()
            .map(|(p, _)| p.split('?').next().unwrap().to_owned())
            .collect();
        assert_eq!(in_table.len(), PAGES.len(), "a page appears twice");
        let routed = routed_pages();
        let missing: Vec<_> = routed.difference(&in_table).collect();
        assert!(
            missing.is_empty(),
            "portal pages without a row in security/portal_pages.rs: {missing:?}"
        );
        let stale: Vec<_> = in_table.difference(&routed).collect();
        assert!(stale.is_empty(), "rows for pages the portal no longer has: {stale:?}");

        let mut fx = Fixture::build(&app).await;
        // Portal paths whose ids the API rows name differently.
        let top_up = fx.ids["top-ups"].clone();
        let ticket = fx.ids["tickets"].clone();
        fx.ids.insert("checkout", top_up);
        fx.ids.insert("support", ticket);
        fx.ids.insert("/exports", "A".repeat(43));
        fx.ids.insert("static", "app.css".to_owned());
        // One browser per caller; anonymous has no cookies.
        let mut browsers = Vec::new();
        for email in fx.emails {
            let b = browser();
            if let Some(email) = email {
                portal_login(&app, &b, email).await;
            }
            browsers.push(b);
        }
        let mut wrong = Vec::new();
        let mut cells = 0;
        for (caller, b) in browsers.iter().enumerate() {
            for (page, expect) in PAGES {
                let (path, query) = page.split_once('?').unwrap_or((page, ""));
                let mut url = format!("{}{}", app.url, fx.fill(path));
                if !query.is_empty() {
                    url = format!("{url}?{query}");
                }
                let res = b.get(&url).send().await.unwrap();
                let got = res.status();
                let location = res
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                cells += 1;
                // Anonymous callers sent away go to the sign-in page.
                if caller == 0 && got == StatusCode::SEE_OTHER && expect[0] == 303 && page.starts_with("/a") {
                    assert!(
                        location.starts_with("/login"),
                        "{page} sends anonymous callers to {location}"
                    );
                }
                if got.as_u16() != expect[caller] {
                    wrong.push(format!(
                        "GET {page} as {}: expected {}, got {got} {location}",
                        crate::security::matrix::CALLERS[caller],
                        expect[caller]
                    ));
                }
            }
        }
        println!(
            "security: portal pages: {} pages (all {} routed for GET) × 6 callers = {cells} cells checked",
            PAGES.len(),
            routed.len()
        );
        assert!(wrong.is_empty(), "{} cells differ:\n{}", wrong.len(), wrong.join("\n"));
        app.stop().await;
    }
);

//! Personal data exports: asked for once a day, built in the background,
//! delivered by an emailed link that expires, encrypted on disk.

use std::collections::BTreeSet;
use std::io::Read;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::given::error_code;
use crate::given::{bought_esim, funded_traveller};
use crate::harness::{Db, PW, TestApp};
use crate::on_both;

const FILES: [&str; 11] = [
    "README.txt",
    "audit.csv",
    "consents.json",
    "esims.json",
    "ledger.csv",
    "notifications.csv",
    "orders.csv",
    "profile.json",
    "sessions.csv",
    "tickets.json",
    "usage.csv",
];

/// The tokens of the "export ready" links mailed to `to`, with the
/// subjects of those emails.
pub fn export_links(app: &TestApp, to: &str) -> Vec<(String, String)> {
    let marker = "http://tern.test/exports/";
    app.mail_to(to)
        .into_iter()
        .filter_map(|m| {
            let rest = &m.body[m.body.find(marker)? + marker.len()..];
            let token = rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())].to_owned();
            Some((token, m.subject))
        })
        .collect()
}

/// Downloads `path`; the status, headers and body bytes.
pub async fn fetch(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let res = app.client.get(format!("{}{path}", app.url)).send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.bytes().await.unwrap().to_vec())
}

/// The account id the export's `profile.json` names.
fn profile_id(files: &std::collections::BTreeMap<String, String>) -> String {
    let profile: Value = serde_json::from_str(&files["profile.json"]).unwrap();
    profile["id"].as_str().unwrap().to_owned()
}

/// The files of a ZIP by name.
pub fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a ZIP");
    let mut out = std::collections::BTreeMap::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        out.insert(f.name().unwrap().into_owned(), s);
    }
    out
}

async fn housekeeping(app: &TestApp) {
    let tern = app.app();
    let mut tx = tern.db.begin().await.unwrap();
    tern_app::jobs::enqueue(tern, &mut tx, &tern_app::housekeeping::Housekeeping {})
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.drain_jobs().await;
}

on_both!(a_user_downloads_their_data_by_the_emailed_link, |db: Db| async move {
    let app = TestApp::start(db).await;
    let ada = funded_traveller(&app, "ada@example.com", 5000).await;
    let iccid = bought_esim(&app, &ada, "JP-5GB-15D").await;
    let (_, orders) = app.get("/api/v1/orders", Some(&ada)).await;
    let order_id = orders[0]["id"].as_str().unwrap().to_owned();

    let (s, export) = app.post("/api/v1/me/exports", Some(&ada), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{export}");
    assert_eq!(export["state"], "pending");
    let id = export["id"].as_str().unwrap().to_owned();
    app.drain_jobs().await;

    let links = export_links(&app, "ada@example.com");
    assert_eq!(links.len(), 1);
    let (token, subject) = links[0].clone();
    assert_eq!(subject, "Your Tern data export is ready");
    let (s, view) = app.get(&format!("/api/v1/me/exports/{id}"), Some(&ada)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(view["state"], "ready", "{view}");
    assert!(view["expires_at"].is_string() && view["downloaded_at"].is_null());

    // The link in the email is the portal's; the API serves the same file.
    let (s, headers, zip) = fetch(&app, &format!("/exports/{token}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/zip");
    let disposition = headers["content-disposition"].to_str().unwrap();
    let today = app.app().clock.now().format("%Y-%m-%d").to_string();
    assert_eq!(disposition, format!("attachment; filename=\"tern-export-{today}.zip\""));
    let (s, _, again) = fetch(&app, &format!("/api/v1/exports/download/{token}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again, zip);

    let files = unzip(&zip);
    assert_eq!(files.keys().map(String::as_str).collect::<BTreeSet<_>>(), FILES.into());
    // What each file holds, column by column, and the guide beside them.
    let headers: std::collections::BTreeMap<&str, &str> = files
        .iter()
        .filter(|(name, _)| name.ends_with(".csv"))
        .map(|(name, text)| (name.as_str(), text.lines().next().unwrap_or_default()))
        .collect();
    insta::assert_json_snapshot!("export_csv_headers", headers);
    let account = profile_id(&files);
    let readme = crate::given::redacted_text(&files["README.txt"].replace(&account, "[account]"));
    insta::assert_snapshot!("export_readme", readme);
    let profile: Value = serde_json::from_str(&files["profile.json"]).unwrap();
    assert_eq!(profile["email"], "ada@example.com");
    assert!(files["orders.csv"].contains(&order_id) && files["orders.csv"].contains("JP-5GB-15D"));
    assert!(
        files["ledger.csv"].contains(&format!("purchase,{order_id}")),
        "{}",
        files["ledger.csv"]
    );
    assert!(files["ledger.csv"].contains(",voucher,"));
    let esims: Value = serde_json::from_str(&files["esims.json"]).unwrap();
    assert_eq!(esims[0]["iccid"], iccid.as_str());
    assert_eq!(esims[0]["packages"][0]["plan_code"], "JP-5GB-15D");
    assert!(files["usage.csv"].starts_with("\u{feff}occurred_at,event_id,iccid"));
    assert!(files["notifications.csv"].contains("ada@example.com,verify_email"));
    assert!(files["audit.csv"].contains("export.requested"));
    assert_eq!(files["tickets.json"], "[]");
    // No terms were published, so none accepted; promotional mail is on.
    let consents: Value = serde_json::from_str(&files["consents.json"]).unwrap();
    assert_eq!(
        consents,
        serde_json::json!([{ "kind": "promotional_email", "granted": true }])
    );
    assert!(files["README.txt"].contains("ledger.csv") && files["README.txt"].contains("文件说明"));

    // On disk the export is sealed: no trace of the person in it.
    let dir = app.data_dir.join("exports");
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names, [std::ffi::OsString::from(format!("{id}.zip.enc"))]);
    let on_disk = std::fs::read(dir.join(format!("{id}.zip.enc"))).unwrap();
    assert!(!on_disk.windows(15).any(|w| w == b"ada@example.com"));
    assert!(on_disk.starts_with(b"TERNEXP1"), "sealed, not a plain ZIP");
    let (_, view) = app.get(&format!("/api/v1/me/exports/{id}"), Some(&ada)).await;
    assert!(view["downloaded_at"].is_string());

    // Once a day.
    let res = app
        .client
        .post(format!("{}/api/v1/me/exports", app.url))
        .bearer_auth(&ada)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait > 23 * 3600 && wait <= 24 * 3600, "{wait}");
    assert_eq!(error_code(&res.json().await.unwrap()), "export_rate_limited");

    // Nobody else can see it, and a link with one character changed opens nothing.
    let bob = app.user("bob@example.com", PW).await;
    let (s, body) = app.get(&format!("/api/v1/me/exports/{id}"), Some(&bob)).await;
    assert_eq!((s, error_code(&body)), (StatusCode::NOT_FOUND, "export_not_found"));
    let last = if token.ends_with('A') { 'B' } else { 'A' };
    let tampered = format!("{}{last}", &token[..token.len() - 1]);
    let (s, body) = app.get(&format!("/api/v1/exports/download/{tampered}"), None).await;
    assert_eq!((s, error_code(&body)), (StatusCode::NOT_FOUND, "export_not_found"));
    let (s, _, page) = fetch(&app, &format!("/exports/{tampered}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&page).contains("This export link is not valid"));

    // After seven days the link is gone for good, and so is the file.
    app.clock.advance(Duration::from_secs(7 * 86_400 + 60));
    housekeeping(&app).await;
    assert!(!dir.join(format!("{id}.zip.enc")).exists());
    let (s, body) = app.get(&format!("/api/v1/exports/download/{token}"), None).await;
    assert_eq!((s, error_code(&body)), (StatusCode::GONE, "export_expired"));
    let (s, _, _) = fetch(&app, &format!("/exports/{token}")).await;
    assert_eq!(s, StatusCode::GONE);
    let (_, view) = app.get(&format!("/api/v1/me/exports/{id}"), Some(&ada)).await;
    assert_eq!(view["state"], "expired");
    // A day has long passed: a new export may be asked for.
    let (s, _) = app.post("/api/v1/me/exports", Some(&ada), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    app.stop().await;
});

on_both!(
    a_closure_export_is_built_once_in_the_users_language,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let cho = app.user("cho@example.com", PW).await;
        let (s, _) = app
            .call(
                reqwest::Method::PATCH,
                "/api/v1/me",
                Some(&cho),
                Some(json!({ "locale": "zh-CN" })),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, me) = app.get("/api/v1/me", Some(&cho)).await;
        let account = &tern_domain::AccountId::from(me["id"].as_str().unwrap());
        // Her own export of today does not stop the closure's.
        let (s, _) = app.post("/api/v1/me/exports", Some(&cho), json!({})).await;
        assert_eq!(s, StatusCode::ACCEPTED);
        app.drain_jobs().await;
        assert_eq!(export_links(&app, "cho@example.com").len(), 1);

        tern_app::exports::create_for_closure(app.app(), account, &"closure-1".into())
            .await
            .unwrap();
        tern_app::exports::create_for_closure(app.app(), account, &"closure-1".into())
            .await
            .unwrap();
        app.drain_jobs().await;
        let links = export_links(&app, "cho@example.com");
        assert_eq!(links.len(), 2, "one more email, not two");
        for (token, subject) in links {
            assert_eq!(subject, "您的 Tern 数据导出已就绪");
            let (s, _, zip) = fetch(&app, &format!("/api/v1/exports/download/{token}")).await;
            assert_eq!(s, StatusCode::OK);
            assert!(unzip(&zip)["profile.json"].contains("cho@example.com"));
        }
        let exports = std::fs::read_dir(app.data_dir.join("exports")).unwrap().count();
        assert_eq!(exports, 2, "her own export and the closure's");
        app.stop().await;
    }
);

on_both!(
    the_account_page_asks_for_an_export_and_shows_its_state,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let dee = app.user("dee@example.com", PW).await;
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let account_page = || async {
            let res = browser
                .get(format!("{}/account", app.url))
                .bearer_auth(&dee)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.text().await.unwrap()
        };
        let ask = |csrf: String| {
            browser
                .post(format!("{}/account/export", app.url))
                .bearer_auth(&dee)
                .form(&[("csrf", csrf)])
                .send()
        };
        let html = account_page().await;
        assert!(html.contains("Download my data") && !html.contains("being prepared"));
        let marker = "name=\"csrf\" value=\"";
        let start = html.find(marker).unwrap() + marker.len();
        let csrf = html[start..start + html[start..].find('"').unwrap()].to_owned();

        let res = ask(csrf.clone()).await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()["location"], "/account?notice=export_requested");
        assert!(
            account_page()
                .await
                .contains("is being prepared. We will email you the link.")
        );
        app.drain_jobs().await;
        assert!(account_page().await.contains("Your latest export is ready"));
        assert_eq!(export_links(&app, "dee@example.com").len(), 1);

        let res = ask(csrf).await.unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.text().await.unwrap().contains("You asked for an export recently."));
        app.stop().await;
    }
);

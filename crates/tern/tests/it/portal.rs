//! The portal over plain HTTP (the browser suite drives it in Chromium).

use reqwest::StatusCode;

use crate::harness::{Db, PW, TestApp};
use crate::on_both;

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

on_both!(portal_forms_need_the_csrf_token, |db: Db| async move {
    let app = TestApp::start(db).await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser.get(format!("{}/signup", app.url)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Create your account</h1>"));
    let csrf = csrf_of(&html);

    // A forged form (no token, or a wrong one) changes nothing.
    for token in ["", "forged-token-forged-token-forged-token"] {
        let res = browser
            .post(format!("{}/signup", app.url))
            .form(&[("csrf", token), ("email", "nia@example.com"), ("password", PW)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.unwrap().contains("nothing was changed"));
    }
    // The same form from the page itself works.
    let res = browser
        .post(format!("{}/signup", app.url))
        .form(&[("csrf", csrf.as_str()), ("email", "nia@example.com"), ("password", PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Check your email"));
    app.drain_jobs().await;
    assert_eq!(app.mail_to("nia@example.com").len(), 1);
    app.stop().await;
});

on_both!(portal_sign_in_flow_and_language, |db: Db| async move {
    let app = TestApp::start(db).await;
    app.user("oli@example.com", PW).await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = browser.get(format!("{}/account", app.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login?next=%2Faccount");

    let html = browser
        .get(format!("{}/login", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let res = browser
        .post(format!("{}/login", app.url))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "oli@example.com"),
            ("password", "not my password"),
            ("next", "/account"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("The email or password is not correct.")
    );

    let res = browser
        .post(format!("{}/login", app.url))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "oli@example.com"),
            ("password", PW),
            ("next", "https://evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/account", "no open redirect");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let html = browser
        .get(format!("{}/account", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("oli@example.com"));
    assert!(html.contains("Signed-in devices"));

    let res = browser
        .get(format!("{}/lang?l=zh-CN&next=/account", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/account");
    let html = browser
        .get(format!("{}/account", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("已登录的设备"));

    let manifest = browser
        .get(format!("{}/manifest.webmanifest", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(manifest.headers()["content-type"], "application/manifest+json");
    let png = browser
        .get(format!("{}/static/icon-192.png", app.url))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    app.stop().await;
});

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} field")) + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

on_both!(
    buying_the_same_plan_again_within_minutes_needs_a_tick,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let token = crate::given::funded_traveller(&app, "pat@example.com", 5000).await;
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        browser.get(format!("{}/login", app.url)).send().await.unwrap();
        let html = browser
            .get(format!("{}/login", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let res = browser
            .post(format!("{}/login", app.url))
            .form(&[
                ("csrf", csrf_of(&html).as_str()),
                ("email", "pat@example.com"),
                ("password", PW),
                ("next", "/plans"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let page = browser
            .get(format!("{}/plans/JP-1GB-7D", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let (csrf, key1) = (csrf_of(&page), hidden(&page, "key"));
        let buy = |key: String, again: &'static str| {
            let browser = browser.clone();
            let csrf = csrf.clone();
            let url = format!("{}/plans/JP-1GB-7D/buy", app.url);
            async move {
                browser
                    .post(url)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("key", key.as_str()),
                        ("iccid", ""),
                        ("again", again),
                    ])
                    .send()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(buy(key1.clone(), "").await.status(), StatusCode::SEE_OTHER);
        // The same form again: the same order, no question asked.
        assert_eq!(buy(key1, "").await.status(), StatusCode::SEE_OTHER);
        let orders = |t: String| {
            let app = &app;
            async move { app.get("/api/v1/orders", Some(&t)).await.1.as_array().unwrap().len() }
        };
        assert_eq!(orders(token.clone()).await, 1);
        // Back, reload, Pay: a fresh form now asks first.
        let page = browser
            .get(format!("{}/plans/JP-1GB-7D", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("You bought this plan at"), "{page}");
        let key2 = hidden(&page, "key");
        let res = buy(key2.clone(), "").await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert!(res.text().await.unwrap().contains("Tick"));
        assert_eq!(orders(token.clone()).await, 1);
        assert_eq!(buy(key2, "yes").await.status(), StatusCode::SEE_OTHER);
        assert_eq!(orders(token).await, 2);
        app.stop().await;
    }
);

on_both!(
    portal_says_the_service_is_down_instead_of_asking_to_sign_in_again,
    |db: Db| async move {
        let app = TestApp::start(db).await;
        let token = app.user("pia@example.com", PW).await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let account = |lang: &'static str| {
            client
                .get(format!("{}/account", app.url))
                .bearer_auth(&token)
                .header("accept-language", lang)
                .send()
        };
        let res = account("en").await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.unwrap().contains("pia@example.com"));

        // The database goes away: a signed-in traveller is told to try again,
        // in their language, and is not sent to the sign-in page.
        app.app().db.close().await;
        for (lang, title, body) in [
            (
                "en",
                "Something went wrong.",
                "The service is briefly unavailable. Please try again in a moment.",
            ),
            ("zh-CN", "出现了问题。", "服务暂时不可用，请稍后再试。"),
        ] {
            let res = account(lang).await.unwrap();
            assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{lang}");
            let html = res.text().await.unwrap();
            assert!(html.contains(title), "{lang}: {html}");
            assert!(html.contains(body), "{lang}: {html}");
            assert!(!html.contains("pia@example.com"));
        }
        app.stop().await;
    }
);

//! The security suite: `cargo test -p tern --test it security` runs it
//! (plus the two-factor stories in `totp.rs`, `cargo test -p tern --test it
//! totp`). Each test prints what it checked (`--nocapture` shows it) and
//! fails when an invariant breaks:
//!
//! - `authz`: the authorisation matrix ([`matrix`]) over every operation of
//!   the OpenAPI document × six kinds of caller;
//! - `portal_pages`: every portal page routed for GET × the same six
//!   callers, through browser cookies;
//! - `enumeration`: sign-up, sign-in and password reset answer alike for
//!   known and unknown emails, in comparable time;
//! - `csrf`: every portal form refuses a missing or wrong token and changes
//!   nothing;
//! - `sessions`: sessions end on sign-out, password change, reset and
//!   closure;
//! - `rate_limits`: sign-in, reset, phone codes, closure re-authentication
//!   and voucher redemption are throttled;
//! - `headers`: CSP with frame-ancestors, nosniff, referrer policy, HSTS
//!   only over TLS, cookie flags;
//! - `logs`: `tern serve`'s own log output (at debug level) holds no
//!   password, token, code, voucher or card number.

mod authz;
mod csrf;
mod enumeration;
mod headers;
mod logs;
pub mod matrix;
mod portal_pages;
mod rate_limits;
mod sessions;

/// A browser: keeps cookies, does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The CSRF field of a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// Signs `browser` in through the portal's form; returns the CSRF token.
pub async fn portal_login(app: &crate::harness::TestApp, browser: &reqwest::Client, email: &str) -> String {
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
            ("email", email),
            ("password", crate::harness::PW),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER, "portal sign-in");
    csrf
}

/// The median of some durations.
pub fn median(mut v: Vec<std::time::Duration>) -> std::time::Duration {
    v.sort();
    v[v.len() / 2]
}

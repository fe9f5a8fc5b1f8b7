//! The portal's page templates (minijinja), embedded at build time, with a
//! `t(key)` function that looks strings up in the page's language.

use minijinja::{Environment, State, Value};
use tern_domain::Locale;

macro_rules! pages {
    ($($name:literal),* $(,)?) => { &[$(($name, include_str!(concat!("../../templates/", $name)))),*] };
}

static PAGES: &[(&str, &str)] = pages!(
    "base.html",
    "home.html",
    "signup.html",
    "message.html",
    "login.html",
    "forgot.html",
    "reset.html",
    "account.html",
    "macros.html",
    "plans.html",
    "plan.html",
    "wallet.html",
    "esims.html",
    "esim.html",
    "checkout.html",
);

/// Looks `key` up in the language of the page being rendered (`locale`).
fn t(state: &State, key: &str) -> String {
    let locale = state
        .lookup("locale")
        .and_then(|v| v.as_str().and_then(Locale::parse))
        .unwrap_or_default();
    tern_i18n::t(locale, key).to_owned()
}

/// Like `t`, filling `{name}` placeholders from keyword arguments.
fn tf(state: &State, key: &str, kwargs: minijinja::value::Kwargs) -> Result<String, minijinja::Error> {
    let mut s = t(state, key);
    for name in kwargs.args() {
        let v: Value = kwargs.get(name)?;
        s = s.replace(&format!("{{{name}}}"), &v.to_string());
    }
    Ok(s)
}

/// `2026-11-25T15:27:05Z` → `2026-11-25 15:27 UTC`.
fn when(value: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(value) {
        Ok(t) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => value.to_owned(),
    }
}

pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, src) in PAGES {
        if let Err(e) = env.add_template(name, src) {
            tracing::error!(template = name, error = %e, "portal template does not compile");
        }
    }
    env.add_function("t", t);
    env.add_filter("when", when);
    env.add_function("tf", tf);
    env
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_page_renders_in_both_languages() {
        let env = super::environment();
        let me = serde_json::json!({ "email": "a@b.com", "email_verified": true, "phone": "+447700900123",
            "phone_verified": false, "name": "Ann", "locale": "en" });
        let errors = serde_json::json!({ "fields": { "email": "bad" }, "general": "oops" });
        for locale in ["en", "zh-CN"] {
            let ctx = serde_json::json!({
                "locale": locale, "other_locale": "en", "product": "Tern", "csrf": "c", "signed_in": true,
                "path": "/account?x=1", "form": { "email": "a@b.com", "token": "t", "next": "/" }, "errors": errors,
                "me": me, "sessions": [{ "id": "s1", "current": false, "user_agent": null, "last_seen_at": "2026-01-01T00:00:00Z" }],
                "notice": "saved", "title": "T", "body": "B", "link": "/", "link_text": "L",
                "plan": { "code": "JP-1GB-7D", "display_name": "Japan 1 GB", "price_text": "4.50 USD", "summary": "1 GB",
                          "coverage_text": "JP", "activation_text": "on purchase" },
                "plans": [{ "code": "JP-1GB-7D", "display_name": "Japan", "price_text": "4.50 USD", "summary": "1 GB", "coverage_text": "JP" }],
                "balance_text": "10.00 USD", "after_text": "5.50 USD", "enough": true, "key": "k",
                "esims": [{ "iccid": "8988", "state_text": "Ready" }],
                "orders": [{ "id": "o1", "plan_code": "JP", "price_text": "1 USD", "created_at": "2026-01-01T00:00:00Z", "state": "completed", "state_text": "Done" }],
                "history": [{ "label": "Voucher", "at": "2026-01-01T00:00:00Z", "amount_text": "20.00 USD" }],
                "esim": { "iccid": "8988", "state": "released", "smdp_address": "smdp.tern.test", "matching_id": "M",
                          "activation_code": "LPA:1$smdp.tern.test$M", "ios_install_link": "https://x" },
                "state_text": "Ready", "emulator": true, "amount_text": "20.00 USD", "top_up": { "id": "t1", "state": "pending" },
                "packages": [{ "plan_code": "JP", "state_text": "Active", "data_text": "1 GB left", "validity_text": "7 days" }],
            });
            for (name, _) in super::PAGES {
                if *name == "macros.html" {
                    continue;
                }
                let html = env
                    .get_template(name)
                    .unwrap()
                    .render(&ctx)
                    .unwrap_or_else(|e| panic!("{name}: {e:#}"));
                assert!(html.contains(&format!("<html lang=\"{locale}\">")), "{name}");
                assert!(
                    !html.contains("nav.") && !html.contains("field."),
                    "{name} shows a raw key"
                );
            }
        }
    }
}

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
    "close.html",
    "closure.html",
    "closure_status.html",
    "admin_closures.html",
    "admin_closure.html",
    "admin_nav.html",
    "admin_dashboard.html",
    "ticket_figures.html",
    "admin_accounts.html",
    "admin_account.html",
    "admin_plans.html",
    "admin_staff.html",
    "admin_refunds.html",
    "announcements.html",
    "terms.html",
    "admin_announcements.html",
    "admin_announcement.html",
    "admin_terms.html",
    "support.html",
    "support_ticket.html",
    "admin_tickets.html",
    "admin_ticket.html",
    // Two-factor (security branch).
    "login_totp.html",
    "totp_enrol.html",
    "totp_codes.html",
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
        // The closure pages' values (a separate literal: one would hit the macro recursion limit).
        let closure = serde_json::json!({
            "closing_until": "2026-01-08T00:00:00Z", "phrase": "CLOSE MY ACCOUNT", "cooling_off": true,
            "preview": { "balance_text": "12.00 USD", "refund_lines": ["10.00 USD back"], "forfeited_text": "2.00 USD",
                "esims": [{ "iccid": "8988", "state_text": "Installed", "data_text": "1 GB left", "valid_until": "2026-01-09T00:00:00Z" }],
                "holds": [{ "code": "top_up_in_flight", "action": "wait" }], "deleted": ["profile", "sessions"],
                "kept": [{ "what": ["Orders", "Payments"], "why": "law", "until": "2033-01-01" }],
                "cooling_off_until": "2026-01-08T00:00:00Z", "due_by": "2026-01-22", "reasons": ["privacy", "other"] },
            "close_form": { "key": "k", "reason_code": "privacy", "reason_text": "bye", "export": "yes", "confirmation": "" },
            "closure": { "id": "c1", "state": "cooling_off", "status_url": "https://x/closure-status/t", "received_at": "2026-01-01T00:00:00Z",
                "cooling_off_until": "2026-01-08T00:00:00Z", "due_by": "2026-01-22", "reason_code": "privacy", "export_requested": true,
                "hold_reason": null, "cancelable": true, "completed_at": null, "canceled_at": null },
            "reason_text": "Privacy",
            "status": { "state": "completed", "received_at": "2026-01-01T00:00:00Z", "cooling_off_until": "2026-01-08T00:00:00Z",
                "due_by": "2026-01-22", "hold_reason": "checking", "completed_at": "2026-01-08T01:00:00Z", "canceled_at": null },
            "steps": [{ "text": "Frozen", "done_at": "2026-01-08T00:00:00Z" }, { "text": "Closed", "done_at": null }],
            "receipt": { "deleted": ["Sessions: 2"], "retained": [{ "what": "Orders", "count": 1, "until": "2033-01-01" }],
                "refund_text": "10.00 USD", "card_refunds": 1, "manual_text": "1.00 USD", "forfeited_text": "2.00 USD",
                "barred": 1, "canceled_at_smdp": 0, "packages_stopped": 1, "sweep_text": "0 traces", "export_sent": true },
        });
        // The operators' closure pages.
        let admin = serde_json::json!({
            "rows": [{ "id": "0190-abcdef12", "short": "abcdef12", "state": "on hold", "due_by": "2026-01-22",
                       "deadline": "overdue", "deadline_text": "overdue", "hold_reason": "dispute", "last_error": "sweep: 1" }],
            "due_soon": 1, "overdue": 2, "chart_requests": "<svg></svg>", "chart_deadline": "<svg></svg>",
            "states": [{ "value": "on_hold", "text": "on hold", "selected": true }],
            "deadlines": [{ "value": "overdue", "text": "overdue", "selected": false }],
            "c": { "id": "0190-abcdef12", "account_id": "0190-acc", "requested_by": "user", "reason_code": "privacy",
                   "received_at": "2026-01-01T00:00:00Z", "due_by": "2026-01-22", "hold_reason": "dispute", "last_error": "x" },
            "deadline_text": "overdue", "can_hold": true, "can_resume": true, "can_retry": true, "error": "oops",
            // The console's account view.
            "a": { "account": { "id": "0190-acc", "email": "a@b.com", "name": "Ann", "phone": "+447700900123", "role": "user",
                                "status": "active", "created_at": "2026-01-01T00:00:00Z" },
                   "email_verified": true, "phone_verified": false, "locale": "en", "last_login_at": null,
                   "esims": [], "closure": null },
            // An announcement's two languages.
            "en": { "title": "Maintenance", "body_html": "<p>Tonight</p>" },
            "zh": { "title": "维护", "body_html": "<p>今晚</p>" },
        });
        for locale in ["en", "zh-CN"] {
            let mut ctx = serde_json::json!({
                "locale": locale, "other_locale": "en", "product": "Tern", "csrf": "c", "signed_in": true,
                "path": "/account?x=1", "form": { "email": "a@b.com", "token": "t", "next": "/" }, "errors": errors,
                "me": me, "sessions": [{ "id": "s1", "current": false, "user_agent": null, "last_seen_at": "2026-01-01T00:00:00Z" }],
                "notice": "saved", "title": "T", "body": "B", "link": "/", "link_text": "L",
                "plan": { "code": "JP-1GB-7D", "display_name": "Japan 1 GB", "price_text": "4.50 USD", "summary": "1 GB",
                          "coverage_text": "JP", "activation_text": "on purchase" },
                "plans": [{ "code": "JP-1GB-7D", "display_name": "Japan", "price_text": "4.50 USD", "summary": "1 GB", "coverage_text": "JP" }],
                "balance_text": "10.00 USD", "after_text": "5.50 USD", "enough": true, "key": "k",
                "esims": [{ "iccid": "8988", "state_text": "Ready" }],
                "orders": [{ "id": "o1", "plan_name": "Japan", "price_text": "1 USD", "created_at": "2026-01-01T00:00:00Z", "state": "completed", "state_text": "Done" }],
                "history": [{ "label": "Voucher", "at": "2026-01-01T00:00:00Z", "amount_text": "20.00 USD" }],
                "esim": { "iccid": "8988", "state": "released", "smdp_address": "smdp.tern.test", "matching_id": "M",
                          "activation_code": "LPA:1$smdp.tern.test$M", "ios_install_link": "https://x" },
                "state_text": "Ready", "emulator": true, "amount_text": "20.00 USD", "top_up": { "id": "t1", "state": "pending" },
                "packages": [{ "plan_name": "Japan", "state_text": "Active", "data_text": "1 GB left", "validity_text": "7 days" }],
            });
            if let (Some(c), Some(extra)) = (ctx.as_object_mut(), closure.as_object()) {
                c.extend(extra.clone());
            }
            if let (Some(c), Some(extra)) = (ctx.as_object_mut(), admin.as_object()) {
                for (k, v) in extra {
                    c.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            // The support pages.
            let support = serde_json::json!({
                "tickets": [{ "id": "t1", "subject": "<b>Hi</b>", "state": "open", "state_text": "Open", "category_text": "Billing",
                              "last_message_at": "2026-01-01T00:00:00Z" }],
                "categories": [{ "value": "billing", "text": "Billing", "selected": true }],
                "ticket_form": { "subject": "s", "body": "b" }, "is_staff": true,
                "ticket": { "id": "t1", "subject": "Hi", "created_at": "2026-01-01T00:00:00Z", "order_id": "o1", "iccid": "8988",
                            "short": "abcdef12", "state_text": "Open", "category_text": "Billing", "assignee": "s@x", "erased": false,
                            "first_response": "3 min", "resolution": "—" },
                "tk": { "id": "t1", "account_id": "a1", "order_id": "o1", "iccid": "8988", "created_at": "2026-01-01T00:00:00Z" },
                "messages": [{ "from_support": true, "author": "support", "lines": ["a", "<script>"], "created_at": "2026-01-01T00:00:00Z" }],
                "closure_link": "/account/close", "open": true, "staff": [{ "value": "s1", "text": "s@x", "selected": true }],
                "queue": [{ "id": "t1", "short": "t1", "subject": "Hi", "erased": false, "state": "open", "state_text": "Open",
                            "category_text": "Billing", "assignee": null, "last_message_at": "2026-01-01T00:00:00Z",
                            "first_response": "3 min", "answered": true }],
                "queue_error": { "general": "oops", "fields": { "state": "bad" } },
                "figures": { "open": 1, "awaiting": 1, "median_first": "3 min", "avg_first": "3 min", "avg_resolution": "1 h 0 min",
                             "chart": "<svg></svg>", "days": 30 },
                "assignees": [{ "value": "me", "text": "Me", "selected": false }],
            });
            if let (Some(c), Some(extra)) = (ctx.as_object_mut(), support.as_object()) {
                for (k, v) in extra {
                    c.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            for (name, _) in super::PAGES {
                // Partials, rendered inside the pages that include them.
                if matches!(*name, "macros.html" | "admin_nav.html" | "ticket_figures.html") {
                    continue;
                }
                let html = env
                    .get_template(name)
                    .unwrap()
                    .render(&ctx)
                    .unwrap_or_else(|e| panic!("{name}: {e:#}"));
                assert!(html.contains(&format!("<html lang=\"{locale}\">")), "{name}");
                assert!(
                    !html.contains("nav.")
                        && !html.contains("field.")
                        && !html.contains("closure.")
                        && !html.contains("security."),
                    "{name} shows a raw key"
                );
            }
        }
    }
}

//! Message templates per language, embedded at build time.
//!
//! Each template is `templates/<locale>/<name>.txt`: the first line is
//! `subject: …`, the rest is the plain-text body. SMS templates have a
//! subject too, used only in the outbox and logs. They are minijinja
//! templates; values are passed in as a JSON object.

use std::sync::LazyLock;

use minijinja::Environment;
use tern_domain::Locale;

use crate::NotifyError;

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
}

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(
            (concat!("en/", $name), include_str!(concat!("../templates/en/", $name, ".txt"))),
            (concat!("zh-CN/", $name), include_str!(concat!("../templates/zh-CN/", $name, ".txt"))),
        )*]
    };
}

/// Every template name this crate ships.
pub const NAMES: &[&str] = &[
    "verify_email",
    "welcome",
    "password_reset",
    "password_changed",
    "phone_code",
    "signup_existing",
    "esim_ready",
    "usage_80",
    "usage_100",
    "expiry_soon",
    "closure_received",
    "closure_canceled",
    "closure_reminder",
    "closure_completed",
    "dormant_warning",
    "export_ready",
    "announcement",
    "ticket_reply",
    "ticket_customer_message",
    "two_factor_enabled",
    "two_factor_disabled",
];

static SOURCES: &[(&str, &str)] = templates!(
    "verify_email",
    "welcome",
    "password_reset",
    "password_changed",
    "phone_code",
    "signup_existing",
    "esim_ready",
    "usage_80",
    "usage_100",
    "expiry_soon",
    "closure_received",
    "closure_canceled",
    "closure_reminder",
    "closure_completed",
    "dormant_warning",
    "export_ready",
    "announcement",
    "ticket_reply",
    "ticket_customer_message",
    "two_factor_enabled",
    "two_factor_disabled",
);

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // Plain-text messages: no HTML escaping.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_keep_trailing_newline(true);
    for (name, src) in SOURCES {
        // A broken template is caught by the test that renders them all.
        let _ = env.add_template(name, src);
    }
    env
});

/// Renders template `name` in `locale` with `values`.
pub fn render(name: &str, locale: Locale, values: &serde_json::Value) -> Result<Rendered, NotifyError> {
    let key = format!("{}/{}", locale.tag(), name);
    let tmpl = ENV
        .get_template(&key)
        .map_err(|_| NotifyError::MissingTemplate(key.clone()))?;
    let out = tmpl.render(values)?;
    let (first, rest) = out.split_once('\n').unwrap_or((&out, ""));
    let subject = first
        .strip_prefix("subject:")
        .ok_or_else(|| NotifyError::MissingTemplate(format!("{key}: first line must be 'subject: …'")))?
        .trim()
        .to_owned();
    Ok(Rendered {
        subject,
        text: rest.trim_start_matches('\n').to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_in_both_languages() {
        let values = serde_json::json!({
            "name": "Ann", "link": "http://x/verify?token=t", "code": "123456",
            "minutes": 10, "hours": 24, "product": "Tern", "support_email": "help@example.com", "reset_link": "http://x/forgot", "plan": "JP-5GB-15D",
        });
        for name in NAMES {
            for locale in Locale::ALL {
                let r = render(name, locale, &values).unwrap_or_else(|e| panic!("{name}/{locale}: {e}"));
                assert!(!r.subject.is_empty() && !r.text.is_empty(), "{name}/{locale} is empty");
            }
        }
    }

    #[test]
    fn verify_email_carries_the_link() {
        let v = serde_json::json!({"link": "http://x/verify?token=abc", "product": "Tern", "hours": 24});
        let en = render("verify_email", Locale::En, &v).unwrap();
        assert!(en.text.contains("http://x/verify?token=abc"));
        let zh = render("verify_email", Locale::ZhCn, &v).unwrap();
        assert!(zh.subject.contains("验证"));
    }
}

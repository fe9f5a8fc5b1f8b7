//! Every user-facing string in English and Simplified Chinese.
//!
//! Strings live in `locales/en.toml` and `locales/zh-CN.toml` (plus one
//! file per area under `locales/en/` and `locales/zh-CN/`) as flat
//! `key = "text"` pairs with `{name}` placeholders; both files are embedded
//! at build time and a test keeps their keys and placeholders identical.
//! (A full Fluent setup would add plural rules neither language needs here;
//! this stays a small table.)

use std::collections::HashMap;
use std::sync::LazyLock;

pub use tern_domain::Locale;

type Table = HashMap<String, String>;

fn load(src: &str) -> Table {
    match toml::from_str::<toml::Table>(src) {
        Ok(t) => t
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
            .collect(),
        Err(_) => Table::new(),
    }
}

/// Each language is the core table plus one file per area (announcements,
/// support, the operator console, security), merged at first use.
macro_rules! language {
    ($lang:literal) => {
        LazyLock::new(|| {
            [
                include_str!(concat!("../locales/", $lang, ".toml")),
                include_str!(concat!("../locales/", $lang, "/announcements.toml")),
                include_str!(concat!("../locales/", $lang, "/support.toml")),
                include_str!(concat!("../locales/", $lang, "/console.toml")),
                include_str!(concat!("../locales/", $lang, "/security.toml")),
                include_str!(concat!("../locales/", $lang, "/countries.toml")),
            ]
            .into_iter()
            .flat_map(load)
            .collect()
        })
    };
}

static EN: LazyLock<Table> = language!("en");
static ZH: LazyLock<Table> = language!("zh-CN");

fn table(locale: Locale) -> &'static Table {
    match locale {
        Locale::En => &EN,
        Locale::ZhCn => &ZH,
    }
}

/// The text for `key` in `locale`; English when the locale lacks it, and
/// the key itself when neither has it (visible, never a crash).
pub fn t(locale: Locale, key: &str) -> &str {
    table(locale)
        .get(key)
        .or_else(|| EN.get(key))
        .map(String::as_str)
        .unwrap_or(key)
}

/// Like [`t`], with `{name}` placeholders filled from `args`.
pub fn tf(locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
    let mut s = t(locale, key).to_owned();
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

/// The name of the country or territory with ISO 3166-1 alpha-2 `code`
/// (upper-case) in `locale`; the code itself for one Tern has no name for.
pub fn country_name(locale: Locale, code: &str) -> String {
    let key = format!("country.{code}");
    let name = t(locale, &key);
    if name == key { code.to_owned() } else { name.to_owned() }
}

/// A key that sorts `text` the way a reader of `locale` expects a list:
/// alphabetically in English, by pinyin in Chinese (so 德国 comes before
/// 法国, as in a dictionary, not by code point).
pub fn collation_key(locale: Locale, text: &str) -> String {
    match locale {
        Locale::En => text.to_lowercase(),
        Locale::ZhCn => {
            use pinyin::ToPinyin;
            let mut key = String::with_capacity(text.len() * 3);
            for (c, p) in text.chars().zip(text.to_pinyin()) {
                match p {
                    Some(p) => key.push_str(p.plain()),
                    None => key.extend(c.to_lowercase()),
                }
                key.push(' ');
            }
            key
        }
    }
}

/// Every key with its text in a locale, for templates that look strings
/// up themselves.
pub fn all(locale: Locale) -> &'static HashMap<String, String> {
    table(locale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(s: &str) -> BTreeSet<String> {
        s.split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
            .collect()
    }

    #[test]
    fn both_languages_have_the_same_keys_and_placeholders() {
        assert!(EN.len() > 50, "English table did not load");
        let en: BTreeSet<_> = EN.keys().collect();
        let zh: BTreeSet<_> = ZH.keys().collect();
        let missing: Vec<_> = en.symmetric_difference(&zh).collect();
        assert!(missing.is_empty(), "keys in only one language: {missing:?}");
        for (k, v) in EN.iter() {
            assert_eq!(placeholders(v), placeholders(&ZH[k]), "placeholders differ for {k}");
        }
    }

    #[test]
    fn every_assigned_country_has_a_name_in_both_languages() {
        for code in tern_domain::catalogue::ASSIGNED_COUNTRIES {
            for locale in [Locale::En, Locale::ZhCn] {
                assert_ne!(country_name(locale, code), code, "no {locale:?} name for {code}");
            }
        }
        assert_eq!(country_name(Locale::En, "JP"), "Japan");
        assert_eq!(country_name(Locale::ZhCn, "JP"), "日本");
        assert_eq!(country_name(Locale::En, "XX"), "XX");
    }

    #[test]
    fn chinese_names_sort_by_pinyin() {
        let mut names = vec!["法国", "日本", "德国", "澳大利亚"];
        names.sort_by_key(|n| collation_key(Locale::ZhCn, n));
        assert_eq!(names, ["澳大利亚", "德国", "法国", "日本"]);
        let mut en = vec!["japan", "Australia", "France"];
        en.sort_by_key(|n| collation_key(Locale::En, n));
        assert_eq!(en, ["Australia", "France", "japan"]);
    }

    #[test]
    fn every_ledger_transaction_kind_has_a_wallet_label() {
        for kind in tern_domain::ledger::TransactionKind::ALL {
            let key = format!("wallet.kind.{kind}");
            assert_ne!(t(Locale::En, &key), key, "no label for {kind}");
        }
    }

    #[test]
    fn every_closure_promise_has_a_label_in_both_languages() {
        use tern_domain::retention::{Erased, Hold, HoldAction, Kept, KeptBecause, Retained};
        let mut keys: Vec<String> = Vec::new();
        keys.extend(Erased::ALL.iter().map(|w| format!("closure.deleted.{w}")));
        keys.extend(Kept::ALL.iter().map(|w| format!("closure.kept.{w}")));
        keys.extend(KeptBecause::ALL.iter().map(|w| format!("closure.why.{w}")));
        keys.extend(Retained::ALL.iter().map(|w| format!("closure.retained.{w}")));
        keys.extend(Hold::ALL.iter().map(|w| format!("closure.hold.{w}")));
        keys.extend(HoldAction::ALL.iter().map(|w| format!("closure.hold_action.{w}")));
        for locale in [Locale::En, Locale::ZhCn] {
            for key in &keys {
                assert_ne!(t(locale, key), key, "no {locale:?} text for {key}");
            }
        }
    }

    #[test]
    fn looks_up_and_fills() {
        assert_eq!(tf(Locale::En, "test.hello", &[("name", "Ann")]), "Hello, Ann");
        assert_eq!(tf(Locale::ZhCn, "test.hello", &[("name", "Ann")]), "你好，Ann");
        assert_eq!(t(Locale::En, "no.such.key"), "no.such.key");
    }
}

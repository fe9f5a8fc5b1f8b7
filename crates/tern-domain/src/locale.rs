//! The two languages Tern speaks.

use std::fmt;

/// A supported user-interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub enum Locale {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::ZhCn];

    /// The BCP 47 tag, as stored and as sent in `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// Parses a tag exactly as the API documents it (`en`, `zh-CN`), also
    /// accepting the common spellings `zh`, `zh-Hans`, `zh_CN` and any case.
    pub fn parse(tag: &str) -> Option<Self> {
        let t = tag.trim().replace('_', "-").to_ascii_lowercase();
        match t.as_str() {
            "en" => Some(Locale::En),
            "zh-cn" | "zh" | "zh-hans" | "zh-hans-cn" | "zh-sg" => Some(Locale::ZhCn),
            _ if t.starts_with("en-") => Some(Locale::En),
            _ => None,
        }
    }

    /// Picks the best match from an `Accept-Language` header, honouring
    /// q-values; `None` when nothing offered is supported.
    pub fn negotiate(accept_language: &str) -> Option<Self> {
        let mut best: Option<(f32, Locale)> = None;
        for part in accept_language.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(loc) = Locale::parse(tag)
                && q > 0.0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, loc));
            }
        }
        best.map(|(_, l)| l)
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags() {
        assert_eq!(Locale::parse("zh-CN"), Some(Locale::ZhCn));
        assert_eq!(Locale::parse("zh_cn"), Some(Locale::ZhCn));
        assert_eq!(Locale::parse("en-GB"), Some(Locale::En));
        assert_eq!(Locale::parse("fr"), None);
    }

    #[test]
    fn negotiates_by_quality() {
        assert_eq!(Locale::negotiate("fr;q=1, zh-CN;q=0.8, en;q=0.5"), Some(Locale::ZhCn));
        assert_eq!(Locale::negotiate("en-US,en;q=0.9,zh;q=0.8"), Some(Locale::En));
        assert_eq!(Locale::negotiate("de, fr"), None);
        assert_eq!(Locale::negotiate("zh;q=0"), None);
    }
}

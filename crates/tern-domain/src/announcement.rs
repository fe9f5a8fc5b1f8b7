//! Announcements operators publish to travellers, and who receives them.

use crate::catalogue::CountryCode;

/// What an announcement is about. Only promotions may be refused by mail;
/// policy, maintenance and terms notices reach everyone in the audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnouncementKind {
    Policy,
    Promotion,
    Maintenance,
    Terms,
}

words!(AnnouncementKind {
    Policy = "policy",
    Promotion = "promotion",
    Maintenance = "maintenance",
    Terms = "terms",
});

impl AnnouncementKind {
    /// Whether an account that opted out of promotions is spared the mail.
    pub fn mail_is_optional(self) -> bool {
        self == AnnouncementKind::Promotion
    }
}

/// Where an announcement stands, from when it is published and expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnouncementState {
    /// Not published yet, and no time set.
    Draft,
    /// To be published at a set time.
    Scheduled,
    Published,
    /// Past its expiry: no longer shown.
    Expired,
}

words!(AnnouncementState {
    Draft = "draft",
    Scheduled = "scheduled",
    Published = "published",
    Expired = "expired",
});

impl AnnouncementState {
    /// The state at `now` of one published at `publish_at` (None: a
    /// draft) until `expires_at`; an expiry wins over a later publication.
    pub fn at(publish_at: Option<i64>, expires_at: Option<i64>, now: i64) -> Self {
        match (publish_at, expires_at) {
            (None, _) => AnnouncementState::Draft,
            (Some(_), Some(e)) if e <= now => AnnouncementState::Expired,
            (Some(p), _) if p > now => AnnouncementState::Scheduled,
            _ => AnnouncementState::Published,
        }
    }
}

/// Who an announcement is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every active traveller.
    Everyone,
    /// Travellers with an eSIM that has a plan not yet used up or expired.
    ActiveEsim,
    /// Travellers with such an eSIM whose plan covers one of these countries.
    Countries(Vec<CountryCode>),
}

impl Audience {
    /// Parses the stored or submitted kind with its country list; a country
    /// list must be non-empty, and only goes with `countries`.
    pub fn parse(kind: &str, countries: &[String]) -> Result<Self, &'static str> {
        match kind {
            "everyone" | "active_esim" if !countries.is_empty() => Err("audience_countries_unexpected"),
            "everyone" => Ok(Audience::Everyone),
            "active_esim" => Ok(Audience::ActiveEsim),
            "countries" => {
                if countries.is_empty() {
                    return Err("audience_countries_missing");
                }
                let mut list = countries
                    .iter()
                    .map(|c| CountryCode::parse(c).map_err(|_| "country_unknown"))
                    .collect::<Result<Vec<_>, _>>()?;
                list.sort();
                list.dedup();
                Ok(Audience::Countries(list))
            }
            _ => Err("audience_unknown"),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Audience::Everyone => "everyone",
            Audience::ActiveEsim => "active_esim",
            Audience::Countries(_) => "countries",
        }
    }

    pub fn countries(&self) -> &[CountryCode] {
        match self {
            Audience::Countries(c) => c,
            _ => &[],
        }
    }
}

/// Longest title, in characters.
pub const TITLE_MAX: usize = 200;
/// Longest body or terms text, in characters.
pub const BODY_MAX: usize = 50_000;

/// Checks a title or body: present (after trimming) and not too long;
/// the error code when not.
pub fn check_text(text: &str, max: usize) -> Result<(), &'static str> {
    if text.trim().is_empty() {
        Err("text_missing")
    } else if text.chars().count() > max {
        Err("text_too_long")
    } else {
        Ok(())
    }
}

/// Checks a title: as [`check_text`] with [`TITLE_MAX`], and on one line
/// with no control characters (it becomes an email subject).
pub fn check_title(text: &str) -> Result<(), &'static str> {
    check_text(text, TITLE_MAX)?;
    if text.trim().chars().any(char::is_control) {
        return Err("title_invalid");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_only_promotions_are_optional() {
        for k in AnnouncementKind::ALL {
            assert_eq!(AnnouncementKind::parse(k.as_str()), Some(k));
            assert_eq!(k.mail_is_optional(), k == AnnouncementKind::Promotion);
        }
        assert_eq!(AnnouncementKind::parse("spam"), None);
        assert_eq!(AnnouncementState::at(None, Some(1), 5), AnnouncementState::Draft);
        assert_eq!(AnnouncementState::at(Some(9), None, 5), AnnouncementState::Scheduled);
        assert_eq!(AnnouncementState::at(Some(9), Some(5), 5), AnnouncementState::Expired);
        assert_eq!(AnnouncementState::at(Some(1), Some(6), 5), AnnouncementState::Published);
        for s in AnnouncementState::ALL {
            assert_eq!(AnnouncementState::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn audiences_check_their_countries() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(Audience::parse("everyone", &[]), Ok(Audience::Everyone));
        assert_eq!(
            Audience::parse("everyone", &s(&["JP"])),
            Err("audience_countries_unexpected")
        );
        assert_eq!(Audience::parse("countries", &[]), Err("audience_countries_missing"));
        assert_eq!(Audience::parse("countries", &s(&["UK"])), Err("country_unknown"));
        let a = Audience::parse("countries", &s(&["kr", "JP", "jp"])).unwrap();
        let codes: Vec<&str> = a.countries().iter().map(|c| c.as_str()).collect();
        assert_eq!(codes, ["JP", "KR"]);
        assert_eq!(Audience::parse("vip", &[]), Err("audience_unknown"));
    }

    #[test]
    fn texts_must_be_present_and_bounded() {
        assert_eq!(check_text("  ", 10), Err("text_missing"));
        assert_eq!(check_text("abcdefghijk", 10), Err("text_too_long"));
        assert_eq!(check_text("你好", 2), Ok(()));
        assert_eq!(check_title("Line\nbreak"), Err("title_invalid"));
        assert_eq!(check_title(" Maintenance tonight "), Ok(()));
    }
}

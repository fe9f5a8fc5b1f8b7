//! CSRF protection for portal forms: a random token in a `SameSite=Strict`
//! cookie, repeated in a hidden field of every form; a POST whose field
//! does not match the cookie is refused. A site that cannot read the
//! cookie cannot forge the field.

use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use subtle::ConstantTimeEq;

pub const COOKIE: &str = "tern_csrf";

/// The request's CSRF token, creating one (and its cookie) when missing.
pub fn ensure(jar: CookieJar, secure: bool) -> (CookieJar, String) {
    if let Some(c) = jar.get(COOKIE)
        && c.value().len() >= 32
    {
        let v = c.value().to_owned();
        return (jar, v);
    }
    let token = tern_app::tokens::new_token();
    let cookie = Cookie::build((COOKIE, token.clone()))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .build();
    (jar.add(cookie), token)
}

/// Whether the submitted field matches the cookie.
pub fn valid(jar: &CookieJar, submitted: &str) -> bool {
    match jar.get(COOKIE) {
        Some(c) if c.value().len() >= 32 => bool::from(c.value().as_bytes().ct_eq(submitted.as_bytes())),
        _ => false,
    }
}

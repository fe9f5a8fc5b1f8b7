//! Static files, the web app manifest and the language switch.

use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use tern_domain::Locale;

use super::page::safe_next;
use crate::extract::LANG_COOKIE;

static FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/app.css"),
    ),
    ("icon.svg", "image/svg+xml", include_bytes!("../../static/icon.svg")),
    ("icon-192.png", "image/png", include_bytes!("../../static/icon-192.png")),
    ("icon-512.png", "image/png", include_bytes!("../../static/icon-512.png")),
];

pub async fn static_file(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, mime, bytes)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn manifest() -> Response {
    let body = serde_json::json!({
        "name": "Tern",
        "short_name": "Tern",
        "description": "eSIM data for travellers",
        "start_url": "/account",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": [
            { "src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png" },
            { "src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png" },
            { "src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any" }
        ]
    });
    ([(header::CONTENT_TYPE, "application/manifest+json")], body.to_string()).into_response()
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct LangQuery {
    l: String,
    next: String,
}

/// Remembers the chosen language in a cookie and goes back. Changing the
/// language an account's emails use is a form on the account page.
pub async fn switch_language(jar: CookieJar, Query(q): Query<LangQuery>) -> Response {
    let locale = Locale::parse(&q.l).unwrap_or_default();
    let cookie = Cookie::build((LANG_COOKIE, locale.tag().to_owned()))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(time::Duration::days(365))
        .build();
    (
        jar.add(cookie),
        Redirect::to(&safe_next(if q.next.is_empty() { "/" } else { &q.next })),
    )
        .into_response()
}

//! The language of an answer travels with the request: this middleware
//! puts the request's language (cookie, else `Accept-Language`, else
//! English) in the request's extensions, the `Auth` extractor changes it
//! to the account's once the caller is known (unless the request names
//! one), and a service error a handler returned with plain `?` is
//! rendered in it on the way out.

use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tern_domain::Locale;

use crate::error::{Unrendered, render};
use crate::extract::locale_from_headers;

/// The language this request is answered in.
#[derive(Debug, Clone)]
pub struct RequestLocale(Arc<Mutex<Locale>>);

impl RequestLocale {
    fn new(locale: Locale) -> Self {
        Self(Arc::new(Mutex::new(locale)))
    }

    pub fn get(&self) -> Locale {
        self.0.lock().map(|l| *l).unwrap_or_default()
    }

    /// Answers the rest of the request in `locale` (the signed-in
    /// account's, when the request names none).
    pub fn set(&self, locale: Locale) {
        if let Ok(mut l) = self.0.lock() {
            *l = locale;
        }
    }
}

/// The middleware; see the module documentation.
pub async fn negotiate(mut req: Request, next: Next) -> Response {
    let slot = RequestLocale::new(locale_from_headers(req.headers()));
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    match res.extensions_mut().remove::<Unrendered>() {
        Some(Unrendered(error)) => render(&error, slot.get()),
        None => res,
    }
}

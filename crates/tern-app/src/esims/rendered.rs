//! The eSIM detail as JSON, kept while the database says it is unchanged.
//!
//! `GET /api/v1/esims/{iccid}` is the traveller's hot read. Decoding the
//! eSIM and package columns and writing them out as JSON cost the server
//! about as much as the rest of the request, yet between two reads of an
//! eSIM nothing usually changes. So each answer is kept here with the
//! fingerprint the database gave it ([`tern_store::esims::EsimRead`]);
//! the next lookup sends that fingerprint, and the database answers the
//! eSIM's columns only if it no longer matches.
//!
//! This is not a cache of anything the database decides: the session, the
//! account and whether the eSIM is the caller's are read on every request,
//! and the fingerprint in the same statement, so a sign-out, a usage
//! record or an erased EID counts at once, on every node. An answer is
//! used for at most [`TTL`] and swept out by the next answer kept after
//! that (so an erased account's answers do not stay in memory), and
//! there are at most [`MAX_ENTRIES`].
//!
//! A map behind a mutex rather than a cache crate: lookups need the
//! fingerprint beside the body anyway, and a lookup is a hash and a
//! reference-count increment under a lock held for no longer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;

/// How long a rendered answer is used.
pub const TTL: Duration = Duration::from_secs(60);
/// Most answers kept (a kilobyte or two each).
pub const MAX_ENTRIES: usize = 4096;

/// Rendered eSIM details by ICCID; see the module documentation.
#[derive(Default)]
pub struct Rendered(Mutex<Inner>);

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    /// When answers past their time were last swept out.
    swept: Option<Instant>,
}

struct Entry {
    fingerprint: i64,
    body: Bytes,
    at: Instant,
}

impl Rendered {
    /// The answer kept for `iccid` and its fingerprint, unless too old.
    pub fn get(&self, iccid: &str) -> Option<(i64, Bytes)> {
        let inner = self.0.lock().ok()?;
        inner
            .entries
            .get(iccid)
            .filter(|e| e.at.elapsed() < TTL)
            .map(|e| (e.fingerprint, e.body.clone()))
    }

    /// Keeps `body`, rendered from the rows whose fingerprint is
    /// `fingerprint`. Answers past their time are swept out at most once
    /// per [`TTL`], and whenever the map is full (then everything, if
    /// need be: the next reads render again).
    pub fn put(&self, iccid: &str, fingerprint: i64, body: Bytes) {
        let Ok(mut inner) = self.0.lock() else { return };
        let now = Instant::now();
        let full = inner.entries.len() >= MAX_ENTRIES && !inner.entries.contains_key(iccid);
        if full || inner.swept.is_none_or(|at| now.duration_since(at) >= TTL) {
            inner.entries.retain(|_, e| now.duration_since(e.at) < TTL);
            inner.swept = Some(now);
        }
        if inner.entries.len() >= MAX_ENTRIES && !inner.entries.contains_key(iccid) {
            inner.entries.clear();
        }
        let entry = Entry {
            fingerprint,
            body,
            at: now,
        };
        inner.entries.insert(iccid.to_owned(), entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len(r: &Rendered) -> usize {
        r.0.lock().map_or(0, |i| i.entries.len())
    }

    #[test]
    fn keeps_the_latest_answer_with_its_fingerprint() {
        let r = Rendered::default();
        assert_eq!(r.get("8901"), None);
        r.put("8901", 7, Bytes::from_static(b"one"));
        r.put("8901", 8, Bytes::from_static(b"two"));
        assert_eq!(r.get("8901"), Some((8, Bytes::from_static(b"two"))));
        assert_eq!(len(&r), 1);
    }

    #[test]
    fn stays_within_its_bound() {
        let r = Rendered::default();
        for i in 0..MAX_ENTRIES + 10 {
            r.put(&i.to_string(), 1, Bytes::from_static(b"x"));
        }
        assert!(len(&r) <= MAX_ENTRIES, "{}", len(&r));
        // The newest is always kept.
        assert!(r.get(&(MAX_ENTRIES + 9).to_string()).is_some());
    }
}

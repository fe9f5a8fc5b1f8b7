//! The audit log's hash chain: each entry commits to the one before it, so
//! an edited, inserted or removed row breaks every hash after it.

use sha2::{Digest, Sha256};

/// The hash that stands before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of an entry that its hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFields<'a> {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub details: &'a str,
}

/// SHA-256 over the previous hash and the entry's fields, each
/// length-prefixed so that no two different entries serialise alike.
pub fn chain_hash(prev_hash: &str, f: &AuditFields<'_>) -> String {
    let mut h = Sha256::new();
    for part in [
        prev_hash,
        &f.seq.to_string(),
        &f.at_ms.to_string(),
        f.actor,
        f.action,
        f.subject,
        f.details,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// A stored entry as read back for verification.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Where and why a chain stopped verifying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq}: it does not point at the entry before it")]
    BadLink { seq: i64 },
    #[error("entry {seq}: its contents do not match its hash")]
    BadHash { seq: i64 },
    #[error("entry {seq}: a sequence number is missing before it")]
    Gap { seq: i64 },
}

impl ChainBreak {
    /// The sequence number of the first entry that does not verify.
    pub fn seq(&self) -> i64 {
        match self {
            ChainBreak::BadLink { seq } | ChainBreak::BadHash { seq } | ChainBreak::Gap { seq } => *seq,
        }
    }
}

/// Verifies entries in order, continuing from `prev` (the hash of the entry
/// before the first one given, or [`GENESIS`]) and `prev_seq`.
/// Returns the last hash and sequence so a caller can verify in pages.
pub fn verify_page(mut prev: String, mut prev_seq: i64, entries: &[StoredEntry]) -> Result<(String, i64), ChainBreak> {
    for e in entries {
        if e.seq != prev_seq + 1 {
            return Err(ChainBreak::Gap { seq: e.seq });
        }
        if e.prev_hash != prev {
            return Err(ChainBreak::BadLink { seq: e.seq });
        }
        let expect = chain_hash(
            &prev,
            &AuditFields {
                seq: e.seq,
                at_ms: e.at_ms,
                actor: &e.actor,
                action: &e.action,
                subject: &e.subject,
                details: &e.details,
            },
        );
        if expect != e.hash {
            return Err(ChainBreak::BadHash { seq: e.seq });
        }
        prev = e.hash.clone();
        prev_seq = e.seq;
    }
    Ok((prev, prev_seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<StoredEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let f = AuditFields {
                    seq,
                    at_ms: seq * 10,
                    actor: "a",
                    action: "login",
                    subject: "s",
                    details: "{}",
                };
                let hash = chain_hash(&prev, &f);
                let e = StoredEntry {
                    seq,
                    at_ms: f.at_ms,
                    actor: "a".into(),
                    action: "login".into(),
                    subject: "s".into(),
                    details: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        let (last, seq) = verify_page(GENESIS.into(), 0, &c).unwrap();
        assert_eq!(seq, 5);
        assert_eq!(last, c[4].hash);
    }

    #[test]
    fn names_the_first_broken_entry() {
        let mut c = chain(5);
        c[2].details = "{\"edited\":true}".into();
        assert_eq!(verify_page(GENESIS.into(), 0, &c), Err(ChainBreak::BadHash { seq: 3 }));
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify_page(GENESIS.into(), 0, &c), Err(ChainBreak::Gap { seq: 3 }));
    }
}

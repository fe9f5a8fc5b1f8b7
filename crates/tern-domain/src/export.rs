//! Personal data exports: where one ZIP stands.
//!
//! ```text
//!  pending → ready (the link is mailed) → expired (the file is deleted)
//!         ↘ failed
//! ```

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportState {
    /// Asked for; being built.
    Pending,
    /// Built and sealed; the link is in the owner's mail.
    Ready,
    /// Past its time: the link no longer works and the file is gone.
    Expired,
    /// Could not be built.
    Failed,
}

words!(ExportState {
    Pending = "pending",
    Ready = "ready",
    Expired = "expired",
    Failed = "failed",
});

impl ExportState {
    /// What the owner is told: a ready export whose time is up (`expires_at`
    /// at or before `now`) is expired, even before housekeeping deletes it.
    pub fn as_seen(self, expires_at: Option<i64>, now: i64) -> Self {
        match self {
            ExportState::Ready if expires_at.is_some_and(|t| t <= now) => ExportState::Expired,
            s => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_a_lapsed_link_reads_as_expired() {
        for s in ExportState::ALL {
            assert_eq!(ExportState::parse(s.as_str()), Some(s));
        }
        assert_eq!(ExportState::Ready.as_seen(Some(10), 10), ExportState::Expired);
        assert_eq!(ExportState::Ready.as_seen(Some(11), 10), ExportState::Ready);
        assert_eq!(ExportState::Ready.as_seen(None, 10), ExportState::Ready);
        assert_eq!(ExportState::Pending.as_seen(Some(1), 10), ExportState::Pending);
    }
}

//! Every kind of background job, in one place: the worker runs a claimed
//! job by looking its stored name up here. A new job is a type that
//! implements [`Job`] in its feature, plus one line in `registry!` below.

use crate::App;
use crate::announcements::MailAnnouncement;
use crate::closure::{AdvanceClosure, RemindClosure};
use crate::exports::BuildExport;
use crate::housekeeping::Housekeeping;
use crate::jobs::{Job, decode_and_run};
use crate::notify::DeliverNotification;
use crate::orders::{CancelProfile, ProvisionOrder};
use crate::usage::UsageSweep;

/// Lists the jobs once: the names and the dispatch both come from it.
macro_rules! registry {
    ($($job:ty),* $(,)?) => {
        /// The names of every registered job.
        pub const NAMES: &[&str] = &[$(<$job>::NAME),*];

        /// Runs the job stored under `name` with `payload`; an unknown
        /// name fails (and is retried, in case a newer node queued it
        /// during a rollout).
        pub async fn run(app: &App, name: &str, payload: &str, last_attempt: bool) -> Result<(), String> {
            $(if name == <$job>::NAME {
                return decode_and_run::<$job>(app, payload, last_attempt).await;
            })*
            Err(format!("no job is registered as {name:?}"))
        }
    };
}

registry!(
    DeliverNotification,
    Housekeeping,
    ProvisionOrder,
    CancelProfile,
    UsageSweep,
    BuildExport,
    AdvanceClosure,
    RemindClosure,
    MailAnnouncement,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_unchanged() {
        let mut names = NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), NAMES.len());
        // Queued rows carry these names; renaming one strands its jobs.
        assert_eq!(
            NAMES,
            &[
                "deliver_notification",
                "housekeeping",
                "provision_order",
                "cancel_profile",
                "usage_sweep",
                "build_export",
                "closure",
                "closure_reminder",
                "announcement_mail"
            ]
        );
    }

    #[test]
    fn payloads_written_before_jobs_were_types_still_decode() {
        let old: AdvanceClosure = serde_json::from_str(r#"{"kind":"closure","closure_id":"c1"}"#).unwrap();
        assert_eq!(old.closure_id, "c1");
        let old: Housekeeping = serde_json::from_str(r#"{"kind":"housekeeping"}"#).unwrap();
        assert_eq!(serde_json::to_string(&old).unwrap(), "{}");
        let old: CancelProfile =
            serde_json::from_str(r#"{"kind":"cancel_profile","iccid":"8944500102198304825","matching_id":null}"#)
                .unwrap();
        // An SM-DP+'s ICCID need not carry a good check digit (this one's is off).
        assert_eq!((old.iccid.as_str(), old.matching_id), ("8944500102198304825", None));
    }
}

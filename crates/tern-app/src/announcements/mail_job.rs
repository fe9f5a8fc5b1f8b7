//! The `announcement_mail` job: emails the next batch of an important
//! announcement's audience (it queues itself again until all are sent).

use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::AppResult;
use crate::jobs::Job;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailAnnouncement {
    pub announcement_id: tern_domain::AnnouncementId,
    /// Set when a batch queues the next one: how many recipients were
    /// handled so far, which keeps each batch's job distinct from the
    /// one running. Not stored.
    #[serde(skip)]
    pub handled: Option<i64>,
}

impl Job for MailAnnouncement {
    const NAME: &'static str = "announcement_mail";

    fn dedup_key(&self) -> Option<String> {
        let id = &self.announcement_id;
        Some(match self.handled {
            None => format!("announcement:{id}:mail"),
            Some(n) => format!("announcement:{id}:mail:{n}"),
        })
    }

    async fn run(&self, app: &App, _last_attempt: bool) -> AppResult<()> {
        super::mail_batch(app, &self.announcement_id).await.map(|_| ())
    }
}

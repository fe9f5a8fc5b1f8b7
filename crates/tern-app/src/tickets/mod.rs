//! Support tickets: travellers open them and write to support; support and
//! admin staff answer, assign and move them (every staff action audited).
//!
//! A traveller only ever reaches their own tickets: every lookup is by id
//! *and* account, so another account's id answers exactly like an unknown
//! one (404). Messages are plain text everywhere (the portal escapes them,
//! emails are text/plain). Closure never waits for a ticket; its erase step
//! empties the subjects and messages of the account's tickets and closes
//! them, keeping the rows for the queue's figures.

mod mail;
mod staff;
mod user;

use serde::Serialize;
use tern_store::tickets::{MessageRow, TicketRow};

pub use staff::{
    AdminMessageView, AdminTicketView, QueueParams, STATS_DAYS, assign, queue, reply_as_staff, set_state,
    show_for_staff, staff, stats,
};
/// The read models the console shows as they are stored.
pub use tern_store::tickets::{StaffMember, TicketStats};
pub use user::{NewTicket, close_mine, list_mine, open, reply_mine, show_mine};

use crate::App;
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;
use crate::rate_limit::{self, Limit};

/// Tickets a traveller may open, and messages they may write, per hour.
pub const PER_HOUR: u32 = 20;

/// A ticket as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketView {
    #[schema(value_type = String)]
    pub id: tern_domain::TicketId,
    /// `billing`, `installation`, `connectivity`, `account_closure`, `other`.
    pub category: String,
    pub subject: String,
    /// `open`, `waiting_on_customer`, `resolved`, `closed`.
    #[schema(value_type = String)]
    pub state: tern_domain::ticket::TicketState,
    #[schema(value_type = Option<String>)]
    pub order_id: Option<tern_domain::OrderId>,
    #[schema(value_type = Option<String>)]
    pub iccid: Option<tern_domain::ids::Iccid>,
    pub created_at: String,
    pub updated_at: String,
    pub last_message_at: String,
    /// For `account_closure` tickets: the self-service closure page, so a
    /// ticket is never the only way to close an account.
    pub closure_link: Option<String>,
    /// Oldest first; left out of lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<MessageView>>,
}

/// One message as the ticket's owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    #[schema(value_type = String)]
    pub id: tern_domain::TicketMessageId,
    /// `you` or `support` (staff names are not shown).
    pub author: String,
    /// Plain text; line breaks as `\n`.
    pub body: String,
    pub created_at: String,
}

fn closure_link(app: &App, t: &TicketRow) -> Option<String> {
    (t.category == tern_domain::ticket::TicketCategory::AccountClosure)
        .then(|| format!("{}/account/close", app.settings.base_url()))
}

pub(crate) fn user_view(app: &App, t: &TicketRow, messages: Option<&[MessageRow]>) -> TicketView {
    TicketView {
        id: t.id.clone(),
        category: t.category.as_str().to_owned(),
        subject: t.subject.clone(),
        state: t.state,
        order_id: t.order_id.clone(),
        iccid: t.iccid.clone(),
        created_at: rfc3339(t.created_at),
        updated_at: rfc3339(t.updated_at),
        last_message_at: rfc3339(t.last_message_at),
        closure_link: closure_link(app, t),
        messages: messages.map(|list| {
            list.iter()
                .map(|m| MessageView {
                    id: m.id.clone(),
                    author: if m.from_staff { "support" } else { "you" }.to_owned(),
                    body: m.body.clone(),
                    created_at: rfc3339(m.created_at),
                })
                .collect()
        }),
    }
}

/// Counts one hit against a traveller's hourly ticket allowance; 429
/// `ticket_rate_limited` past it.
async fn throttle(conn: &mut tern_store::Conn, key: &str, now: i64) -> AppResult<()> {
    let limit = Limit {
        max: PER_HOUR,
        window: std::time::Duration::from_secs(3600),
    };
    match rate_limit::take(conn, key, limit, now).await {
        Err(AppError::RateLimited { retry_after_secs }) => Err(AppError::Throttled {
            code: Code::TicketRateLimited,
            retry_after_secs,
        }),
        other => other,
    }
}

fn refused(e: tern_domain::ticket::TicketRefusal) -> AppError {
    match e {
        tern_domain::ticket::TicketRefusal::Closed => AppError::Conflict(Code::TicketClosed),
    }
}

/// The account's tickets with their messages, for its data export (staff
/// are shown as `support`).
pub async fn for_export(
    conn: &mut tern_store::Conn,
    account_id: &tern_domain::AccountId,
) -> AppResult<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    for t in tern_store::tickets::for_account(conn, account_id, 10_000).await? {
        let messages = tern_store::tickets::messages(conn, &t.id).await?;
        out.push(serde_json::json!({
            "id": t.id, "category": t.category, "subject": t.subject, "state": t.state,
            "order_id": t.order_id, "iccid": t.iccid, "created_at": rfc3339(t.created_at),
            "resolved_at": t.resolved_at.map(rfc3339), "closed_at": t.closed_at.map(rfc3339),
            "messages": messages.iter().map(|m| serde_json::json!({
                "author": if m.from_staff { "support" } else { "you" },
                "body": m.body, "created_at": rfc3339(m.created_at),
            })).collect::<Vec<_>>(),
        }));
    }
    Ok(out)
}

//! Ticket emails, queued through the outbox in the caller's transaction.
//!
//! The customer gets each staff answer in full (plain text; the outbox row
//! is theirs, so closure erases it). Staff get a notice of a new customer
//! message with the ticket's reference, category and a console link, but
//! none of the customer's words: staff notices are not the customer's
//! messages, and closure could not erase text kept in them.

use serde_json::json;
use tern_domain::Locale;
use tern_store::tickets::{self, MessageRow, StaffMember, TicketRow};
use tern_store::{Conn, accounts};

use crate::App;
use crate::error::AppResult;
use crate::notify::{self, Channel, Message};

/// Staff accounts read per query when every one of them is told.
const STAFF_BATCH: i64 = 100;

/// The last 8 characters of a ticket id: what people read out.
pub(crate) fn reference(id: &str) -> &str {
    &id[id.len().saturating_sub(8)..]
}

fn locale_of(tag: &str) -> Locale {
    Locale::parse(tag).unwrap_or_default()
}

/// Emails the ticket's owner a staff answer.
pub(super) async fn tell_customer(app: &App, tx: &mut Conn, t: &TicketRow, msg: &MessageRow) -> AppResult<()> {
    let Some(account) = accounts::by_id(tx, &t.account_id).await? else {
        return Ok(());
    };
    let Some(email) = account.email.as_deref() else {
        return Ok(());
    };
    notify::queue(
        app,
        tx,
        Message {
            channel: Channel::Email,
            account_id: Some(&t.account_id),
            recipient: email,
            template: "ticket_reply",
            locale: locale_of(&account.locale),
            values: json!({
                "subject": t.subject,
                "reference": reference(&t.id),
                "body": msg.body,
                "link": format!("{}/support/{}", app.settings.base_url(), t.id),
            }),
        },
    )
    .await?;
    Ok(())
}

async fn notice(app: &App, tx: &mut Conn, t: &TicketRow, to: &StaffMember, new: bool) -> AppResult<()> {
    let Some(email) = to.email.as_deref() else {
        return Ok(());
    };
    let locale = locale_of(&to.locale);
    let category = tern_i18n::t(locale, &format!("support.category.{}", t.category)).to_owned();
    notify::queue(
        app,
        tx,
        Message {
            channel: Channel::Email,
            account_id: Some(&to.id),
            recipient: email,
            template: "ticket_customer_message",
            locale,
            values: json!({
                "new": new,
                "reference": reference(&t.id),
                "category": category,
                "link": format!("{}/admin/tickets/{}", app.settings.base_url(), t.id),
            }),
        },
    )
    .await?;
    Ok(())
}

/// Tells staff of a new customer message: the assignee when the ticket has
/// an active one, else every active support and admin account, read in
/// batches.
pub(super) async fn tell_staff(app: &App, tx: &mut Conn, t: &TicketRow, new: bool) -> AppResult<()> {
    if let Some(a) = &t.assignee_id
        && let Some(member) = tickets::staff_member(tx, a).await?
    {
        return notice(app, tx, t, &member, new).await;
    }
    let mut after = String::new();
    loop {
        let page = tickets::staff_page(tx, &after, STAFF_BATCH).await?;
        for member in &page {
            // Staff writing to support about their own account are not
            // told of their own message.
            if member.id != t.account_id {
                notice(app, tx, t, member, new).await?;
            }
        }
        match page.last() {
            Some(last) if page.len() as i64 == STAFF_BATCH => after = last.id.to_string(),
            _ => return Ok(()),
        }
    }
}

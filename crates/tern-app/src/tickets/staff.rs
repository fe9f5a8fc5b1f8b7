//! What support and admin staff do with tickets: the queue, a ticket with
//! its thread, answers, assignment, state changes, and the figures. The
//! HTTP layer checks the role; every action here on one ticket is audited
//! with the staff member as actor (the ticket by id, no personal data).

use serde::{Deserialize, Serialize};
use serde_json::json;
use tern_domain::ticket::{MessageBody, TicketCategory, TicketEvent, TicketState};
use tern_store::Conn;
use tern_store::tickets::{self, MessageRow, QueueFilter, StaffMember, TicketRow, TicketStats};

use super::{mail, refused};
use crate::App;
use crate::audit;
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult, FieldError};
use crate::error_code::Code;

/// A ticket as staff see it: the account by id, the times that matter.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminTicketView {
    #[schema(value_type = String)]
    pub id: tern_domain::TicketId,
    #[schema(value_type = String)]
    pub account_id: tern_domain::AccountId,
    pub category: String,
    /// Empty once the account was closed and its tickets erased.
    pub subject: String,
    #[schema(value_type = String)]
    pub state: tern_domain::ticket::TicketState,
    #[schema(value_type = Option<String>)]
    pub order_id: Option<tern_domain::OrderId>,
    #[schema(value_type = Option<String>)]
    pub iccid: Option<tern_domain::ids::Iccid>,
    #[schema(value_type = Option<String>)]
    pub assignee_id: Option<tern_domain::AccountId>,
    pub created_at: String,
    pub last_message_at: String,
    pub first_response_at: Option<String>,
    pub resolved_at: Option<String>,
    /// From opening to the first staff answer.
    pub first_response_secs: Option<i64>,
    /// From opening to (the latest) resolution.
    pub resolution_secs: Option<i64>,
    /// The account was closed: subject and messages are erased.
    pub erased: bool,
    /// Oldest first; left out of the queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<AdminMessageView>>,
}

/// One message as staff see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminMessageView {
    #[schema(value_type = String)]
    pub id: tern_domain::TicketMessageId,
    /// `customer` or `staff`.
    pub author: String,
    /// The staff account that wrote it (`None` for the customer).
    #[schema(value_type = Option<String>)]
    pub staff_id: Option<tern_domain::AccountId>,
    pub body: String,
    pub created_at: String,
}

fn secs(from: i64, to: Option<i64>) -> Option<i64> {
    to.map(|t| (t - from).max(0) / 1000)
}

fn view(t: &TicketRow, messages: Option<&[MessageRow]>) -> AdminTicketView {
    AdminTicketView {
        id: t.id.clone(),
        account_id: t.account_id.clone(),
        category: t.category.as_str().to_owned(),
        subject: t.subject.clone(),
        state: t.state,
        order_id: t.order_id.clone(),
        iccid: t.iccid.clone(),
        assignee_id: t.assignee_id.clone(),
        created_at: rfc3339(t.created_at),
        last_message_at: rfc3339(t.last_message_at),
        first_response_at: t.first_response_at.map(rfc3339),
        resolved_at: t.resolved_at.map(rfc3339),
        first_response_secs: secs(t.created_at, t.first_response_at),
        resolution_secs: secs(t.created_at, t.resolved_at),
        erased: t.erased_at.is_some(),
        messages: messages.map(|list| {
            list.iter()
                .map(|m| AdminMessageView {
                    id: m.id.clone(),
                    author: if m.from_staff { "staff" } else { "customer" }.to_owned(),
                    staff_id: m.from_staff.then(|| m.author_id.clone()),
                    body: m.body.clone(),
                    created_at: rfc3339(m.created_at),
                })
                .collect()
        }),
    }
}

/// The queue's filters, as the API and the portal take them.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct QueueParams {
    /// open, waiting_on_customer, resolved, closed
    pub state: Option<String>,
    /// A staff account id, `me`, or `none` for unassigned tickets.
    pub assignee: Option<String>,
    /// billing, installation, connectivity, account_closure, other
    pub category: Option<String>,
    pub limit: Option<i64>,
}

fn set(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Tickets by state, category and assignee: active ones first, the
/// longest-waiting open ticket at the top.
pub async fn queue(app: &App, actor: &tern_domain::AccountId, p: &QueueParams) -> AppResult<Vec<AdminTicketView>> {
    let mut errors = Vec::new();
    let state = set(&p.state).map(|s| TicketState::parse(s).ok_or(s));
    if let Some(Err(_)) = state {
        errors.push(FieldError::new("state", Code::TicketStateInvalid));
    }
    let category = set(&p.category).map(|c| TicketCategory::parse(c).ok_or(c));
    if let Some(Err(_)) = category {
        errors.push(FieldError::new("category", Code::TicketCategoryInvalid));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let assignee = match set(&p.assignee) {
        Some("none") => Some(""),
        Some("me") => Some(actor.as_str()),
        other => other,
    };
    let mut conn = app.db.conn().await?;
    let rows = tickets::queue(
        &mut conn,
        &QueueFilter {
            state: state.and_then(Result::ok),
            category: category.and_then(Result::ok),
            assignee,
        },
        p.limit.unwrap_or(200).clamp(1, 1000),
    )
    .await?;
    Ok(rows.iter().map(|t| view(t, None)).collect())
}

async fn load(conn: &mut Conn, id: &tern_domain::TicketId) -> AppResult<TicketRow> {
    tickets::by_id(conn, id).await?.ok_or(AppError::NotFound)
}

async fn full(app: &App, id: &tern_domain::TicketId) -> AppResult<AdminTicketView> {
    let mut conn = app.db.conn().await?;
    let t = load(&mut conn, id).await?;
    let messages = tickets::messages(&mut conn, id).await?;
    Ok(view(&t, Some(&messages)))
}

/// A ticket with its thread. Reading a customer's messages is audited.
pub async fn show_for_staff(
    app: &App,
    actor: &tern_domain::AccountId,
    id: &tern_domain::TicketId,
) -> AppResult<AdminTicketView> {
    let v = full(app, id).await?;
    let mut tx = app.work().await?;
    audit::record(
        &mut tx,
        app.db.backend(),
        actor,
        "ticket.viewed",
        id,
        json!({}),
        app.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(v)
}

/// Answers a ticket: the first answer sets the first-response time, an
/// open ticket moves to waiting on the customer, and the customer is
/// emailed the answer.
pub async fn reply_as_staff(
    app: &App,
    actor: &tern_domain::AccountId,
    id: &tern_domain::TicketId,
    body: &str,
) -> AppResult<AdminTicketView> {
    let body = MessageBody::parse(body).map_err(|c| AppError::parsed("body", c))?;
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let t = load(&mut tx, id).await?;
    let from = t.state;
    let to = from.on(TicketEvent::StaffReply).map_err(refused)?;
    if to != from && !tickets::transition(&mut tx, id, from, to, now).await? {
        return Err(AppError::Conflict(Code::TicketStateChanged));
    }
    let msg = MessageRow {
        id: crate::tokens::new_id().into(),
        ticket_id: id.clone(),
        author_id: actor.clone(),
        from_staff: true,
        body: body.as_str().to_owned(),
        created_at: now,
    };
    tickets::add_message(&mut tx, &msg).await?;
    mail::tell_customer(app, &mut tx, &t, &msg).await?;
    tx.audit(
        actor,
        "ticket.replied",
        id,
        json!({ "from": from.as_str(), "to": to.as_str(), "first_response": t.first_response_at.is_none() }),
    )
    .await?;
    tx.commit().await?;
    full(app, id).await
}

/// Assigns a ticket to an active support or admin account, or (`None`)
/// takes the assignment away.
pub async fn assign(
    app: &App,
    actor: &tern_domain::AccountId,
    id: &tern_domain::TicketId,
    staff_id: Option<&str>,
) -> AppResult<AdminTicketView> {
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let t = load(&mut tx, id).await?;
    let staff_id = staff_id
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(tern_domain::AccountId::from);
    if let Some(s) = &staff_id
        && tickets::staff_member(&mut tx, s).await?.is_none()
    {
        return Err(AppError::field("staff_id", Code::TicketAssigneeInvalid));
    }
    if t.state == TicketState::Closed {
        return Err(AppError::Conflict(Code::TicketClosed));
    }
    tickets::assign(&mut tx, id, staff_id.as_ref(), now).await?;
    tx.audit(
        actor,
        "ticket.assigned",
        id,
        json!({ "assignee": staff_id, "previous": t.assignee_id }),
    )
    .await?;
    tx.commit().await?;
    full(app, id).await
}

/// Sets a ticket's state by hand (resolve, close, reopen); a closed ticket
/// refuses (409 `ticket_closed`).
pub async fn set_state(
    app: &App,
    actor: &tern_domain::AccountId,
    id: &tern_domain::TicketId,
    state: &str,
) -> AppResult<AdminTicketView> {
    let target = TicketState::parse(state.trim()).ok_or_else(|| AppError::field("state", Code::TicketStateInvalid))?;
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let t = load(&mut tx, id).await?;
    let from = t.state;
    let to = from.on(TicketEvent::StaffSets(target)).map_err(refused)?;
    if to != from && !tickets::transition(&mut tx, id, from, to, now).await? {
        return Err(AppError::Conflict(Code::TicketStateChanged));
    }
    tx.audit(
        actor,
        "ticket.state_changed",
        id,
        json!({ "from": from.as_str(), "to": to.as_str() }),
    )
    .await?;
    tx.commit().await?;
    full(app, id).await
}

/// How many days the figures look back.
pub const STATS_DAYS: i64 = 30;

/// Open work now, and the first-response and resolution times and tickets
/// opened per day over the last [`STATS_DAYS`] days.
pub async fn stats(app: &App) -> AppResult<TicketStats> {
    let since = app.now_ms() - STATS_DAYS * 86_400_000;
    let mut conn = app.db.conn().await?;
    Ok(tickets::stats(&mut conn, since).await?)
}

/// Every active support and admin account, by id (the console's assign
/// form and the names beside tickets).
pub async fn staff(app: &App) -> AppResult<Vec<StaffMember>> {
    let mut conn = app.db.conn().await?;
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let page = tickets::staff_page(&mut conn, &after, 100).await?;
        let full = page.len() == 100;
        after = page.last().map(|m| m.id.to_string()).unwrap_or_default();
        out.extend(page);
        if !full {
            return Ok(out);
        }
    }
}

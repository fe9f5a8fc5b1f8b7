//! What a traveller does with their own tickets.

use serde::Deserialize;
use serde_json::json;
use tern_domain::ids::Iccid;
use tern_domain::ticket::{MessageBody, TicketCategory, TicketEvent, TicketState, TicketSubject};
use tern_store::tickets::{self, MessageRow, TicketRow};
use tern_store::{Conn, esims, orders};

use super::{TicketView, mail, refused, throttle, user_view};
use crate::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult, FieldError};
use crate::error_code::Code;

/// `POST /api/v1/tickets`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    /// `billing`, `installation`, `connectivity`, `account_closure`, `other`.
    pub category: String,
    /// 1 to 200 characters, one line.
    pub subject: String,
    /// 1 to 10 000 characters of plain text.
    pub body: String,
    /// One of your orders.
    pub order_id: Option<String>,
    /// One of your eSIMs.
    pub iccid: Option<String>,
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Checks every field at once; references must be the caller's own (an
/// order or eSIM of another account is refused exactly like an unknown
/// one).
async fn validate(
    conn: &mut Conn,
    who: &Principal,
    input: &NewTicket,
) -> AppResult<(TicketCategory, TicketSubject, MessageBody, Option<Iccid>)> {
    let mut errors = Vec::new();
    let category = TicketCategory::parse(input.category.trim());
    if category.is_none() {
        errors.push(FieldError::new("category", Code::TicketCategoryInvalid));
    }
    let subject = TicketSubject::parse(&input.subject).map_err(|c| errors.push(FieldError::parsed("subject", c)));
    let body = MessageBody::parse(&input.body).map_err(|c| errors.push(FieldError::parsed("body", c)));
    if let Some(id) = non_empty(&input.order_id) {
        let mine = orders::by_id(conn, &id.into())
            .await?
            .is_some_and(|o| o.account_id == who.account_id);
        if !mine {
            errors.push(FieldError::new("order_id", Code::TicketOrderUnknown));
        }
    }
    let mut iccid = None;
    if let Some(raw) = non_empty(&input.iccid) {
        let mine = match Iccid::known(raw) {
            Ok(i) => esims::by_iccid(conn, &i)
                .await?
                .filter(|e| e.account_id == who.account_id)
                .map(|e| e.iccid),
            Err(_) => None,
        };
        if mine.is_none() {
            errors.push(FieldError::new("iccid", Code::TicketEsimUnknown));
        }
        iccid = mine;
    }
    match (category, subject, body) {
        (Some(c), Ok(s), Ok(b)) if errors.is_empty() => Ok((c, s, b, iccid)),
        _ => Err(AppError::Validation(errors)),
    }
}

/// Opens a ticket with its first message; staff are told (the assignee,
/// else every support and admin account).
pub async fn open(app: &App, who: &Principal, input: &NewTicket) -> AppResult<TicketView> {
    let (category, subject, body, iccid) = {
        let mut conn = app.db.conn().await?;
        validate(&mut conn, who, input).await?
    };
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    throttle(&mut tx, &format!("tickets:open:{}", who.account_id), now).await?;
    let row = TicketRow {
        id: crate::tokens::new_id().into(),
        account_id: who.account_id.clone(),
        category,
        subject: subject.as_str().to_owned(),
        state: TicketState::Open,
        order_id: non_empty(&input.order_id).map(tern_domain::OrderId::from),
        iccid,
        assignee_id: None,
        created_at: now,
        updated_at: now,
        last_message_at: now,
        first_response_at: None,
        resolved_at: None,
        closed_at: None,
        erased_at: None,
    };
    tickets::insert(&mut tx, &row).await?;
    let msg = MessageRow {
        id: crate::tokens::new_id().into(),
        ticket_id: row.id.clone(),
        author_id: who.account_id.clone(),
        from_staff: false,
        body: body.as_str().to_owned(),
        created_at: now,
    };
    tickets::add_message(&mut tx, &msg).await?;
    mail::tell_staff(app, &mut tx, &row, true).await?;
    tx.audit(
        &who.account_id,
        "ticket.opened",
        &row.id,
        json!({ "category": row.category, "order": row.order_id.is_some(), "esim": row.iccid.is_some() }),
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("tern_tickets_opened_total", "category" => category.as_str()).increment(1);
    Ok(user_view(app, &row, Some(&[msg])))
}

/// The caller's tickets, most recently active first.
pub async fn list_mine(app: &App, who: &Principal) -> AppResult<Vec<TicketView>> {
    let mut conn = app.db.conn().await?;
    let rows = tickets::for_account(&mut conn, &who.account_id, 200).await?;
    Ok(rows.iter().map(|t| user_view(app, t, None)).collect())
}

async fn mine(conn: &mut Conn, who: &Principal, id: &tern_domain::TicketId) -> AppResult<TicketRow> {
    tickets::by_id_for_account(conn, id, &who.account_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// One of the caller's tickets with its messages; 404 for any other id.
pub async fn show_mine(app: &App, who: &Principal, id: &tern_domain::TicketId) -> AppResult<TicketView> {
    let mut conn = app.db.conn().await?;
    let t = mine(&mut conn, who, id).await?;
    let messages = tickets::messages(&mut conn, &t.id).await?;
    Ok(user_view(app, &t, Some(&messages)))
}

/// Writes to one of the caller's tickets; a waiting or resolved ticket
/// goes back to open, a closed one refuses (409 `ticket_closed`).
pub async fn reply_mine(app: &App, who: &Principal, id: &tern_domain::TicketId, body: &str) -> AppResult<TicketView> {
    let body = MessageBody::parse(body).map_err(|c| AppError::parsed("body", c))?;
    let now = app.now_ms();
    let mut tx = app.work().await?;
    let t = mine(&mut tx, who, id).await?;
    let from = t.state;
    let to = from.on(TicketEvent::UserReply).map_err(refused)?;
    throttle(&mut tx, &format!("tickets:message:{}", who.account_id), now).await?;
    if to != from && !tickets::transition(&mut tx, &t.id, from, to, now).await? {
        return Err(AppError::Conflict(Code::TicketStateChanged));
    }
    tickets::add_message(
        &mut tx,
        &MessageRow {
            id: crate::tokens::new_id().into(),
            ticket_id: t.id.clone(),
            author_id: who.account_id.clone(),
            from_staff: false,
            body: body.as_str().to_owned(),
            created_at: now,
        },
    )
    .await?;
    mail::tell_staff(app, &mut tx, &t, false).await?;
    tx.commit().await?;
    show_mine(app, who, id).await
}

/// Closes one of the caller's tickets (final).
pub async fn close_mine(app: &App, who: &Principal, id: &tern_domain::TicketId) -> AppResult<TicketView> {
    let now = app.now_ms();
    let mut tx = app.work_at(now).await?;
    let t = mine(&mut tx, who, id).await?;
    let from = t.state;
    let to = from.on(TicketEvent::UserClose).map_err(refused)?;
    if !tickets::transition(&mut tx, &t.id, from, to, now).await? {
        return Err(AppError::Conflict(Code::TicketStateChanged));
    }
    tx.audit(
        &who.account_id,
        "ticket.closed",
        &t.id,
        json!({ "from": from.as_str() }),
    )
    .await?;
    tx.commit().await?;
    show_mine(app, who, id).await
}

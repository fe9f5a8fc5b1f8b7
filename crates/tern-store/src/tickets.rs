//! Support tickets, their messages, and the queue's figures.

use sqlx::{AnyConnection, AssertSqlSafe, Row, any::AnyRow};

use tern_domain::ticket::{TicketCategory, TicketState};

use crate::Result;
use crate::decode::{self, Stored};

/// A ticket as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRow {
    pub id: tern_domain::TicketId,
    pub account_id: tern_domain::AccountId,
    pub category: TicketCategory,
    pub subject: String,
    pub state: TicketState,
    pub order_id: Option<tern_domain::OrderId>,
    pub iccid: Option<tern_domain::ids::Iccid>,
    pub assignee_id: Option<tern_domain::AccountId>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_message_at: i64,
    pub first_response_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub erased_at: Option<i64>,
}

/// One message of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    pub id: tern_domain::TicketMessageId,
    pub ticket_id: tern_domain::TicketId,
    pub author_id: tern_domain::AccountId,
    pub from_staff: bool,
    pub body: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, account_id, category, subject, state, order_id, iccid, assignee_id, created_at, \
     updated_at, last_message_at, first_response_at, resolved_at, closed_at, erased_at";

fn from_row(r: &AnyRow) -> Result<TicketRow> {
    Ok(TicketRow {
        id: crate::decode::id(r, "id")?,
        account_id: crate::decode::id(r, "account_id")?,
        category: decode::get(r, "category")?,
        subject: r.try_get("subject")?,
        state: decode::get(r, "state")?,
        order_id: crate::decode::id_opt(r, "order_id")?,
        iccid: crate::decode::iccid_opt(r, "iccid")?,
        assignee_id: crate::decode::id_opt(r, "assignee_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        last_message_at: r.try_get("last_message_at")?,
        first_response_at: r.try_get("first_response_at")?,
        resolved_at: r.try_get("resolved_at")?,
        closed_at: r.try_get("closed_at")?,
        erased_at: r.try_get("erased_at")?,
    })
}

fn message(r: &AnyRow) -> Result<MessageRow> {
    Ok(MessageRow {
        id: crate::decode::id(r, "id")?,
        ticket_id: crate::decode::id(r, "ticket_id")?,
        author_id: crate::decode::id(r, "author_id")?,
        from_staff: r.try_get::<i64, _>("from_staff")? != 0,
        body: r.try_get("body")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Inserts a new ticket (without its first message).
pub async fn insert(conn: &mut AnyConnection, t: &TicketRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO tickets (id, account_id, category, subject, state, order_id, iccid, assignee_id, created_at, \
         updated_at, last_message_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(t.id.as_str())
    .bind(t.account_id.as_str())
    .bind(t.category.stored())
    .bind(t.subject.as_str())
    .bind(t.state.stored())
    .bind(t.order_id.as_deref())
    .bind(t.iccid.as_ref().map(|i| i.as_str()))
    .bind(t.assignee_id.as_deref())
    .bind(t.created_at)
    .bind(t.updated_at)
    .bind(t.last_message_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends a message and records it on the ticket: the last message time
/// and, for the first staff message, `first_response_at`.
pub async fn add_message(conn: &mut AnyConnection, m: &MessageRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO ticket_messages (id, ticket_id, author_id, from_staff, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(m.id.as_str())
    .bind(m.ticket_id.as_str())
    .bind(m.author_id.as_str())
    .bind(i64::from(m.from_staff))
    .bind(m.body.as_str())
    .bind(m.created_at)
    .execute(&mut *conn)
    .await?;
    let sql = if m.from_staff {
        "UPDATE tickets SET last_message_at = $2, updated_at = $2, \
         first_response_at = COALESCE(first_response_at, $2) WHERE id = $1"
    } else {
        "UPDATE tickets SET last_message_at = $2, updated_at = $2 WHERE id = $1"
    };
    sqlx::query(sql)
        .bind(m.ticket_id.as_str())
        .bind(m.created_at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn by_id(conn: &mut AnyConnection, id: &tern_domain::TicketId) -> Result<Option<TicketRow>> {
    let sql = format!("SELECT {COLUMNS} FROM tickets WHERE id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The ticket, only if it belongs to `account_id` (another account's id
/// looks exactly like an unknown one).
pub async fn by_id_for_account(
    conn: &mut AnyConnection,
    id: &tern_domain::TicketId,
    account_id: &tern_domain::AccountId,
) -> Result<Option<TicketRow>> {
    let sql = format!("SELECT {COLUMNS} FROM tickets WHERE id = $1 AND account_id = $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id.as_str())
        .bind(account_id.as_str())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The account's tickets, most recently active first.
pub async fn for_account(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    limit: i64,
) -> Result<Vec<TicketRow>> {
    let sql = format!("SELECT {COLUMNS} FROM tickets WHERE account_id = $1 ORDER BY last_message_at DESC, id LIMIT $2");
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(account_id.as_str())
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// What the staff queue is filtered by; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter<'a> {
    pub state: Option<TicketState>,
    pub category: Option<TicketCategory>,
    /// An account id, or `Some("")` for unassigned tickets.
    pub assignee: Option<&'a str>,
}

/// The staff queue: longest-waiting first among active tickets, then the
/// rest by last activity.
pub async fn queue(conn: &mut AnyConnection, f: &QueueFilter<'_>, limit: i64) -> Result<Vec<TicketRow>> {
    let mut sql = format!("SELECT {COLUMNS} FROM tickets WHERE 1 = 1");
    let mut binds: Vec<&str> = Vec::new();
    if let Some(s) = f.state {
        binds.push(s.stored());
        sql.push_str(&format!(" AND state = ${}", binds.len()));
    }
    if let Some(c) = f.category {
        binds.push(c.stored());
        sql.push_str(&format!(" AND category = ${}", binds.len()));
    }
    match f.assignee {
        Some("") => sql.push_str(" AND assignee_id IS NULL"),
        Some(a) => {
            binds.push(a);
            sql.push_str(&format!(" AND assignee_id = ${}", binds.len()));
        }
        None => {}
    }
    sql.push_str(&format!(
        " ORDER BY CASE WHEN state IN ('open', 'waiting_on_customer') THEN 0 ELSE 1 END, \
         CASE WHEN state = 'open' THEN last_message_at ELSE -last_message_at END, id LIMIT ${}",
        binds.len() + 1
    ));
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.bind(limit).fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

/// A ticket's messages, oldest first.
pub async fn messages(conn: &mut AnyConnection, ticket_id: &tern_domain::TicketId) -> Result<Vec<MessageRow>> {
    let rows = sqlx::query(
        "SELECT id, ticket_id, author_id, from_staff, body, created_at FROM ticket_messages \
         WHERE ticket_id = $1 ORDER BY created_at, id",
    )
    .bind(ticket_id.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter().map(message).collect()
}

/// Moves a ticket from `from` to `to` (the caller checked the move with
/// the domain type), keeping `resolved_at` and `closed_at` in step; false
/// when it was no longer in `from`.
pub async fn transition(
    conn: &mut AnyConnection,
    id: &tern_domain::TicketId,
    from: TicketState,
    to: TicketState,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE tickets SET state = $3, updated_at = $4, \
         resolved_at = CASE WHEN $3 = 'resolved' THEN $4 WHEN $3 = 'closed' THEN resolved_at ELSE NULL END, \
         closed_at = CASE WHEN $3 = 'closed' THEN $4 ELSE NULL END \
         WHERE id = $1 AND state = $2",
    )
    .bind(id.as_str())
    .bind(from.stored())
    .bind(to.stored())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Sets (or with `None` clears) the staff member a ticket is assigned to.
pub async fn assign(
    conn: &mut AnyConnection,
    id: &tern_domain::TicketId,
    assignee: Option<&tern_domain::AccountId>,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE tickets SET assignee_id = $2, updated_at = $3 WHERE id = $1")
        .bind(id.as_str())
        .bind(assignee.map(|a| a.as_str()))
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// A staff account a ticket can be assigned to or a notice sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: tern_domain::AccountId,
    pub email: Option<String>,
    pub locale: String,
    pub role: tern_domain::Role,
}

/// Active support and admin accounts with ids after `after`, by id, at
/// most `limit` (page through them with the last id).
pub async fn staff_page(conn: &mut AnyConnection, after: &str, limit: i64) -> Result<Vec<StaffMember>> {
    let rows = sqlx::query(
        "SELECT id, email, locale, role FROM accounts WHERE role IN ('support', 'admin') AND status = 'active' \
         AND id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StaffMember {
                id: crate::decode::id(r, "id")?,
                email: r.try_get("email")?,
                locale: r.try_get("locale")?,
                role: crate::decode::get(r, "role")?,
            })
        })
        .collect()
}

/// One active support or admin account.
pub async fn staff_member(conn: &mut AnyConnection, id: &tern_domain::AccountId) -> Result<Option<StaffMember>> {
    let row = sqlx::query(
        "SELECT id, email, locale, role FROM accounts WHERE id = $1 AND role IN ('support', 'admin') \
         AND status = 'active'",
    )
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(StaffMember {
            id: crate::decode::id(&r, "id")?,
            email: r.try_get("email")?,
            locale: r.try_get("locale")?,
            role: crate::decode::get(&r, "role")?,
        })
    })
    .transpose()
}

/// What erasing an account's tickets did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ErasedTickets {
    /// Tickets whose subject was emptied (and which were closed).
    pub tickets: i64,
    /// Messages whose text was emptied, the staff's answers included.
    pub messages: i64,
}

/// Empties the subject and every message of the account's tickets and
/// closes them; the rows stay (with their category, states and times) for
/// the queue's figures. Running it again changes nothing more.
pub async fn erase_for_account(
    conn: &mut AnyConnection,
    account_id: &tern_domain::AccountId,
    now: i64,
) -> Result<ErasedTickets> {
    let messages = sqlx::query(
        "UPDATE ticket_messages SET body = '' WHERE body <> '' AND ticket_id IN \
         (SELECT id FROM tickets WHERE account_id = $1)",
    )
    .bind(account_id.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let tickets = sqlx::query(
        "UPDATE tickets SET subject = '', erased_at = $2, updated_at = $2, \
         closed_at = COALESCE(closed_at, $2), state = 'closed' WHERE account_id = $1 AND erased_at IS NULL",
    )
    .bind(account_id.as_str())
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(ErasedTickets {
        tickets: i64::try_from(tickets).unwrap_or(i64::MAX),
        messages: i64::try_from(messages).unwrap_or(i64::MAX),
    })
}

/// The queue's figures, for the tickets page and the console dashboard.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct TicketStats {
    /// Tickets open or waiting on the customer now.
    pub open: i64,
    /// Tickets waiting for a first staff answer now.
    pub awaiting_first_response: i64,
    /// Tickets opened since `since` that have had a staff answer.
    pub answered: i64,
    /// Median time to the first staff answer of those, in seconds.
    pub median_first_response_secs: Option<i64>,
    /// Mean time to the first staff answer of those, in seconds.
    pub avg_first_response_secs: Option<i64>,
    /// Mean time from opening to resolution of tickets resolved since
    /// `since`, in seconds.
    pub avg_resolution_secs: Option<i64>,
    /// Tickets opened per UTC day since `since`: (day number since the
    /// epoch, count), days with none left out.
    pub opened_per_day: Vec<(i64, i64)>,
}

fn median(sorted: &[i64]) -> Option<i64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2),
    }
}

/// Open work now, and first-response and resolution times of tickets
/// opened (resolved) since `since` (Unix ms).
pub async fn stats(conn: &mut AnyConnection, since: i64) -> Result<TicketStats> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS open, COALESCE(SUM(CASE WHEN first_response_at IS NULL THEN 1 ELSE 0 END), 0) AS fresh \
         FROM tickets WHERE state IN ('open', 'waiting_on_customer')",
    )
    .fetch_one(&mut *conn)
    .await?;
    let open: i64 = row.try_get("open")?;
    let awaiting: i64 = row.try_get("fresh")?;
    let mut waits: Vec<i64> = sqlx::query_scalar(
        "SELECT first_response_at - created_at FROM tickets WHERE created_at >= $1 AND first_response_at IS NOT NULL",
    )
    .bind(since)
    .fetch_all(&mut *conn)
    .await?;
    waits.sort_unstable();
    let resolutions: Vec<i64> = sqlx::query_scalar(
        "SELECT resolved_at - created_at FROM tickets WHERE resolved_at IS NOT NULL AND resolved_at >= $1",
    )
    .bind(since)
    .fetch_all(&mut *conn)
    .await?;
    let avg = |v: &[i64]| (!v.is_empty()).then(|| v.iter().sum::<i64>() / v.len() as i64 / 1000);
    let per_day = sqlx::query(
        "SELECT CAST(created_at / 86400000 AS BIGINT) AS day, COUNT(*) AS n FROM tickets WHERE created_at >= $1 \
         GROUP BY CAST(created_at / 86400000 AS BIGINT) ORDER BY day",
    )
    .bind(since)
    .fetch_all(conn)
    .await?;
    Ok(TicketStats {
        open,
        awaiting_first_response: awaiting,
        answered: waits.len() as i64,
        median_first_response_secs: median(&waits).map(|ms| ms / 1000),
        avg_first_response_secs: avg(&waits),
        avg_resolution_secs: avg(&resolutions),
        opened_per_day: per_day
            .iter()
            .map(|r| Ok((r.try_get("day")?, r.try_get("n")?)))
            .collect::<Result<_>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_lists() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5));
        assert_eq!(median(&[1, 2, 10]), Some(2));
        assert_eq!(median(&[1, 3, 5, 100]), Some(4));
    }
}

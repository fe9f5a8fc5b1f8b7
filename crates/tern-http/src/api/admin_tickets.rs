//! Operators: the support queue (roles support and admin; others get 403
//! and an `access.forbidden` audit entry).

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use tern_app::tickets::TicketStats;
use tern_app::tickets::{self, AdminTicketView, QueueParams};

use super::tickets::MessageInput;
use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};
use crate::state::HttpState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    /// A support or admin account; `null` takes the assignment away.
    pub staff_id: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateInput {
    /// open, waiting_on_customer, resolved, closed
    pub state: String,
}

/// The queue's figures over the last 30 days.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct StatsView {
    pub open: i64,
    pub awaiting_first_response: i64,
    pub answered: i64,
    pub median_first_response_secs: Option<i64>,
    pub avg_first_response_secs: Option<i64>,
    pub avg_resolution_secs: Option<i64>,
    /// Days with none are left out.
    pub opened_per_day: Vec<DayCount>,
}

/// Tickets opened on one UTC day.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DayCount {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub opened: i64,
}

impl From<TicketStats> for StatsView {
    fn from(s: TicketStats) -> Self {
        let day = |d: i64| {
            tern_app::clock::to_datetime(d * 86_400_000)
                .format("%Y-%m-%d")
                .to_string()
        };
        StatsView {
            open: s.open,
            awaiting_first_response: s.awaiting_first_response,
            answered: s.answered,
            median_first_response_secs: s.median_first_response_secs,
            avg_first_response_secs: s.avg_first_response_secs,
            avg_resolution_secs: s.avg_resolution_secs,
            opened_per_day: s
                .opened_per_day
                .into_iter()
                .map(|(d, n)| DayCount { day: day(d), opened: n })
                .collect(),
        }
    }
}

async fn staff(s: &HttpState, auth: &Auth, action: &str) -> Result<(), ApiError> {
    auth.require(s, tern_domain::Permission::WorkTickets, action).await
}

/// Tickets by state, assignee (`me`, `none` or an id) and category; open
/// ones first, the longest-waiting at the top.
#[utoipa::path(get, path = "/api/v1/admin/tickets", tag = "admin", params(QueueParams),
    responses((status = 200, body = [AdminTicketView]), (status = 403, description = "forbidden"),
              (status = 422, description = "ticket_state_invalid / ticket_category_invalid")),
    security(("bearer" = [])))]
pub async fn list(
    State(s): State<HttpState>,
    auth: Auth,
    Query(p): Query<QueueParams>,
) -> Result<Json<Vec<AdminTicketView>>, ApiError> {
    staff(&s, &auth, "admin.tickets.list").await?;
    Ok(Json(tickets::queue(&s.app, &auth.who.account_id, &p).await?))
}

/// Open tickets, first-response and resolution times, tickets per day.
#[utoipa::path(get, path = "/api/v1/admin/tickets/stats", tag = "admin",
    responses((status = 200, body = StatsView), (status = 403, description = "forbidden")), security(("bearer" = [])))]
pub async fn stats(State(s): State<HttpState>, auth: Auth) -> Result<Json<StatsView>, ApiError> {
    staff(&s, &auth, "admin.tickets.stats").await?;
    Ok(Json(tickets::stats(&s.app).await?.into()))
}

/// One ticket with its thread (audited).
#[utoipa::path(get, path = "/api/v1/admin/tickets/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = AdminTicketView), (status = 404, description = "not_found")), security(("bearer" = [])))]
pub async fn show(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::TicketId>,
) -> Result<Json<AdminTicketView>, ApiError> {
    staff(&s, &auth, "admin.tickets.show").await?;
    Ok(Json(tickets::show_for_staff(&s.app, &auth.who.account_id, &id).await?))
}

/// Answer a ticket: the customer is emailed; an open ticket waits on the
/// customer.
#[utoipa::path(post, path = "/api/v1/admin/tickets/{id}/messages", tag = "admin", params(("id" = String, Path)),
    request_body = MessageInput,
    responses((status = 200, body = AdminTicketView), (status = 409, description = "ticket_closed")),
    security(("bearer" = [])))]
pub async fn reply(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::TicketId>,
    ApiJson(input): ApiJson<MessageInput>,
) -> Result<Json<AdminTicketView>, ApiError> {
    staff(&s, &auth, "admin.tickets.reply").await?;
    Ok(Json(
        tickets::reply_as_staff(&s.app, &auth.who.account_id, &id, &input.body).await?,
    ))
}

/// Assign a ticket to a support or admin account (or take it away).
#[utoipa::path(post, path = "/api/v1/admin/tickets/{id}/assign", tag = "admin", params(("id" = String, Path)),
    request_body = AssignInput,
    responses((status = 200, body = AdminTicketView), (status = 422, description = "ticket_assignee_invalid"),
              (status = 409, description = "ticket_closed")),
    security(("bearer" = [])))]
pub async fn assign(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::TicketId>,
    ApiJson(input): ApiJson<AssignInput>,
) -> Result<Json<AdminTicketView>, ApiError> {
    staff(&s, &auth, "admin.tickets.assign").await?;
    Ok(Json(
        tickets::assign(&s.app, &auth.who.account_id, &id, input.staff_id.as_deref()).await?,
    ))
}

/// Set a ticket's state (resolve, close, reopen); closed is final.
#[utoipa::path(post, path = "/api/v1/admin/tickets/{id}/state", tag = "admin", params(("id" = String, Path)),
    request_body = StateInput,
    responses((status = 200, body = AdminTicketView), (status = 409, description = "ticket_closed"),
              (status = 422, description = "ticket_state_invalid")),
    security(("bearer" = [])))]
pub async fn set_state(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::TicketId>,
    ApiJson(input): ApiJson<StateInput>,
) -> Result<Json<AdminTicketView>, ApiError> {
    staff(&s, &auth, "admin.tickets.state").await?;
    Ok(Json(
        tickets::set_state(&s.app, &auth.who.account_id, &id, &input.state).await?,
    ))
}

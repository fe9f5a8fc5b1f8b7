//! Support tickets: a traveller's own (another account's ids are 404).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use tern_app::tickets::{self, NewTicket, TicketView};

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};
use crate::state::HttpState;

/// `POST /api/v1/tickets/{id}/messages`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    /// 1 to 10 000 characters of plain text.
    pub body: String,
}

/// Open a ticket with its first message. An order or eSIM it refers to
/// must be yours (422 `ticket_order_unknown` / `ticket_esim_unknown`). An
/// `account_closure` ticket answers with `closure_link`, the self-service
/// closure page. At most 20 tickets an hour (429 `ticket_rate_limited`).
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = NewTicket,
    responses((status = 201, body = TicketView), (status = 422, description = "validation_failed, with details"),
              (status = 429, description = "ticket_rate_limited")),
    security(("bearer" = [])))]
pub async fn create(
    State(s): State<HttpState>,
    auth: Auth,
    ApiJson(input): ApiJson<NewTicket>,
) -> Result<(StatusCode, Json<TicketView>), ApiError> {
    let v = tickets::open(&s.app, &auth.who, &input).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Your tickets, most recently active first (without messages).
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets",
    responses((status = 200, body = [TicketView])), security(("bearer" = [])))]
pub async fn list(State(s): State<HttpState>, auth: Auth) -> Result<Json<Vec<TicketView>>, ApiError> {
    Ok(Json(tickets::list_mine(&s.app, &auth.who).await?))
}

/// One of your tickets with its messages, oldest first.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = TicketView), (status = 404, description = "not_found")), security(("bearer" = [])))]
pub async fn show(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::TicketId>,
) -> Result<Json<TicketView>, ApiError> {
    Ok(Json(tickets::show_mine(&s.app, &auth.who, &id).await?))
}

/// Write to one of your tickets; a waiting or resolved ticket opens again.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/messages", tag = "tickets", params(("id" = String, Path)),
    request_body = MessageInput,
    responses((status = 201, body = TicketView), (status = 404, description = "not_found"),
              (status = 409, description = "ticket_closed"), (status = 429, description = "ticket_rate_limited")),
    security(("bearer" = [])))]
pub async fn reply(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::TicketId>,
    ApiJson(input): ApiJson<MessageInput>,
) -> Result<(StatusCode, Json<TicketView>), ApiError> {
    let v = tickets::reply_mine(&s.app, &auth.who, &id, &input.body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Close one of your tickets (final).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/close", tag = "tickets", params(("id" = String, Path)),
    responses((status = 200, body = TicketView), (status = 404, description = "not_found"),
              (status = 409, description = "ticket_closed")),
    security(("bearer" = [])))]
pub async fn close(
    State(s): State<HttpState>,
    auth: Auth,
    Path(id): Path<tern_domain::TicketId>,
) -> Result<Json<TicketView>, ApiError> {
    Ok(Json(tickets::close_mine(&s.app, &auth.who, &id).await?))
}

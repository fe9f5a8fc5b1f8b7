//! The JSON API under `/api/v1`.

mod access;
pub(crate) mod accounts;
pub(crate) mod admin_accounts;
pub(crate) mod admin_announcements;
pub(crate) mod admin_closures;
pub(crate) mod admin_dashboard;
pub(crate) mod admin_plans;
pub(crate) mod admin_refunds;
pub(crate) mod admin_staff;
pub(crate) mod admin_tickets;
pub(crate) mod announcements;
pub(crate) mod catalogue;
pub(crate) mod closure;
pub(crate) mod es2plus;
pub(crate) mod esims;
pub(crate) mod exports;
pub(crate) mod me;
pub(crate) mod orders;
pub(crate) mod password_resets;
pub(crate) mod payments;
pub(crate) mod sessions;
pub(crate) mod tickets;
// Two-factor (security branch).
pub(crate) mod totp;
pub(crate) mod usage;
pub(crate) mod wallet;

use axum::Router;
use axum::routing::{delete, get, post};

use crate::state::HttpState;

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/accounts", post(accounts::create_account))
        .route("/accounts/verify-email", post(accounts::verify_email))
        .route("/sessions", post(sessions::create_session))
        .route("/sessions/current", delete(sessions::delete_current_session))
        .route("/sessions/current/reauth", post(sessions::reauthenticate))
        .route("/me", get(me::get_me).patch(me::patch_me))
        .route("/me/password", post(me::change_password))
        .route("/me/sessions", get(me::list_sessions))
        .route("/me/sessions/{id}", delete(me::end_session))
        .route("/me/phone/verification", post(me::phone_start))
        .route("/me/phone/verification/confirm", post(me::phone_confirm))
        // Two-factor (security branch).
        .route("/me/totp", get(totp::status).post(totp::start).delete(totp::disable))
        .route("/me/totp/confirm", post(totp::confirm))
        .route("/me/exports", post(exports::request_export))
        .route("/me/exports/{id}", get(exports::get_export))
        .route("/exports/download/{token}", get(exports::download_export))
        .route("/me/closure/preview", get(closure::preview))
        .route(
            "/me/closure",
            post(closure::request).get(closure::current).delete(closure::cancel),
        )
        .route("/closure-status/{token}", get(closure::status))
        .route("/admin/closures", get(admin_closures::list))
        .route("/admin/closures/{id}", get(admin_closures::show))
        .route("/admin/closures/{id}/hold", post(admin_closures::hold))
        .route("/admin/closures/{id}/resume", post(admin_closures::resume))
        .route("/admin/closures/{id}/retry", post(admin_closures::retry))
        .route("/admin/accounts", get(admin_accounts::search))
        .route("/admin/accounts/{id}", get(admin_accounts::show))
        .route("/admin/accounts/{id}/wallet-adjustments", post(admin_accounts::adjust))
        .route("/admin/refunds", get(admin_refunds::list))
        .route("/admin/refunds/{id}/approve", post(admin_refunds::approve))
        .route("/admin/plans", get(admin_plans::list))
        .route("/admin/plans/import", post(admin_plans::import))
        .route("/admin/plans/{code}/activate", post(admin_plans::activate))
        .route("/admin/plans/{code}/deactivate", post(admin_plans::deactivate))
        .route("/admin/staff", get(admin_staff::list).post(admin_staff::create))
        .route("/admin/staff/{id}/role", post(admin_staff::set_role))
        .route("/admin/staff/{id}/disable", post(admin_staff::disable))
        .route("/admin/dashboard", get(admin_dashboard::get))
        .route("/tickets", post(tickets::create).get(tickets::list))
        .route("/tickets/{id}", get(tickets::show))
        .route("/tickets/{id}/messages", post(tickets::reply))
        .route("/tickets/{id}/close", post(tickets::close))
        .route("/admin/tickets", get(admin_tickets::list))
        .route("/admin/tickets/stats", get(admin_tickets::stats))
        .route("/admin/tickets/{id}", get(admin_tickets::show))
        .route("/admin/tickets/{id}/messages", post(admin_tickets::reply))
        .route("/admin/tickets/{id}/assign", post(admin_tickets::assign))
        .route("/admin/tickets/{id}/state", post(admin_tickets::set_state))
        .route("/password-resets", post(password_resets::request_reset))
        .route("/password-resets/confirm", post(password_resets::confirm_reset))
        .route("/wallet", get(wallet::get_wallet))
        .route("/wallet/redeem", post(wallet::redeem))
        .route("/wallet/top-ups", post(payments::start_top_up))
        .route("/wallet/top-ups/{id}", get(payments::get_top_up))
        .route("/payments/webhook/{gateway}", post(payments::webhook))
        .route("/plans", get(catalogue::list_plans))
        .route("/plans/{code}", get(catalogue::get_plan))
        .route("/orders", post(orders::create_order).get(orders::list_orders))
        .route("/orders/{id}", get(orders::get_order))
        .route("/orders/{id}/cancel", post(orders::cancel_order))
        .route("/esims", get(esims::list_esims))
        .route("/esims/{iccid}", get(esims::get_esim))
        .route("/esims/{iccid}/qr.svg", get(esims::qr_svg))
        .route("/esims/{iccid}/simulate-install", post(esims::simulate_install))
        .route("/esims/{iccid}/usage", get(usage::esim_usage))
        .route(
            "/network/usage",
            post(usage::post_usage).layer(axum::extract::DefaultBodyLimit::max(usage::MAX_USAGE_BODY)),
        )
        .route("/announcements", get(announcements::list))
        .route("/announcements/{id}/read", post(announcements::read))
        .route(
            "/me/preferences",
            get(announcements::get_preferences).put(announcements::put_preferences),
        )
        .route("/terms/current", get(announcements::current_terms))
        .route("/terms/{version}/accept", post(announcements::accept_terms))
        .route(
            "/admin/announcements",
            post(admin_announcements::create).get(admin_announcements::list),
        )
        .route("/admin/announcements/{id}", get(admin_announcements::show))
        .route("/admin/announcements/{id}/publish", post(admin_announcements::publish))
        .route(
            "/admin/terms",
            post(admin_announcements::publish_terms).get(admin_announcements::list_terms),
        )
}

//! The JSON API under `/api/v1`.

pub(crate) mod accounts;
pub(crate) mod admin_closures;
pub(crate) mod catalogue;
pub(crate) mod closure;
pub(crate) mod esims;
pub(crate) mod exports;
pub(crate) mod me;
pub(crate) mod orders;
pub(crate) mod password_resets;
pub(crate) mod payments;
pub(crate) mod sessions;
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
}

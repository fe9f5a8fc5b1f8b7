//! The JSON API under `/api/v1`.

pub(crate) mod accounts;
pub(crate) mod me;
pub(crate) mod password_resets;
pub(crate) mod sessions;
pub(crate) mod wallet;

use axum::Router;
use axum::routing::{delete, get, post};

use crate::state::HttpState;

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/accounts", post(accounts::create_account))
        .route("/accounts/verify-email", post(accounts::verify_email))
        .route("/sessions", post(sessions::create_session))
        .route(
            "/sessions/current",
            delete(sessions::delete_current_session),
        )
        .route("/sessions/current/reauth", post(sessions::reauthenticate))
        .route("/me", get(me::get_me).patch(me::patch_me))
        .route("/me/password", post(me::change_password))
        .route("/me/sessions", get(me::list_sessions))
        .route("/me/sessions/{id}", delete(me::end_session))
        .route("/me/phone/verification", post(me::phone_start))
        .route("/me/phone/verification/confirm", post(me::phone_confirm))
        .route("/password-resets", post(password_resets::request_reset))
        .route(
            "/password-resets/confirm",
            post(password_resets::confirm_reset),
        )
        .route("/wallet", get(wallet::get_wallet))
        .route("/wallet/redeem", post(wallet::redeem))
}

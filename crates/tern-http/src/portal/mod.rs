//! The portal: server-rendered pages that work without JavaScript, on a
//! phone first. Forms post back to the same path; every form carries a
//! CSRF token; signed-in pages use the same sessions as the API through a
//! cookie.

/// The value of a service call a page needs, or (from the page handler)
/// the error page for it: `let x = page_try!(ctx, service(…).await);`.
macro_rules! page_try {
    ($ctx:expr, $result:expr) => {
        match $result {
            Ok(value) => value,
            Err(e) => return $ctx.failed(&e),
        }
    };
}

mod account;
mod admin_accounts;
mod admin_announcements;
mod admin_closures;
mod admin_console;
mod admin_plans;
mod admin_refunds;
mod admin_staff;
mod admin_tickets;
mod announcements;
mod assets;
mod auth_pages;
mod chart;
mod checkout;
mod closure;
mod closure_status;
mod csrf;
mod esims;
mod exports;
mod page;
mod shop;
mod stacked_chart;
mod staff_access;
mod support;
pub mod templates;
mod terms;
// Two-factor (security branch).
mod two_factor;

use axum::Router;
use axum::routing::{get, post};

use crate::state::HttpState;

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/", get(auth_pages::home))
        .route("/signup", get(auth_pages::signup_form).post(auth_pages::signup_submit))
        .route("/verify-email", get(auth_pages::verify_email))
        .route("/login", get(auth_pages::login_form).post(auth_pages::login_submit))
        .route("/logout", post(auth_pages::logout))
        .route(
            "/forgot-password",
            get(auth_pages::forgot_form).post(auth_pages::forgot_submit),
        )
        .route(
            "/reset-password",
            get(auth_pages::reset_form).post(auth_pages::reset_submit),
        )
        .route("/account", get(account::show))
        .route("/account/profile", post(account::update_profile))
        .route("/account/password", post(account::change_password))
        .route("/account/phone/send", post(account::send_phone_code))
        .route("/account/phone/confirm", post(account::confirm_phone))
        .route("/account/sessions/{id}/end", post(account::end_session))
        .route("/account/export", post(account::request_export))
        .route("/account/close", get(closure::preview).post(closure::submit))
        .route("/account/closure", get(closure::show))
        .route("/account/closure/cancel", post(closure::cancel))
        .route("/closure-status/{token}", get(closure_status::show))
        .route("/exports/{token}", get(exports::download))
        .route("/plans", get(shop::plans))
        .route("/plans/{code}", get(shop::plan))
        .route("/plans/{code}/buy", post(shop::buy))
        .route("/wallet", get(shop::wallet_show))
        .route("/wallet/redeem", post(shop::wallet_redeem))
        .route("/wallet/top-up", post(checkout::start))
        .route("/sandbox/checkout/{id}", get(checkout::show).post(checkout::pay))
        .route("/esims", get(esims::list))
        .route("/esims/{iccid}", get(esims::show))
        .route("/esims/{iccid}/simulate-install", post(esims::simulate_install))
        .route("/orders/{id}/cancel", post(esims::cancel_order))
        .route("/admin/closures", get(admin_closures::list))
        .route("/admin/closures/{id}", get(admin_closures::show))
        .route("/admin/closures/{id}/{action}", post(admin_closures::act))
        .route("/admin", get(admin_console::dashboard))
        .route("/admin/accounts", get(admin_accounts::search))
        .route("/admin/accounts/{id}", get(admin_accounts::show))
        .route("/admin/accounts/{id}/wallet-adjustments", post(admin_accounts::adjust))
        .route("/admin/plans", get(admin_plans::list))
        .route("/admin/plans/import", post(admin_plans::import))
        .route("/admin/plans/{code}/{action}", post(admin_plans::set_active))
        .route("/admin/staff", get(admin_staff::list).post(admin_staff::create))
        .route("/admin/staff/{id}/{action}", post(admin_staff::act))
        .route("/admin/refunds", get(admin_refunds::list))
        .route("/admin/refunds/{id}/approve", post(admin_refunds::approve))
        .route("/announcements", get(announcements::list))
        .route("/announcements/preferences", post(announcements::preferences))
        .route("/announcements/{id}/read", post(announcements::read))
        .route("/terms", get(terms::show))
        .route("/terms/accept", post(terms::accept))
        .route(
            "/admin/announcements",
            get(admin_announcements::list).post(admin_announcements::submit),
        )
        .route("/admin/announcements/{id}", get(admin_announcements::show))
        .route("/admin/announcements/{id}/publish", post(admin_announcements::publish))
        .route(
            "/admin/terms",
            get(admin_announcements::terms_list).post(admin_announcements::terms_submit),
        )
        .route("/support", get(support::list).post(support::create))
        .route("/support/{id}", get(support::show))
        .route("/support/{id}/{action}", post(support::act))
        .route("/admin/tickets", get(admin_tickets::list))
        .route("/admin/tickets/{id}", get(admin_tickets::show))
        .route("/admin/tickets/{id}/{action}", post(admin_tickets::act))
        // Two-factor (security branch).
        .route("/login/totp", post(two_factor::login_step))
        .route("/account/totp/start", post(two_factor::start))
        .route("/account/totp/confirm", post(two_factor::confirm))
        .route("/account/totp/disable", post(two_factor::disable))
        .route("/lang", get(assets::switch_language))
        .route("/manifest.webmanifest", get(assets::manifest))
        .route("/static/{file}", get(assets::static_file))
}

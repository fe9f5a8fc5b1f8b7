//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! served at `/api/openapi.json`.

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::api::{
    accounts, admin_closures, catalogue, closure, esims, exports, me, orders, password_resets, payments, sessions,
    wallet,
};
// Two-factor (security branch).
use crate::api::totp;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tern API",
        description = "Subscriber API of Tern, the eSIM travel-connectivity platform. Errors are \
            `{\"error\":{\"code\":\"snake_case\",\"message\":\"…\"}}`; 422 answers carry per-field `details`.",
        license(name = "Apache-2.0 OR MIT")
    ),
    paths(
        accounts::create_account,
        accounts::verify_email,
        sessions::create_session,
        sessions::delete_current_session,
        sessions::reauthenticate,
        me::get_me,
        me::patch_me,
        me::change_password,
        me::list_sessions,
        me::end_session,
        me::phone_start,
        me::phone_confirm,
        // Two-factor (security branch).
        totp::status,
        totp::start,
        totp::confirm,
        totp::disable,
        exports::request_export,
        exports::get_export,
        exports::download_export,
        closure::preview,
        closure::request,
        closure::current,
        closure::cancel,
        closure::status,
        admin_closures::list,
        admin_closures::show,
        admin_closures::hold,
        admin_closures::resume,
        admin_closures::retry,
        crate::api::admin_accounts::search,
        crate::api::admin_accounts::show,
        crate::api::admin_accounts::adjust,
        crate::api::admin_refunds::list,
        crate::api::admin_refunds::approve,
        crate::api::admin_plans::list,
        crate::api::admin_plans::import,
        crate::api::admin_plans::activate,
        crate::api::admin_plans::deactivate,
        crate::api::admin_staff::list,
        crate::api::admin_staff::create,
        crate::api::admin_staff::set_role,
        crate::api::admin_staff::disable,
        crate::api::admin_dashboard::get,
        crate::api::tickets::create,
        crate::api::tickets::list,
        crate::api::tickets::show,
        crate::api::tickets::reply,
        crate::api::tickets::close,
        crate::api::admin_tickets::list,
        crate::api::admin_tickets::stats,
        crate::api::admin_tickets::show,
        crate::api::admin_tickets::reply,
        crate::api::admin_tickets::assign,
        crate::api::admin_tickets::set_state,
        password_resets::request_reset,
        password_resets::confirm_reset,
        wallet::get_wallet,
        wallet::redeem,
        payments::start_top_up,
        payments::get_top_up,
        payments::webhook,
        catalogue::list_plans,
        catalogue::get_plan,
        orders::create_order,
        orders::list_orders,
        orders::get_order,
        orders::cancel_order,
        esims::list_esims,
        esims::get_esim,
        esims::qr_svg,
        esims::simulate_install,
        crate::api::es2plus::with_bearer,
        crate::api::usage::esim_usage,
        crate::api::usage::post_usage,
        crate::api::announcements::list,
        crate::api::announcements::read,
        crate::api::announcements::get_preferences,
        crate::api::announcements::put_preferences,
        crate::api::announcements::current_terms,
        crate::api::announcements::accept_terms,
        crate::api::admin_announcements::create,
        crate::api::admin_announcements::list,
        crate::api::admin_announcements::show,
        crate::api::admin_announcements::publish,
        crate::api::admin_announcements::publish_terms,
        crate::api::admin_announcements::list_terms,
    ),
    components(schemas(ErrorBody, ErrorDetail, FieldDetail)),
    modifiers(&BearerAuth),
    tags(
        (name = "accounts", description = "Sign-up, verification and password reset"),
        (name = "sessions", description = "Signing in and out"),
        (name = "me", description = "The signed-in user's own account"),
        (name = "exports", description = "Personal data exports: a ZIP of your data by an emailed, expiring link"),
        (name = "closure", description = "Closing your account: preview, request, cooling-off, public status"),
        (name = "admin", description = "Operators: accounts, wallet adjustments, refunds, plans, staff, the dashboard and closure requests; each endpoint names the roles (admin, support, finance) that may use it"),
        (name = "tickets", description = "Support tickets: your own, with their messages; the operators' queue is under admin"),
        (name = "wallet", description = "Prepaid balance and vouchers"),
        (name = "catalogue", description = "Plans by country and region"),
        (name = "orders", description = "Buying plans, idempotently"),
        (name = "esims", description = "eSIMs, activation codes and packages"),
        (name = "integrations", description = "Callbacks from the SM-DP+ and the network"),
        (name = "announcements", description = "Notices from the operator, read state, mail preferences"),
        (name = "terms", description = "Terms versions: the current text and accepting it"),
    )
)]
pub struct ApiDoc;

/// Every error answer.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// Stable, snake_case; scripts branch on this.
    code: String,
    /// For people, in the request's language.
    message: String,
    /// On 422: one entry per invalid field.
    details: Option<Vec<FieldDetail>>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FieldDetail {
    field: String,
    code: String,
    message: String,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as JSON text.
pub fn json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".to_owned())
}

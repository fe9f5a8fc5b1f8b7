//! The authorisation matrix: every operation of the OpenAPI document and
//! the status each kind of caller gets. The test fails when the document
//! has an operation without a row here, so a new endpoint cannot ship
//! without saying who may call it.
//!
//! Columns, in order: anonymous, the owner of the ids in the path ("user"),
//! another traveller using the owner's ids ("other"), then the staff roles
//! support, finance and admin (each also using the owner's ids). Path
//! parameters are filled from the fixture by the path segment before them
//! (`/orders/{id}` takes the owner's order id; see `Fixture::id_for`).
//!
//! Bodies are chosen so that a caller who passes authorisation gets an
//! answer that changes nothing (mostly 422), so the rows do not depend on
//! each other. Rows that do change something (ending a session, cancelling
//! an order) come last among the owner's calls (the owner's column runs
//! after every other column).
//!
//! To add an endpoint: one `row(…)` line.

/// One operation and the expected status per caller.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub method: &'static str,
    /// As in the OpenAPI document, with `{param}` placeholders.
    pub path: &'static str,
    /// A JSON body, or "" for none.
    pub body: &'static str,
    /// anonymous, user (owner), other user, support, finance, admin.
    pub expect: [u16; 6],
    /// Each caller signs in anew for this call (the call ends its session).
    pub fresh_session: bool,
}

pub const CALLERS: [&str; 6] = ["anonymous", "user", "other user", "support", "finance", "admin"];

const fn row(method: &'static str, path: &'static str, body: &'static str, expect: [u16; 6]) -> Row {
    Row {
        method,
        path,
        body,
        expect,
        fresh_session: false,
    }
}

const fn fresh(method: &'static str, path: &'static str, body: &'static str, expect: [u16; 6]) -> Row {
    Row {
        method,
        path,
        body,
        expect,
        fresh_session: true,
    }
}

/// Signed in, any role: the caller's own data.
const OWN: [u16; 6] = [401, 200, 200, 200, 200, 200];
/// The owner's resource: others (staff included) do not even learn it exists.
const OWNER_ONLY: [u16; 6] = [401, 200, 404, 404, 404, 404];
/// Public: everyone gets the same answer.
const fn public(status: u16) -> [u16; 6] {
    [status; 6]
}
/// Signed in, any role, and the body is refused on its merits.
const fn signed_in(status: u16) -> [u16; 6] {
    [401, status, status, status, status, status]
}

#[rustfmt::skip]
pub const ROWS: &[Row] = &[
    // accounts and sessions
    row("POST", "/api/v1/accounts", r#"{"email":"not-an-email","password":"x"}"#, public(422)),
    row("POST", "/api/v1/accounts/verify-email", r#"{"token":"no-such-token"}"#, public(400)),
    row("POST", "/api/v1/sessions", r#"{"email":"nobody@example.com","password":"wrong password"}"#, public(401)),
    fresh("DELETE", "/api/v1/sessions/current", "", signed_in(204)),
    row("POST", "/api/v1/sessions/current/reauth", r#"{"password":"wrong password"}"#, signed_in(422)),
    row("POST", "/api/v1/password-resets", r#"{"email":"nobody@example.com"}"#, public(202)),
    row("POST", "/api/v1/password-resets/confirm", r#"{"token":"no-such-token","new_password":"x"}"#, public(400)),
    // me
    row("GET", "/api/v1/me", "", OWN),
    row("PATCH", "/api/v1/me", r#"{"locale":"xx"}"#, signed_in(422)),
    row("POST", "/api/v1/me/password", r#"{"current_password":"wrong password","new_password":"x"}"#, signed_in(422)),
    row("GET", "/api/v1/me/sessions", "", OWN),
    row("DELETE", "/api/v1/me/sessions/{id}", "", OWNER_ONLY_204),
    row("POST", "/api/v1/me/phone/verification", "{}", signed_in(422)),
    row("POST", "/api/v1/me/phone/verification/confirm", r#"{"code":"000000"}"#, signed_in(422)),
    row("GET", "/api/v1/me/totp", "", OWN),
    row("POST", "/api/v1/me/totp", "{}", signed_in(403)),
    row("POST", "/api/v1/me/totp/confirm", r#"{"code":"000000"}"#, signed_in(409)),
    row("DELETE", "/api/v1/me/totp", r#"{"password":"wrong password"}"#, signed_in(422)),
    // exports (the owner asked for one already today: 429)
    row("POST", "/api/v1/me/exports", "{}", [401, 429, 202, 202, 202, 202]),
    row("GET", "/api/v1/me/exports/{id}", "", OWNER_ONLY),
    row("GET", "/api/v1/exports/download/{token}", "", public(404)),
    // closure (the owner has none; another account's request is the fixture's)
    row("GET", "/api/v1/me/closure/preview", "", OWN),
    row("POST", "/api/v1/me/closure", r#"{"password":"wrong password","confirmation":"no"}"#, signed_in(422)),
    row("GET", "/api/v1/me/closure", "", signed_in(404)),
    row("DELETE", "/api/v1/me/closure", "", signed_in(404)),
    row("GET", "/api/v1/closure-status/{token}", "", public(200)),
    // operators: closures are for support and admin
    row("GET", "/api/v1/admin/closures", "", STAFF_CLOSURES_200),
    row("GET", "/api/v1/admin/closures/{id}", "", STAFF_CLOSURES_200),
    row("POST", "/api/v1/admin/closures/{id}/hold", r#"{"reason":""}"#, [401, 403, 403, 422, 403, 422]),
    // Support resumes the received request (it moves to cooling-off), so
    // the admin's resume after it finds it moved (409); retry re-queues.
    row("POST", "/api/v1/admin/closures/{id}/resume", "{}", [401, 403, 403, 200, 403, 409]),
    row("POST", "/api/v1/admin/closures/{id}/retry", "{}", [401, 403, 403, 200, 403, 200]),
    // operators: the console (the policy is `Role::can` in tern-domain's
    // permission.rs)
    row("GET", "/api/v1/admin/dashboard", "", VIEW_ACCOUNTS_200),
    row("GET", "/api/v1/admin/accounts?q=owner.matrix@example.com", "", VIEW_ACCOUNTS_200),
    row("GET", "/api/v1/admin/accounts/{id}", "", VIEW_ACCOUNTS_200),
    row("POST", "/api/v1/admin/accounts/{id}/wallet-adjustments",
        r#"{"amount_minor":0,"currency":"EUR","bucket":"cash","reason":"matrix"}"#, [401, 403, 403, 403, 422, 422]),
    row("GET", "/api/v1/admin/refunds", "", FINANCE_200),
    row("POST", "/api/v1/admin/refunds/{id}/approve", r#"{"reference":"bad\u0007reference"}"#, [401, 403, 403, 403, 422, 422]),
    row("GET", "/api/v1/admin/plans", "", ADMIN_200),
    row("POST", "/api/v1/admin/plans/import", "{}", ADMIN_ONLY_422),
    row("POST", "/api/v1/admin/plans/{code}/activate", "", [401, 403, 403, 403, 403, 404]),
    row("POST", "/api/v1/admin/plans/{code}/deactivate", "", [401, 403, 403, 403, 403, 404]),
    row("GET", "/api/v1/admin/staff", "", ADMIN_200),
    row("POST", "/api/v1/admin/staff", r#"{"email":"not-an-email","role":"admin"}"#, ADMIN_ONLY_422),
    row("POST", "/api/v1/admin/staff/{id}/role", r#"{"role":"support"}"#, [401, 403, 403, 403, 403, 409]),
    row("POST", "/api/v1/admin/staff/{id}/disable", "", [401, 403, 403, 403, 403, 409]),
    // operators: the support queue, on the owner's ticket
    row("GET", "/api/v1/admin/tickets", "", TICKETS_200),
    row("GET", "/api/v1/admin/tickets/stats", "", TICKETS_200),
    row("GET", "/api/v1/admin/tickets/{id}", "", TICKETS_200),
    row("POST", "/api/v1/admin/tickets/{id}/messages", r#"{"body":""}"#, TICKETS_422),
    row("POST", "/api/v1/admin/tickets/{id}/assign", r#"{"staff_id":"no-such-staff"}"#, TICKETS_422),
    row("POST", "/api/v1/admin/tickets/{id}/state", r#"{"state":"no-such-state"}"#, TICKETS_422),
    // operators: announcements and terms (the fixture's announcement is
    // published already: 409)
    row("GET", "/api/v1/admin/announcements", "", ADMIN_200),
    row("POST", "/api/v1/admin/announcements", "{}", ADMIN_ONLY_422),
    row("GET", "/api/v1/admin/announcements/{id}", "", ADMIN_200),
    row("POST", "/api/v1/admin/announcements/{id}/publish", "{}", [401, 403, 403, 403, 403, 409]),
    row("GET", "/api/v1/admin/terms", "", ADMIN_200),
    row("POST", "/api/v1/admin/terms", "{}", ADMIN_ONLY_422),
    // announcements, preferences and terms for everyone signed in
    row("GET", "/api/v1/announcements", "", OWN),
    row("POST", "/api/v1/announcements/{id}/read", "", signed_in(204)),
    row("GET", "/api/v1/me/preferences", "", OWN),
    row("PUT", "/api/v1/me/preferences", r#"{"promotions_opt_out":"no"}"#, signed_in(422)),
    row("GET", "/api/v1/terms/current", "", public(200)),
    row("POST", "/api/v1/terms/{version}/accept", "", signed_in(200)),
    // support tickets: the owner's ticket (writing to it and closing it
    // change it, so they come last)
    row("POST", "/api/v1/tickets", r#"{"category":"no-such-category","subject":"","body":""}"#, signed_in(422)),
    row("GET", "/api/v1/tickets", "", OWN),
    row("GET", "/api/v1/tickets/{id}", "", OWNER_ONLY),
    // A real message: an empty one is refused (422) before the ticket is
    // looked up, which would leave the ownership check untested.
    row("POST", "/api/v1/tickets/{id}/messages", r#"{"body":"From the matrix."}"#, [401, 201, 404, 404, 404, 404]),
    row("POST", "/api/v1/tickets/{id}/close", "{}", OWNER_ONLY),
    // wallet and payments
    row("GET", "/api/v1/wallet", "", OWN),
    row("POST", "/api/v1/wallet/redeem", r#"{"code":"not-a-voucher"}"#, signed_in(422)),
    row("POST", "/api/v1/wallet/top-ups", r#"{"amount_minor":1}"#, signed_in(422)),
    row("GET", "/api/v1/wallet/top-ups/{id}", "", OWNER_ONLY),
    row("POST", "/api/v1/payments/webhook/{gateway}", "{}", public(401)),
    // catalogue
    row("GET", "/api/v1/plans", "", public(200)),
    row("GET", "/api/v1/plans/{code}", "", public(200)),
    // orders and eSIMs
    row("POST", "/api/v1/orders", r#"{"plan_code":"NO-SUCH-PLAN"}"#, signed_in(422)),
    row("GET", "/api/v1/orders", "", OWN),
    row("GET", "/api/v1/orders/{id}", "", OWNER_ONLY),
    row("GET", "/api/v1/esims", "", OWN),
    row("GET", "/api/v1/esims/{iccid}", "", OWNER_ONLY),
    row("GET", "/api/v1/esims/{iccid}/qr.svg", "", OWNER_ONLY),
    row("GET", "/api/v1/esims/{iccid}/usage", "", OWNER_ONLY),
    row("POST", "/api/v1/orders/{id}/cancel", "{}", OWNER_ONLY),
    row("POST", "/api/v1/esims/{iccid}/simulate-install", "{}", [401, 409, 404, 404, 404, 404]),
    // integrations: their own credentials, never a user session
    row("POST", "/api/v1/network/usage", r#"{"records":[]}"#, public(401)),
    row("POST", "/gsma/rsp2/es2plus/handleDownloadProgressInfo", "{}", public(401)),
];

const OWNER_ONLY_204: [u16; 6] = [401, 204, 404, 404, 404, 404];
/// `admin_closures` allows support and admin.
const STAFF_CLOSURES_200: [u16; 6] = [401, 403, 403, 200, 403, 200];
/// `ViewAccounts`: support, finance and admin.
const VIEW_ACCOUNTS_200: [u16; 6] = [401, 403, 403, 200, 200, 200];
/// `ApproveRefunds`: finance and admin.
const FINANCE_200: [u16; 6] = [401, 403, 403, 403, 200, 200];
/// `WorkTickets`: support and admin.
const TICKETS_200: [u16; 6] = [401, 403, 403, 200, 403, 200];
const TICKETS_422: [u16; 6] = [401, 403, 403, 422, 403, 422];
/// `ManagePlans`, `ManageStaff`, `PublishAnnouncements`: admin only.
const ADMIN_200: [u16; 6] = [401, 403, 403, 403, 403, 200];
const ADMIN_ONLY_422: [u16; 6] = [401, 403, 403, 403, 403, 422];

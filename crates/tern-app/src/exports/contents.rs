//! What goes into an export: one function per file, listed in [`gather`]
//! in the order `README.txt` describes them. To add a file (support
//! tickets, accepted terms, …): write its function here, add it to
//! [`FILES`] and [`gather`], and describe it in `README.txt` in both
//! languages (a test checks the README names every file).

use serde::Serialize;
use serde_json::{Value, json};
use tern_domain::{Currency, Money};
use tern_store::accounts::AccountRow;
use tern_store::exports::personal_data;
use tern_store::{Conn, audit, esims, orders, sessions};

use super::archive::{ExportFile, csv_file, json_file};
use crate::App;
use crate::clock::rfc3339;
use crate::error::AppResult;

/// Every file of an export, in order.
pub(super) const FILES: [&str; 11] = [
    "README.txt",
    "profile.json",
    "sessions.csv",
    "orders.csv",
    "ledger.csv",
    "esims.json",
    "usage.csv",
    "notifications.csv",
    "tickets.json",
    "consents.json",
    "audit.csv",
];

/// Reads everything about `account` into the export's files.
pub(super) async fn gather(app: &App, conn: &mut Conn, account: &AccountRow, now: i64) -> AppResult<Vec<ExportFile>> {
    let id = &account.id;
    let files = vec![
        readme(app, id, now),
        profile(account)?,
        session_list(conn, id, now).await?,
        order_list(conn, id).await?,
        ledger(conn, id).await?,
        esim_list(conn, id).await?,
        usage(conn, id).await?,
        notifications(conn, id).await?,
        tickets(conn, id).await?,
        consents(conn, id).await?,
        audit_entries(conn, id).await?,
    ];
    debug_assert!(
        files.iter().map(|f| f.name).eq(FILES),
        "FILES lists every file in order"
    );
    Ok(files)
}

const README: &str = include_str!("README.txt");

fn readme(app: &App, account_id: &tern_domain::AccountId, now: i64) -> ExportFile {
    let at = crate::clock::to_datetime(now).format("%Y-%m-%d %H:%M").to_string();
    let text = README
        .replace("{product}", &app.settings.product_name)
        .replace("{support_email}", &app.settings.support_email)
        .replace("{account_id}", account_id)
        .replace("{generated_at}", &at);
    ExportFile::new("README.txt", text.into_bytes())
}

fn time(ms: Option<i64>) -> Option<String> {
    ms.map(rfc3339)
}

/// `12.50` for 1250 minor units of a two-decimal currency.
fn decimal(minor: i64, currency: &str) -> String {
    match Currency::parse(currency) {
        Ok(c) => {
            let shown = Money::new(minor, c).to_string();
            shown.split(' ').next().unwrap_or_default().to_owned()
        }
        Err(_) => minor.to_string(),
    }
}

fn profile(a: &AccountRow) -> AppResult<ExportFile> {
    json_file(
        "profile.json",
        &json!({
            "id": a.id,
            "email": a.email,
            "email_confirmed_at": time(a.email_verified_at),
            "phone": a.phone,
            "phone_verified_at": time(a.phone_verified_at),
            "name": a.name,
            "language": a.locale,
            "role": a.role.as_str(),
            "status": a.status.as_str(),
            "created_at": rfc3339(a.created_at),
            "updated_at": rfc3339(a.updated_at),
            "last_login_at": time(a.last_login_at),
        }),
    )
}

#[derive(Serialize, Default)]
struct SessionLine {
    id: String,
    kind: String,
    label: Option<String>,
    created_at: String,
    last_seen_at: String,
    expires_at: String,
    ip: Option<String>,
    user_agent: Option<String>,
}

async fn session_list(conn: &mut Conn, id: &tern_domain::AccountId, now: i64) -> AppResult<ExportFile> {
    let rows = sessions::list_for_account(conn, id, now).await?;
    let lines: Vec<SessionLine> = rows
        .into_iter()
        .map(|s| SessionLine {
            id: s.id.into_string(),
            kind: s.kind.to_string(),
            label: s.label,
            created_at: rfc3339(s.created_at),
            last_seen_at: rfc3339(s.last_seen_at),
            expires_at: rfc3339(s.expires_at),
            ip: s.ip,
            user_agent: s.user_agent,
        })
        .collect();
    csv_file("sessions.csv", &lines)
}

#[derive(Serialize, Default)]
struct OrderLine {
    id: String,
    created_at: String,
    kind: String,
    state: String,
    plan_code: String,
    iccid: Option<tern_domain::ids::Iccid>,
    price_minor: i64,
    price: String,
    currency: String,
    failure_reason: Option<String>,
    updated_at: String,
}

async fn order_list(conn: &mut Conn, id: &tern_domain::AccountId) -> AppResult<ExportFile> {
    let mut rows = orders::for_account(conn, id, i64::from(i32::MAX)).await?;
    rows.reverse();
    let lines: Vec<OrderLine> = rows
        .into_iter()
        .map(|o| OrderLine {
            price: decimal(o.price.amount_minor, o.price.currency.as_str()),
            id: o.id.into_string(),
            created_at: rfc3339(o.created_at),
            kind: o.kind.to_string(),
            state: o.state.to_string(),
            plan_code: o.plan_code,
            iccid: o.iccid,
            price_minor: o.price.amount_minor,
            currency: o.price.currency.as_str().to_owned(),
            failure_reason: o.failure_reason,
            updated_at: rfc3339(o.updated_at),
        })
        .collect();
    csv_file("orders.csv", &lines)
}

#[derive(Serialize, Default)]
struct LedgerLine {
    created_at: String,
    transaction_id: String,
    entry_id: String,
    wallet: String,
    kind: String,
    reference: String,
    memo: Option<String>,
    amount_minor: i64,
    amount: String,
    currency: String,
}

async fn ledger(conn: &mut Conn, id: &tern_domain::AccountId) -> AppResult<ExportFile> {
    let rows = personal_data::wallet_entries(conn, id).await?;
    let lines: Vec<LedgerLine> = rows
        .into_iter()
        .map(|e| LedgerLine {
            amount: decimal(e.amount_minor, &e.currency),
            created_at: rfc3339(e.created_at),
            transaction_id: e.transaction_id,
            entry_id: e.entry_id,
            wallet: e.wallet.to_string(),
            kind: e.kind.to_string(),
            reference: e.reference,
            memo: e.memo,
            amount_minor: e.amount_minor,
            currency: e.currency,
        })
        .collect();
    csv_file("ledger.csv", &lines)
}

async fn esim_list(conn: &mut Conn, id: &tern_domain::AccountId) -> AppResult<ExportFile> {
    let mut out = Vec::new();
    for e in esims::for_account(conn, id).await? {
        let packages: Vec<Value> = esims::packages_of(conn, &e.iccid)
            .await?
            .into_iter()
            .map(|p| {
                json!({
                    "id": p.id,
                    "order_id": p.order_id,
                    "plan_code": p.plan_code,
                    "countries": p.countries.split_whitespace().collect::<Vec<_>>(),
                    "state": p.state,
                    "validity_starts": p.activation,
                    "validity_days": p.validity_days,
                    "starts_at": time(p.starts_at),
                    "expires_at": time(p.expires_at),
                    "data_limit_bytes": p.data_limit_bytes,
                    "fair_use_bytes": p.fair_use_bytes,
                    "used_data_bytes": p.used_data_bytes,
                    "voice_limit_seconds": p.voice_limit_seconds,
                    "used_voice_seconds": p.used_voice_seconds,
                    "sms_limit": p.sms_limit,
                    "used_sms": p.used_sms,
                    "created_at": rfc3339(p.created_at),
                })
            })
            .collect();
        out.push(json!({
            "iccid": e.iccid,
            "state": e.state,
            "smdp_address": e.smdp_address,
            "matching_id": e.matching_id,
            "activation_code": e.activation_code,
            "eid": e.eid,
            "last_error": e.last_error,
            "created_at": rfc3339(e.created_at),
            "updated_at": rfc3339(e.updated_at),
            "installed_at": time(e.installed_at),
            "packages": packages,
        }));
    }
    json_file("esims.json", &out)
}

/// A CSV line: `Default` gives the header of an empty file, so the
/// columns are plain text.
#[derive(Serialize, Default)]
struct UsageLine {
    occurred_at: String,
    event_id: String,
    iccid: String,
    kind: String,
    quantity: i64,
    country: String,
    package_id: Option<tern_domain::PackageId>,
    overage: i64,
    received_at: String,
}

async fn usage(conn: &mut Conn, id: &tern_domain::AccountId) -> AppResult<ExportFile> {
    let rows = personal_data::usage_events(conn, id).await?;
    let lines: Vec<UsageLine> = rows
        .into_iter()
        .map(|u| UsageLine {
            occurred_at: rfc3339(u.occurred_at),
            event_id: u.event_id,
            iccid: u.iccid.as_str().to_owned(),
            kind: u.kind.as_str().to_owned(),
            quantity: u.quantity,
            country: u.country,
            package_id: u.package_id,
            overage: u.overage,
            received_at: rfc3339(u.received_at),
        })
        .collect();
    csv_file("usage.csv", &lines)
}

#[derive(Serialize, Default)]
struct NotificationLine {
    created_at: String,
    id: String,
    channel: String,
    recipient: String,
    template: String,
    language: String,
    subject: String,
    sent_at: Option<String>,
}

async fn notifications(conn: &mut Conn, id: &tern_domain::AccountId) -> AppResult<ExportFile> {
    let rows = personal_data::notifications(conn, id).await?;
    let lines: Vec<NotificationLine> = rows
        .into_iter()
        .map(|n| NotificationLine {
            created_at: rfc3339(n.created_at),
            id: n.id,
            channel: n.channel,
            recipient: n.recipient,
            template: n.template,
            language: n.locale,
            subject: n.subject,
            sent_at: time(n.sent_at),
        })
        .collect();
    csv_file("notifications.csv", &lines)
}

/// Support tickets and their messages; staff answers are signed
/// `support` (staff names are not the traveller's data).
async fn tickets(conn: &mut Conn, id: &tern_domain::AccountId) -> AppResult<ExportFile> {
    json_file("tickets.json", &crate::tickets::for_export(conn, id).await?)
}

/// Accepted terms versions, oldest first, then the promotional email
/// preference.
async fn consents(conn: &mut Conn, id: &tern_domain::AccountId) -> AppResult<ExportFile> {
    let mut list: Vec<Value> = crate::terms::acceptances(conn, id)
        .await?
        .into_iter()
        .map(|a| serde_json::json!({ "kind": "terms", "version": a.version, "accepted_at": a.accepted_at }))
        .collect();
    let opted_out = tern_store::announcements::promotions_opt_out(conn, id).await?;
    list.push(serde_json::json!({ "kind": "promotional_email", "granted": !opted_out }));
    json_file("consents.json", &list)
}

#[derive(Serialize, Default)]
struct AuditLine {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    subject: String,
    details: String,
    hash: String,
}

async fn audit_entries(conn: &mut Conn, id: &tern_domain::AccountId) -> AppResult<ExportFile> {
    let mut rows = audit::for_account(conn, id, i64::from(i32::MAX)).await?;
    rows.reverse();
    let lines: Vec<AuditLine> = rows
        .into_iter()
        .map(|e| AuditLine {
            seq: e.seq,
            at: rfc3339(e.at_ms),
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            details: e.details,
            hash: e.hash,
        })
        .collect();
    csv_file("audit.csv", &lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_explains_every_file_in_both_languages() {
        let (en, zh) = README.split_once("\n\n\n").expect("an English and a Chinese part");
        for name in FILES {
            assert!(en.contains(&format!("\n{name}\n")), "English README lacks {name}");
            assert!(zh.contains(&format!("\n{name}\n")), "Chinese README lacks {name}");
        }
    }

    #[test]
    fn amounts_show_as_decimals() {
        assert_eq!(decimal(1250, "USD"), "12.50");
        assert_eq!(decimal(-5, "USD"), "-0.05");
        assert_eq!(decimal(7, "???"), "7");
    }
}

//! The console's dashboard (`/admin`): server-rendered SVG charts of the
//! last 30 days — sign-ups, revenue (top-ups and orders), eSIMs installed
//! with the number active now, data used — and the closure desk's two
//! charts (requests by outcome, deadline compliance), drawn by the desk's
//! own code.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;
use tern_app::console::{self, DAYS, Dashboard};
use tern_domain::{Currency, Permission};
use tern_i18n::{t, tf};

use super::page::Ctx;
use super::stacked_chart::{Series, stacked_chart};
use crate::state::HttpState;

/// Draws one figure (or several stacked) per day of `d`.
fn chart(
    ctx: &Ctx,
    id: &str,
    title_key: &str,
    series: &[Series<'_>],
    d: &Dashboard,
    pick: impl Fn(&console::DayFigures) -> Vec<f64>,
) -> String {
    let days: Vec<(String, Vec<f64>)> = d
        .days
        .iter()
        .map(|f| (f.day.get(5..).unwrap_or(&f.day).to_owned(), pick(f)))
        .collect();
    stacked_chart(
        id,
        t(ctx.locale, title_key),
        &tf(
            ctx.locale,
            "console.dashboard.chart_desc",
            &[("days", &DAYS.to_string())],
        ),
        series,
        &days,
    )
}

/// `GET /admin`.
pub async fn dashboard(State(s): State<HttpState>, headers: HeaderMap) -> Response {
    let ctx = Ctx::load(s, &headers, "/admin").await;
    if let Err(r) = ctx.require(Permission::ViewAccounts, "portal.admin.dashboard").await {
        return r;
    }
    let d = match console::dashboard(&ctx.state.app).await {
        Ok(d) => d,
        Err(e) => {
            return ctx.render_status(
                crate::error::status_of(&e),
                "message.html",
                json!({ "title": t(ctx.locale, "console.dashboard.title"), "body": crate::error::message(e.code(), ctx.locale) }),
            );
        }
    };
    let l = ctx.locale;
    // Money in major units of the wallet currency (2 decimals for most).
    let scale = Currency::parse(&d.currency).map_or(100.0, |c| 10f64.powi(i32::try_from(c.exponent()).unwrap_or(2)));
    let signups = chart(
        &ctx,
        "signups",
        "console.dashboard.signups",
        &[Series {
            name: t(l, "console.dashboard.series_signups"),
            color: "#0b5cad",
        }],
        &d,
        |f| vec![f.signups as f64],
    );
    let revenue = chart(
        &ctx,
        "revenue",
        "console.dashboard.revenue",
        &[
            Series {
                name: t(l, "console.dashboard.series_top_ups"),
                color: "#1a7f37",
            },
            Series {
                name: t(l, "console.dashboard.series_orders"),
                color: "#0b5cad",
            },
        ],
        &d,
        |f| vec![f.top_up_minor as f64 / scale, f.order_minor as f64 / scale],
    );
    let installs = chart(
        &ctx,
        "installs",
        "console.dashboard.installs",
        &[Series {
            name: t(l, "console.dashboard.series_installs"),
            color: "#8250df",
        }],
        &d,
        |f| vec![f.esims_installed as f64],
    );
    let usage = chart(
        &ctx,
        "usage",
        "console.dashboard.usage",
        &[Series {
            name: t(l, "console.dashboard.series_mb"),
            color: "#bf8700",
        }],
        &d,
        |f| vec![(f.data_bytes as f64 / (1024.0 * 1024.0)).round()],
    );
    let (closures_requests, closures_deadline) = super::admin_closures::charts(&ctx).await;
    let tickets = super::admin_tickets::figures(&ctx).await;
    let today = d.days.last().cloned().unwrap_or_default();
    let states: Vec<serde_json::Value> = d
        .esims_by_state
        .iter()
        .map(|(state, n)| json!({ "state": state, "n": n }))
        .collect();
    ctx.render(
        "admin_dashboard.html",
        json!({ "signups": signups, "revenue": revenue, "installs": installs, "usage": usage,
                "closures_requests": closures_requests, "closures_deadline": closures_deadline,
                "active_esims": d.active_esims, "esim_states": states, "currency": d.currency,
                "today_signups": today.signups, "figures": tickets }),
    )
}

//! The load benchmarks on one database: a fresh `tern serve`, a traveller
//! with an eSIM set up through the API, then `/healthz` (the baseline) and
//! the read endpoints under the same load.

use std::path::Path;

use crate::load::{self, Figures, Params};
use crate::server::{Server, peak_rss_mib};
use crate::setup;

/// The read endpoints' goal: at least this share of `/healthz`'s requests/s.
pub const RATIO_GOAL: f64 = 0.5;
/// Sign-ins per second should reach this share of the password hash's bound.
pub const LOGIN_GOAL: f64 = 0.8;
/// The server's resident memory under load should stay within this (100 MB).
pub const MEMORY_GOAL_MIB: f64 = 100.0 * 1000.0 * 1000.0 / (1024.0 * 1024.0);

pub struct Endpoint {
    /// As shown in the report.
    pub label: &'static str,
    /// Whether it is the baseline the others are compared with.
    pub baseline: bool,
    pub figures: Figures,
}

pub struct DatabaseRun {
    pub endpoints: Vec<Endpoint>,
    /// Highest resident memory sampled while `wrk` ran.
    pub load_peak_mib: f64,
    /// The kernel's high-water mark at the end (set-up included).
    pub hwm_mib: f64,
    /// Sign-in under load, when it could be measured.
    pub login: Result<Figures, String>,
    /// Usage ingestion against a raw INSERT, when it could be measured.
    pub ingestion: Result<crate::ingest::Ingestion, String>,
}

impl DatabaseRun {
    pub fn baseline(&self) -> Option<&Figures> {
        self.endpoints.iter().find(|e| e.baseline).map(|e| &e.figures)
    }
}

pub async fn run(tern: &Path, database_url: Option<&str>, params: &Params) -> anyhow::Result<DatabaseRun> {
    let (mut server, _) = Server::start(tern, database_url).await?;
    let traveller = setup::traveller(&server).await?;
    println!("  traveller signed in, eSIM {} provisioned", traveller.iccid);
    let watch = load::Watch {
        server_pid: server.pid(),
        postgres: database_url.is_some(),
    };
    let targets = [
        ("GET /healthz", true, "/healthz".to_owned()),
        (
            "GET /api/v1/plans?country=JP",
            false,
            "/api/v1/plans?country=JP".to_owned(),
        ),
        (
            "GET /api/v1/esims/{iccid}",
            false,
            format!("/api/v1/esims/{}", traveller.iccid),
        ),
    ];
    let mut endpoints = Vec::with_capacity(targets.len());
    for (label, baseline, path) in targets {
        let url = format!("{}{path}", server.url);
        let figures = match load::measure(params, &url, Some(&traveller.token), watch).await {
            Ok(f) => f,
            Err(e) => {
                let exited = server
                    .exited()
                    .map(|s| format!(" (tern serve exited: {s})"))
                    .unwrap_or_default();
                anyhow::bail!(
                    "{label}: {e:#}{exited}\nserver log (last lines):\n{}",
                    server.log_tail()
                )
            }
        };
        println!(
            "  {label}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, CPU per request (server / PostgreSQL) {}, peak RSS {:.1} MiB{}",
            figures.requests_per_sec,
            figures.p50.as_secs_f64() * 1000.0,
            figures.p99.as_secs_f64() * 1000.0,
            crate::report::cpu_per_request(&figures),
            figures.peak_rss_mib,
            errors_note(&figures),
        );
        endpoints.push(Endpoint {
            label,
            baseline,
            figures,
        });
    }
    let login = load::measure_post(
        params,
        &format!("{}/api/v1/sessions", server.url),
        &setup::login_body(),
        watch,
    )
    .await
    .map_err(|e| format!("{e:#}"));
    match &login {
        Ok(f) => println!(
            "  POST /api/v1/sessions: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms{}",
            f.requests_per_sec,
            f.p50.as_secs_f64() * 1000.0,
            f.p99.as_secs_f64() * 1000.0,
            errors_note(f),
        ),
        Err(e) => println!("  sign-in not measured: {e}"),
    }
    let load_peak_mib = endpoints.iter().map(|e| e.figures.peak_rss_mib).fold(0.0, f64::max);
    let hwm_mib = peak_rss_mib(server.pid())?;
    let ingestion = crate::ingest::measure(&server, &traveller.iccid, database_url)
        .await
        .map_err(|e| format!("{e:#}"));
    match &ingestion {
        Ok(i) => println!(
            "  usage ingestion: {:.0} records/s through the API, {:.0} records/s raw INSERT ({:.0} %)",
            i.api_per_sec,
            i.raw_per_sec,
            100.0 * i.api_per_sec / i.raw_per_sec
        ),
        Err(e) => println!("  usage ingestion not measured: {e}"),
    }
    Ok(DatabaseRun {
        endpoints,
        load_peak_mib,
        hwm_mib,
        login,
        ingestion,
    })
}

pub fn errors_note(f: &Figures) -> String {
    if f.bad_responses == 0 && f.socket_errors == 0 {
        String::new()
    } else {
        format!(
            " ({} non-2xx responses, {} socket errors)",
            f.bad_responses, f.socket_errors
        )
    }
}

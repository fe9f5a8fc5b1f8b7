//! `tern-bench`: measures Tern on this machine and writes the figures to
//! `docs/PERFORMANCE.md`. Every figure is compared with a baseline measured
//! in the same run, so the ratios hold on a different machine.
//!
//! Run it with `scripts/bench` (builds the release binaries first).

mod basics;
mod closures;
mod cpu;
mod ingest;
mod load;
mod postgres;
mod report;
mod server;
mod setup;
mod suite;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::report::{Outcome, Report};

#[derive(Parser)]
struct Args {
    /// The release `tern` binary to measure.
    #[arg(long, default_value = "target/release/tern")]
    tern: PathBuf,
    /// Where to write the report.
    #[arg(long, default_value = "docs/PERFORMANCE.md")]
    out: PathBuf,
    /// Password hashes to time.
    #[arg(long, default_value_t = 20)]
    hashes: u32,
    /// How long `wrk` loads each endpoint (whole seconds, e.g. 10s).
    #[arg(long, default_value = "10s", value_parser = whole_seconds)]
    duration: Duration,
    /// Unrecorded load on each endpoint before it is measured (0s: none).
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    warmup: Duration,
    /// Open connections `wrk` keeps.
    #[arg(long, default_value_t = 64)]
    connections: u32,
    /// `wrk` threads.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// The `wrk` binary.
    #[arg(long, default_value = "wrk")]
    wrk: PathBuf,
    /// Skip the PostgreSQL load run.
    #[arg(long)]
    no_postgres: bool,
    /// Administrative PostgreSQL URL: a fresh database is created through it
    /// for the run and dropped afterwards.
    #[arg(
        long,
        env = "TERN_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
    /// Accounts in the end-to-end closure benchmark (0 skips it).
    #[arg(long, default_value_t = 1000)]
    closures: usize,
    /// Run only the closure benchmark and update its section of the report.
    #[arg(long)]
    only_closures: bool,
}

fn whole_seconds(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| e.to_string())?;
    if d.as_secs() == 0 || d.subsec_nanos() != 0 {
        return Err("give whole seconds, at least 1s".into());
    }
    Ok(d)
}

fn machine() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name\t: ").map(str::to_owned))
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

async fn on_postgres(args: &Args, params: &load::Params) -> anyhow::Result<suite::DatabaseRun> {
    let db = postgres::TempDatabase::create(&args.postgres_url)?;
    // The server stops before the database is dropped.
    suite::run(&args.tern, Some(&db.url), params).await
}

fn outcome(name: &str, result: anyhow::Result<suite::DatabaseRun>) -> Outcome {
    match result {
        Ok(run) => Outcome::Measured(run),
        Err(e) => {
            eprintln!("{name} load run failed: {e:#}");
            Outcome::Failed(format!("{e:#}"))
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let pg_admin = (!args.no_postgres).then_some(args.postgres_url.as_str());
    if args.only_closures {
        return closures::run_and_write(args.closures.max(1), pg_admin, &args.out).await;
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let load_average = load_average();
    let params = load::Params {
        wrk: args.wrk.clone(),
        duration: args.duration,
        warmup: args.warmup,
        connections: args.connections,
        threads: args.threads,
    };
    load::check_wrk(&params.wrk).await?;

    let basics = basics::measure(&args.tern, args.hashes, cores).await?;

    println!("load on SQLite:");
    let sqlite = outcome("SQLite", suite::run(&args.tern, None, &params).await);
    let postgres = if args.no_postgres {
        Outcome::Skipped("--no-postgres")
    } else {
        println!("load on PostgreSQL:");
        outcome("PostgreSQL", on_postgres(&args, &params).await)
    };

    let report = Report {
        cores,
        machine: machine(),
        load_average,
        basics: &basics,
        params: &params,
        sqlite: &sqlite,
        postgres: &postgres,
    };
    report::write_section(&args.out, "load-bench", &report.render())?;
    if args.closures > 0 {
        closures::run_and_write(args.closures, pg_admin, &args.out).await?;
    }
    println!("wrote {}", args.out.display());
    if basics.idle_mib > 30.0 {
        println!("idle memory {:.1} MiB is above the 30 MiB goal", basics.idle_mib);
    }
    if matches!(sqlite, Outcome::Failed(_)) || matches!(postgres, Outcome::Failed(_)) {
        anyhow::bail!("a load run failed (see the report)");
    }
    Ok(())
}

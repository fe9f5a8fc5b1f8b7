//! `tern-reliability`: runs real `tern` processes on loopback against a
//! fresh database, breaks things, and checks the invariants in the database
//! afterwards. Each subcommand prints what it tried and what it checked,
//! ends with `N passed, N failed`, and exits 1 when an invariant broke.
//!
//!   tern-reliability scale-out            # 2 API nodes + 2 workers on PostgreSQL
//!   tern-reliability crash --kills 100    # kill -9 of the worker during closures and orders
//!   tern-reliability outage all           # PostgreSQL, SMTP and SM-DP+ outages
//!
//! Run it with `scripts/reliability` (builds first). PostgreSQL is a private
//! cluster made for the run (`--pg-bin-dir`), so restarting it disturbs
//! nobody; `--shared-pg URL` uses the machine's server instead (and the
//! PostgreSQL outage then restarts it with `pg_ctlcluster`).

#[path = "../postgres.rs"]
mod postgres;

mod checks;
mod crash;
mod outage;
mod pg;
mod scale_out;
mod stack;
mod world;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::checks::Tally;
use crate::pg::{PgMode, Postgres};

#[derive(Parser)]
struct Args {
    /// The `tern` binary to run.
    #[arg(long, global = true, default_value = "target/debug/tern")]
    tern: PathBuf,
    /// PostgreSQL's binaries (initdb, pg_ctl) for the private cluster.
    #[arg(long, global = true)]
    pg_bin_dir: Option<PathBuf>,
    /// Use the machine's PostgreSQL server through this admin URL instead of
    /// a private cluster (a fresh database is still created and dropped).
    #[arg(long, global = true)]
    shared_pg: Option<String>,
    /// The shared cluster's version for `pg_ctlcluster` (default: the first
    /// under /etc/postgresql).
    #[arg(long, global = true)]
    pg_version: Option<String>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Two `tern serve --no-worker` and two `tern worker` on one database.
    ScaleOut {
        #[arg(long, default_value_t = 500)]
        closures: usize,
        /// Travellers who place two orders each (a quarter of them close too).
        #[arg(long, default_value_t = 100)]
        buyers: usize,
        #[arg(long, default_value_t = 50)]
        signups: usize,
        #[arg(long, default_value_t = 8)]
        parallel: usize,
        /// Bound on the whole run.
        #[arg(long, default_value = "20m", value_parser = humantime::parse_duration)]
        time_limit: Duration,
    },
    /// `kill -9` of `tern worker` at random moments during closures and orders.
    Crash {
        #[arg(long, default_value_t = 100)]
        kills: usize,
        /// Seed for the kill moments (printed; default: the clock).
        #[arg(long)]
        seed: Option<u64>,
        /// Closures and orders (each) asked for before each kill.
        #[arg(long, default_value_t = 2)]
        per_kill: usize,
        /// Run on SQLite (one file shared by the processes) instead.
        #[arg(long)]
        sqlite: bool,
        #[arg(long, default_value = "20m", value_parser = humantime::parse_duration)]
        time_limit: Duration,
    },
    /// An outage of PostgreSQL, the SMTP server or the SM-DP+.
    Outage {
        what: Outage,
        /// How long PostgreSQL stays down.
        #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
        pg_down: Duration,
        /// How long the SMTP server and the SM-DP+ stay down.
        #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
        down: Duration,
        /// Provisioning attempts during the SM-DP+ outage (retry base 1 s,
        /// doubling): 8 outlasts a minute, 4 gives up and returns the money.
        #[arg(long, default_value_t = 8)]
        smdp_attempts: u32,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Outage {
    Pg,
    Smtp,
    Smdp,
    All,
}

fn pg_mode(args: &Args) -> anyhow::Result<PgMode> {
    if let Some(url) = &args.shared_pg {
        let version = match &args.pg_version {
            Some(v) => v.clone(),
            None => std::fs::read_dir("/etc/postgresql")?
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .min()
                .ok_or_else(|| anyhow::anyhow!("no cluster under /etc/postgresql; pass --pg-version"))?,
        };
        return Ok(PgMode::Shared {
            admin_url: url.clone(),
            version,
        });
    }
    let bin_dir = match &args.pg_bin_dir {
        Some(d) => d.clone(),
        None => {
            let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
                .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
                .unwrap_or_default();
            found.sort();
            found
                .pop()
                .filter(|p| p.join("initdb").exists())
                .ok_or_else(|| anyhow::anyhow!("no initdb under /usr/lib/postgresql/*/bin; pass --pg-bin-dir"))?
        }
    };
    Ok(PgMode::Private { bin_dir })
}

async fn run(args: Args, tally: &mut Tally) -> anyhow::Result<&'static str> {
    anyhow::ensure!(
        args.tern.exists(),
        "{} not found (cargo build -p tern, or pass --tern)",
        args.tern.display()
    );
    let tern = std::fs::canonicalize(&args.tern)?;
    let mode = pg_mode(&args)?;
    match args.command {
        Cmd::ScaleOut {
            closures,
            buyers,
            signups,
            parallel,
            time_limit,
        } => {
            let pg = Postgres::start(&mode)?;
            println!("scale-out on PostgreSQL ({})", pg.describe());
            let p = scale_out::Params {
                closures,
                buyers,
                signups,
                parallel,
                limit: time_limit,
            };
            scale_out::run(&tern, pg.url(), &p, tally).await?;
            Ok("scale-out")
        }
        Cmd::Crash {
            kills,
            seed,
            per_kill,
            sqlite,
            time_limit,
        } => {
            let seed = seed.unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
            let p = crash::Params {
                kills,
                seed,
                per_kill: per_kill.max(1),
                limit: time_limit,
            };
            if sqlite {
                let dir = tempfile::tempdir()?;
                let url = tern_store::Db::sqlite_url_in(dir.path());
                println!("crash test on SQLite ({url})");
                crash::run(&tern, &url, &p, tally).await?;
            } else {
                let pg = Postgres::start(&mode)?;
                println!("crash test on PostgreSQL ({})", pg.describe());
                crash::run(&tern, pg.url(), &p, tally).await?;
            }
            Ok("crash")
        }
        Cmd::Outage {
            what,
            pg_down,
            down,
            smdp_attempts,
        } => {
            let pg = Postgres::start(&mode)?;
            if matches!(what, Outage::Pg | Outage::All) {
                outage::postgres(&tern, &pg, pg_down, tally).await?;
            }
            // The other outages each get a database of their own.
            if matches!(what, Outage::Smtp | Outage::All) {
                let db = postgres::TempDatabase::create(&admin_url(&pg, &mode))?;
                outage::smtp(&tern, &db.url, down, tally).await?;
            }
            if matches!(what, Outage::Smdp | Outage::All) {
                let db = postgres::TempDatabase::create(&admin_url(&pg, &mode))?;
                outage::smdp(&tern, &db.url, down, smdp_attempts, tally).await?;
            }
            Ok("outage")
        }
    }
}

fn admin_url(pg: &Postgres, mode: &PgMode) -> String {
    match mode {
        PgMode::Shared { admin_url, .. } => admin_url.clone(),
        PgMode::Private { .. } => pg.admin_url().to_owned(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut tally = Tally::default();
    match run(args, &mut tally).await {
        Ok(name) => {
            tally.summary(&format!("{name}: figures"));
            println!("{} passed, {} failed", tally.passed, tally.failed);
            if tally.failed > 0 {
                println!("{name}: an invariant broke");
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            tally.summary("figures so far");
            eprintln!("error: {e:#}");
            // An aborted run counts as a failed check.
            println!("{} passed, {} failed", tally.passed, tally.failed + 1);
            ExitCode::FAILURE
        }
    }
}

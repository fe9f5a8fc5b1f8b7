//! `tern`: the one binary. `tern --help` lists the commands.

mod announcements_cli;
mod closures_cli;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use tern::server::{self, Options};
use tern_app::{App, Clock, Settings};
use tern_domain::Role;

#[derive(Parser)]
#[command(
    name = "tern",
    version,
    about = "Tern: eSIM travel connectivity — subscriber back end, portal and API"
)]
struct Cli {
    /// Settings file (defaults, then this file, then TERN_… variables).
    #[arg(long, global = true, env = "TERN_CONFIG", default_value = "tern.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and portal, with the job worker in the same process.
    Serve {
        /// Serve HTTP only; run `tern worker` processes for the jobs.
        #[arg(long)]
        no_worker: bool,
    },
    /// Run background jobs only.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Inspect and drive the job queue.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Operator administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Show configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// The plan catalogue.
    Plans {
        #[command(subcommand)]
        command: PlansCommand,
    },
    /// Run the built-in SM-DP+ emulator as its own ES2+ server (for
    /// development and multi-process test setups; production uses a
    /// certified SM-DP+).
    SmdpSim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: String,
        /// Tern's base URL for HandleDownloadProgressInfo callbacks.
        #[arg(long)]
        callback_url: Option<String>,
        /// Shared secret sent with callbacks (Tern's smdp.callback_secret);
        /// not needed when callbacks go to Tern's mutual-TLS listener.
        #[arg(long, env = "TERN_SMDP_CALLBACK_SECRET", hide_env_values = true)]
        callback_secret: Option<String>,
        /// Profiles in stock.
        #[arg(long, default_value_t = 10_000)]
        profiles: u64,
        #[command(flatten)]
        tls: SimTls,
    },
    /// Prepaid voucher codes.
    Vouchers {
        #[command(subcommand)]
        command: VouchersCommand,
    },
    /// Account closure requests: list, show, hold, resume, retry.
    Closures {
        #[command(subcommand)]
        command: closures_cli::ClosuresCommand,
    },
    /// Announcements: list them, and send an important one's email.
    Announcements {
        #[command(subcommand)]
        command: announcements_cli::AnnouncementsCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Run every job that is ready now, then exit.
    RunPending,
    /// List jobs that used up their retries.
    Failed,
    /// Give a failed job a fresh set of attempts.
    Retry { id: String },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a staff account (or give an existing account a staff role).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["admin", "support", "finance"])]
        role: String,
        /// Password; when omitted a strong one is generated and printed once.
        #[arg(long, env = "TERN_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// API keys for integrators (the mobile network's usage feed).
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key; it is printed once and only its hash is kept.
    Create {
        #[arg(long, value_parser = ["network"])]
        role: String,
        /// What the key is for, e.g. the network operator's name.
        #[arg(long)]
        name: String,
    },
    /// List keys (never the keys themselves).
    List,
    /// Revoke a key at once.
    Revoke { id: tern_domain::ApiKeyId },
}

#[derive(Subcommand)]
enum PlansCommand {
    /// Validate a JSON or CSV file and upsert its plans by code; every
    /// error is reported with its row, and nothing is stored unless all
    /// rows are valid.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum VouchersCommand {
    /// Issue a batch of codes and write them to a CSV file.
    Issue {
        /// Value of each code, e.g. 20.00.
        #[arg(long)]
        value: String,
        /// ISO 4217 currency; must be the wallet currency.
        #[arg(long)]
        currency: String,
        #[arg(long)]
        count: usize,
        /// Last day the codes can be redeemed (YYYY-MM-DD, UTC).
        #[arg(long)]
        expires: Option<chrono::NaiveDate>,
        /// Promotional credit (spent first, not refunded at closure)
        /// rather than paid-for balance.
        #[arg(long)]
        promo: bool,
        /// Where to write the codes.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective settings with secrets redacted.
    Show,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain from the first entry to the last.
    Verify,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(Some(&cli.config)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.runtime_workers(cores))
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, settings)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, settings: Settings) -> anyhow::Result<ExitCode> {
    tern::telemetry::init_logging(&settings.log_format);
    match cli.command {
        Command::Config {
            command: ConfigCommand::Show,
        } => {
            print!("{}", settings.to_redacted_toml());
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { no_worker } => {
            serve(
                settings,
                Options {
                    http: true,
                    worker: !no_worker,
                },
            )
            .await
        }
        Command::Worker => {
            serve(
                settings,
                Options {
                    http: false,
                    worker: true,
                },
            )
            .await
        }
        Command::Migrate => {
            let app = App::build(settings, Clock::default()).await?;
            println!("database is up to date ({:?})", app.db.backend());
            Ok(ExitCode::SUCCESS)
        }
        Command::Jobs { command } => jobs(settings, command).await,
        Command::Closures { command } => closures_cli::run(settings, command).await,
        Command::Announcements { command } => announcements_cli::run(settings, command).await,
        Command::Admin {
            command: AdminCommand::Create { email, role, password },
        } => {
            let app = App::build(settings, Clock::default()).await?;
            let role = Role::parse(&role).context("unknown role")?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (tern_app::tokens::new_token(), true),
            };
            let (id, created) = tern_app::accounts::create_staff(&app, &email, role, &password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}: {e:?}"))?;
            if created {
                println!("created {role} account {id} for {email}");
                if generated {
                    println!("password (shown once, store it safely): {password}");
                }
            } else {
                println!("{email} already had an account ({id}); its role is now {role}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin {
            command: AdminCommand::ApiKey { command },
        } => api_keys(settings, command).await,
        Command::Vouchers { command } => vouchers(settings, command).await,
        Command::Plans {
            command: PlansCommand::Import { file },
        } => import_plans(settings, &file).await,
        Command::SmdpSim {
            listen,
            callback_url,
            callback_secret,
            profiles,
            tls,
        } => smdp_sim(&settings, &listen, callback_url, callback_secret, profiles, tls).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let app = App::build(settings, Clock::default()).await?;
            let mut conn = app.db.conn().await?;
            let total = tern_store::audit::count(&mut conn).await?;
            drop(conn);
            let bar = ProgressBar::new(u64::try_from(total).unwrap_or(0));
            bar.set_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} entries")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message("verifying audit log");
            let report = tern_app::audit::verify(&app.db, |n| bar.set_position(u64::try_from(n).unwrap_or(0)))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            bar.finish_and_clear();
            match report.first_broken {
                None => {
                    println!("audit log intact: {} entries verified", report.entries);
                    Ok(ExitCode::SUCCESS)
                }
                Some(b) => {
                    println!("audit log BROKEN after {} good entries: {b}", report.entries);
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

async fn serve(settings: Settings, opts: Options) -> anyhow::Result<ExitCode> {
    let running = server::start(settings, Clock::default(), opts).await?;
    if let Some(addr) = running.addr {
        let url = running.app.settings.base_url();
        println!("Tern is running. Open {url}/ in your browser (listening on {addr}).");
        println!(
            "Mail and SMS go to {}",
            running.app.settings.data_dir.join("outbox").display()
        );
    } else {
        println!("Tern worker is running.");
    }
    if let Some(m) = running.metrics_addr {
        println!("Prometheus metrics: http://{m}/metrics");
    }
    if let Some(a) = running.callback_tls_addr {
        println!("ES2+ callbacks over mutual TLS: https://{a}/gsma/rsp2/es2plus/handleDownloadProgressInfo");
    }
    server::shutdown_signal().await;
    println!("stopping: finishing running requests and jobs…");
    running.stop().await;
    Ok(ExitCode::SUCCESS)
}

async fn jobs(settings: Settings, command: JobsCommand) -> anyhow::Result<ExitCode> {
    let app = App::build(settings, Clock::default()).await?;
    match command {
        JobsCommand::RunPending => {
            let n = tern_app::jobs::run_pending(&app)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("ran {n} job(s)");
        }
        JobsCommand::Failed => {
            let mut conn = app.db.conn().await?;
            let rows = tern_store::jobs::list(&mut conn, tern_store::jobs::JobState::Failed, 200).await?;
            if rows.is_empty() {
                println!("no failed jobs");
            }
            for j in rows {
                println!(
                    "{}  {}  attempts {}/{}  last error: {}",
                    j.id,
                    j.kind,
                    j.attempts,
                    j.max_attempts,
                    j.last_error.unwrap_or_default()
                );
            }
        }
        JobsCommand::Retry { id } => {
            let mut conn = app.db.conn().await?;
            if tern_store::jobs::retry(&mut conn, &id, app.now_ms()).await? {
                println!("job {id} queued again");
            } else {
                println!("no failed job {id}");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn vouchers(settings: Settings, command: VouchersCommand) -> anyhow::Result<ExitCode> {
    let VouchersCommand::Issue {
        value,
        currency,
        count,
        expires,
        promo,
        out,
    } = command;
    let cur = tern_domain::Currency::parse(&currency).context("--currency must be a three-letter code")?;
    let value = tern_domain::Money::parse_decimal(&value, cur).context("--value is not an amount in that currency")?;
    if count == 0 || count > 1_000_000 {
        anyhow::bail!("--count must be between 1 and 1000000");
    }
    // Redeemable through the whole last day (UTC).
    let expires_at = expires
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis());
    let app = App::build(settings, Clock::default()).await?;
    let bar = ProgressBar::new(count as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} codes ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("issuing vouchers");
    let batch = tern_app::wallet::issue_vouchers(&app, value, count, promo, expires_at, |n| bar.inc(n as u64))
        .await
        .map_err(|e| anyhow::anyhow!("{e}: {e:?}"))?;
    bar.finish_and_clear();
    let kind = if promo { "promo" } else { "cash" };
    let exp = expires.map(|d| d.to_string()).unwrap_or_default();
    let shown = value.to_string();
    let amount = shown.split(' ').next().unwrap_or("");
    let mut csv = String::from("code,value,currency,kind,expires\n");
    for c in &batch.codes {
        csv.push_str(&format!("{c},{amount},{},{kind},{exp}\n", value.currency));
    }
    std::fs::write(&out, csv).with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "issued {count} {kind} vouchers of {value} (batch {}) → {}",
        batch.id,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn import_plans(settings: Settings, file: &std::path::Path) -> anyhow::Result<ExitCode> {
    use tern_app::catalogue::{Format, ImportFailure, import};
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let format = match file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Format::Csv,
        Some("json") => Format::Json,
        _ => anyhow::bail!("the file must end in .json or .csv"),
    };
    let app = App::build(settings, Clock::default()).await?;
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {pos} plans")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message("importing");
    match import(&app, &bytes, format, |n| bar.inc(n as u64)).await {
        Ok(report) => {
            bar.finish_and_clear();
            println!(
                "imported {}: {} new, {} updated",
                file.display(),
                report.created,
                report.updated
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportFailure::Invalid(errors)) => {
            bar.finish_and_clear();
            eprintln!(
                "{} has {} problem(s); nothing was imported:",
                file.display(),
                errors.as_slice().len()
            );
            for e in errors.as_slice() {
                let at = match e.line {
                    Some(line) => format!("line {line}"),
                    None => format!("row {}", e.row),
                };
                let field = e.field.as_deref().unwrap_or("-");
                eprintln!("  {at}, {field}: {} ({})", e.message, e.code.as_str());
            }
            Ok(ExitCode::from(2))
        }
        Err(ImportFailure::Failed(e)) => Err(anyhow::anyhow!("{e}: {e:?}")),
    }
}

async fn smdp_sim(
    settings: &Settings,
    listen: &str,
    callback_url: Option<String>,
    callback_secret: Option<String>,
    profiles: u64,
    tls: SimTls,
) -> anyhow::Result<ExitCode> {
    use tern_esim::emulator::CallbackConfig;
    let callback_tls = tern_esim::client::TlsConfig {
        client_cert_pem: tls.callback_cert.clone(),
        client_key_pem: tls.callback_key.clone(),
        ca_bundle_pem: tls.callback_ca.clone(),
    };
    let has_cert = callback_tls.client_cert_pem.is_some();
    let callback = match (callback_url, callback_secret) {
        (Some(base_url), secret) if secret.is_some() || has_cert => Some(CallbackConfig {
            base_url,
            bearer_secret: secret.map(secrecy::SecretString::from),
            tls: callback_tls,
        }),
        (Some(_), _) => anyhow::bail!(
            "--callback-url needs --callback-secret (or TERN_SMDP_CALLBACK_SECRET) or --callback-cert/--callback-key"
        ),
        _ => None,
    };
    let config = tern_esim::EmulatorConfig {
        smdp_address: settings.smdp.emulator_address.clone(),
        profile_type: settings.smdp.profile_type.clone(),
        profile_count: profiles,
        iccid_prefix: settings.smdp.emulator_iccid_prefix.clone(),
        iccid_check_digit: settings.smdp.emulator_iccid_check_digit,
        callback,
        ..tern_esim::EmulatorConfig::default()
    };
    let emulator = tern_esim::SmdpEmulator::new(config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let identity = &settings.smdp.emulator_address;
    match tls.server()? {
        Some(server_tls) => {
            let config = tern_esim::tls::server_config(&server_tls).context("--tls-cert/--tls-key/--client-ca")?;
            let check = if server_tls.client_ca.is_some() {
                "client certificates required"
            } else {
                "no client certificate asked"
            };
            println!("SM-DP+ emulator (ES2+ over TLS, {check}) on https://{addr} with {profiles} profiles");
            println!(
                "Point Tern at it with TERN_SMDP__URL=https://{addr} TERN_SMDP__IDENTITY={identity} (and smdp.ca_bundle, smdp.client_cert, smdp.client_key)"
            );
            tern_esim::emulator::serve_tls(listener, emulator, config, server::shutdown_signal()).await?;
        }
        None => {
            println!("SM-DP+ emulator (ES2+ over HTTP) on http://{addr} with {profiles} profiles");
            println!("Point Tern at it with TERN_SMDP__URL=http://{addr} TERN_SMDP__IDENTITY={identity}");
            tern_esim::emulator::serve(listener, emulator, server::shutdown_signal()).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// TLS for `tern smdp-sim`: its own listener, and the client side of its
/// callbacks to Tern's mutual-TLS listener.
#[derive(Debug, Clone, clap::Args)]
struct SimTls {
    /// Serve ES2+ over TLS with this certificate chain (PEM).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// Require a client certificate from this CA bundle (PEM), as a
    /// production SM-DP+ does (SGP.22 §6.1).
    #[arg(long, requires = "tls_cert")]
    client_ca: Option<std::path::PathBuf>,
    /// Client certificate presented on callbacks (PEM).
    #[arg(long, requires = "callback_key")]
    callback_cert: Option<std::path::PathBuf>,
    /// The private key of --callback-cert (PEM).
    #[arg(long, requires = "callback_cert")]
    callback_key: Option<std::path::PathBuf>,
    /// CA bundle to trust for Tern's callback listener (PEM).
    #[arg(long)]
    callback_ca: Option<std::path::PathBuf>,
}

impl SimTls {
    fn server(&self) -> anyhow::Result<Option<tern_esim::tls::ServerTls>> {
        Ok(match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(tern_esim::tls::ServerTls {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: self.client_ca.clone(),
            }),
            (None, None) => None,
            _ => anyhow::bail!("--tls-cert and --tls-key go together"),
        })
    }
}

async fn api_keys(settings: Settings, command: ApiKeyCommand) -> anyhow::Result<ExitCode> {
    let app = App::build(settings, Clock::default()).await?;
    let fail = |e: tern_app::AppError| anyhow::anyhow!("{e}: {e:?}");
    match command {
        ApiKeyCommand::Create { role, name } => {
            let (key, secret) = tern_app::usage::create_api_key(&app, &name, &role)
                .await
                .map_err(fail)?;
            println!("created {} key {} ({})", key.role, key.id, key.name);
            println!("key (shown once, store it safely): {secret}");
        }
        ApiKeyCommand::List => {
            let keys = tern_app::usage::list_api_keys(&app).await.map_err(fail)?;
            if keys.is_empty() {
                println!("no API keys");
            }
            for k in keys {
                let state = match k.revoked_at {
                    Some(t) => format!("revoked {}", tern_app::clock::rfc3339(t)),
                    None => "active".to_owned(),
                };
                println!(
                    "{}  {}  {}  created {}  {state}",
                    k.id,
                    k.role,
                    k.name,
                    tern_app::clock::rfc3339(k.created_at)
                );
            }
        }
        ApiKeyCommand::Revoke { id } => {
            if tern_app::usage::revoke_api_key(&app, &id).await.map_err(fail)? {
                println!("key {id} revoked");
            } else {
                println!("no active key {id}");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

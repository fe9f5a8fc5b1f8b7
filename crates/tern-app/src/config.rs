//! Settings: built-in defaults, then `tern.toml`, then `TERN_…` environment
//! variables (nested keys joined with `__`, e.g. `TERN_MAIL__SMTP_URL`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

/// Everything an operator can set. Every field has a default that works
/// on a laptop with nothing else installed.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where the SQLite database, outbox folders and secret key live.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; unset means SQLite in `data_dir`.
    #[serde(serialize_with = "redact_url")]
    pub database_url: Option<String>,
    /// Pooled connections for transactions and ordinary reads; the hot
    /// read paths keep up to as many again (`Db::reader`).
    pub db_max_connections: u32,
    /// Threads that run requests and jobs (the async runtime's workers);
    /// 0 (the default) means one fewer than the machine's cores, at least
    /// one, which leaves a core to the database, SQLite's own threads and
    /// password hashing (see [`Settings::runtime_workers`]).
    pub worker_threads: usize,
    /// Address of the API and portal.
    pub listen: String,
    /// Address of the Prometheus `/metrics` listener; empty turns it off.
    pub metrics_listen: String,
    /// The address users reach Tern at, used in links in emails; defaults
    /// to `http://<listen>`.
    pub public_url: Option<String>,
    /// Key for signing cookies and CSRF tokens; generated into
    /// `data_dir/secret.key` when unset.
    #[serde(serialize_with = "redact")]
    pub secret_key: Option<SecretString>,
    /// The service's name as users see it.
    pub product_name: String,
    pub support_email: String,
    /// Log format: `pretty` or `json`.
    pub log_format: String,
    pub auth: AuthSettings,
    pub mail: MailSettings,
    pub sms: SmsSettings,
    pub jobs: JobSettings,
    pub wallet: WalletSettings,
    pub smdp: SmdpSettings,
    pub closure: ClosureSettings,
    pub exports: ExportSettings,
}

/// Personal data exports.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExportSettings {
    /// How long the emailed download link works; the file is deleted then.
    #[serde(with = "humantime_serde")]
    pub ttl: Duration,
    /// Least time between two exports a user asks for (exports made for an
    /// account closure are not limited).
    #[serde(with = "humantime_serde")]
    pub min_interval: Duration,
}

impl Default for ExportSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(7 * 86_400),
            min_interval: Duration::from_secs(86_400),
        }
    }
}

/// Account closure and dormant accounts.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClosureSettings {
    /// Time to change one's mind before processing starts (0 allowed).
    #[serde(with = "humantime_serde")]
    pub cooling_off: Duration,
    /// The due date is this many working days after the day of receipt.
    pub due_working_days: u32,
    /// `weekends`, `cn-2026`, or the path of a calendar TOML file.
    pub calendar: String,
    /// Refund promotional credit too (normally it is forfeited).
    pub refund_promo: bool,
    /// How long pseudonymised financial records are kept before a job
    /// purges them.
    #[serde(with = "humantime_serde")]
    pub retention: Duration,
    /// Wrong passwords on a closure request per `password_window` before 429.
    pub password_failures: u32,
    #[serde(with = "humantime_serde")]
    pub password_window: Duration,
    /// Operators are warned this many working days before a due date.
    pub at_risk_working_days: u32,
    /// Inactivity after which an account is warned that it will be closed;
    /// 0 turns dormant-account closure off.
    #[serde(with = "humantime_serde")]
    pub dormant_after: Duration,
    /// Time after the warning, without a login, before the closure request.
    #[serde(with = "humantime_serde")]
    pub dormant_grace: Duration,
    /// A top-up still pending after this long is treated as abandoned.
    #[serde(with = "humantime_serde")]
    pub abandoned_top_up_after: Duration,
}

impl Default for ClosureSettings {
    fn default() -> Self {
        Self {
            cooling_off: Duration::from_secs(7 * 86_400),
            due_working_days: 15,
            calendar: "weekends".into(),
            refund_promo: false,
            retention: Duration::from_secs(7 * 365 * 86_400),
            password_failures: 5,
            password_window: Duration::from_secs(15 * 60),
            at_risk_working_days: 3,
            dormant_after: Duration::from_secs(730 * 86_400),
            dormant_grace: Duration::from_secs(30 * 86_400),
            abandoned_top_up_after: Duration::from_secs(3600),
        }
    }
}

/// Where eSIM profiles come from.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmdpSettings {
    /// The SM-DP+'s ES2+ base URL. Unset: Tern starts its built-in SM-DP+
    /// emulator in the same process (development and tests only; in a
    /// multi-process deployment run `tern smdp-sim` once and point every
    /// process at it, or at a certified SM-DP+).
    pub url: Option<String>,
    /// Tern's `functionRequesterIdentifier` at the SM-DP+.
    pub requester_id: String,
    /// The profile type downloadOrder asks for.
    pub profile_type: String,
    /// Secret the SM-DP+ (or the proxy in front of Tern) presents as
    /// `Authorization: Bearer …` on HandleDownloadProgressInfo callbacks to
    /// the main listener; derived from the secret key when unset. Callbacks
    /// to `callback_tls.listen` are authenticated by the client
    /// certificate instead.
    #[serde(serialize_with = "redact")]
    pub callback_secret: Option<SecretString>,
    /// The SM-DP+'s `functionRequesterIdentifier` in callbacks; others are
    /// refused. Unset: the SM-DP+ address (`address`, else what Tern uses
    /// for activation codes).
    pub identity: Option<String>,
    /// A TLS listener for ES2+ callbacks that requires a client
    /// certificate from `client_ca` (SGP.22 §6.1 mutual TLS).
    pub callback_tls: Option<CallbackTlsSettings>,
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Mutual TLS towards the SM-DP+ (PEM files).
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub ca_bundle: Option<PathBuf>,
    /// The mobile network's provisioning API used to bar subscriptions at
    /// closure; unset uses `url` (the emulator serves both) or the
    /// built-in emulator.
    pub network_url: Option<String>,
    /// The SM-DP+ address activation codes name when confirmOrder leaves
    /// out `smdpAddress` (optional in SGP.22 §5.3.2). Unset: the host of
    /// `url`, or `emulator_address` with the built-in emulator.
    pub address: Option<String>,
    /// The built-in emulator's host name (goes into activation codes).
    pub emulator_address: String,
    /// Profiles the built-in emulator has in stock.
    pub emulator_profiles: u64,
    /// The digits every emulator ICCID starts with.
    pub emulator_iccid_prefix: String,
    /// Whether emulator ICCIDs end in a Luhn check digit; false mints them
    /// without one (as some SM-DP+ do), to try that locally.
    pub emulator_iccid_check_digit: bool,
}

impl Default for SmdpSettings {
    fn default() -> Self {
        Self {
            url: None,
            requester_id: "tern".into(),
            profile_type: "tern-standard".into(),
            callback_secret: None,
            identity: None,
            callback_tls: None,
            timeout: Duration::from_secs(30),
            client_cert: None,
            client_key: None,
            ca_bundle: None,
            network_url: None,
            address: None,
            emulator_address: "smdp.tern.test".into(),
            emulator_profiles: 10_000,
            emulator_iccid_prefix: "8988247000".into(),
            emulator_iccid_check_digit: true,
        }
    }
}

/// The mutual-TLS listener for ES2+ callbacks (PEM files).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CallbackTlsSettings {
    /// Address to listen on, e.g. `0.0.0.0:8444`.
    pub listen: String,
    /// Tern's server certificate chain for this listener.
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
    /// CA certificates the SM-DP+'s client certificate must chain to.
    pub client_ca: PathBuf,
}

/// Money settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WalletSettings {
    /// The currency of every wallet and price (ISO 4217).
    pub currency: String,
    /// How long after purchase an unused package on a never-installed eSIM
    /// can be cancelled for a full refund.
    #[serde(with = "humantime_serde")]
    pub cancel_window: Duration,
}

impl Default for WalletSettings {
    fn default() -> Self {
        Self {
            currency: "USD".into(),
            cancel_window: Duration::from_secs(14 * 86_400),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    #[serde(with = "humantime_serde")]
    pub session_ttl: Duration,
    /// How long a password re-entry counts for sensitive actions.
    #[serde(with = "humantime_serde")]
    pub reauth_window: Duration,
    #[serde(with = "humantime_serde")]
    pub verify_email_ttl: Duration,
    #[serde(with = "humantime_serde")]
    pub reset_ttl: Duration,
    #[serde(with = "humantime_serde")]
    pub phone_code_ttl: Duration,
    pub phone_code_attempts: u32,
    /// Failed logins per account in `login_window` before 429.
    pub login_failures_per_account: u32,
    /// Login attempts per client address in `login_window` before 429.
    pub login_attempts_per_address: u32,
    #[serde(with = "humantime_serde")]
    pub login_window: Duration,
    /// Mark cookies `Secure` (on automatically for an https public URL).
    pub cookie_secure: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// Sender, e.g. `Tern <no-reply@example.com>`.
    pub from: String,
    /// `smtp://…` or `smtps://…`; unset writes `.eml` files to
    /// `data_dir/outbox/mail`.
    #[serde(serialize_with = "redact")]
    pub smtp_url: Option<SecretString>,
    /// Folder for `.eml` files when no SMTP server is set; default
    /// `data_dir/outbox/mail`.
    pub file_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsSettings {
    /// Provider endpoint; unset writes JSON files to `data_dir/outbox/sms`.
    pub http_url: Option<String>,
    #[serde(serialize_with = "redact")]
    pub http_secret: Option<SecretString>,
    /// Folder for SMS files when no provider is set; default
    /// `data_dir/outbox/sms`.
    pub file_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobSettings {
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// A job whose worker has not finished it within this time is given to
    /// another worker.
    #[serde(with = "humantime_serde")]
    pub lease: Duration,
    pub concurrency: u32,
    /// First retry delay; each further retry doubles it (up to an hour).
    #[serde(with = "humantime_serde")]
    pub retry_base: Duration,
    pub max_attempts: u32,
    /// How often housekeeping runs (expired sessions and exports, dormant
    /// accounts, retention purges, closure deadline gauges); 0 turns the
    /// schedule off (tests run it by hand).
    #[serde(with = "humantime_serde")]
    pub housekeeping_every: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./tern-data"),
            database_url: None,
            db_max_connections: 10,
            worker_threads: 0,
            listen: "127.0.0.1:8080".into(),
            metrics_listen: "127.0.0.1:9464".into(),
            public_url: None,
            secret_key: None,
            product_name: "Tern".into(),
            support_email: "support@tern.invalid".into(),
            log_format: "pretty".into(),
            auth: AuthSettings::default(),
            mail: MailSettings::default(),
            sms: SmsSettings::default(),
            jobs: JobSettings::default(),
            wallet: WalletSettings::default(),
            smdp: SmdpSettings::default(),
            closure: ClosureSettings::default(),
            exports: ExportSettings::default(),
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(30 * 86_400),
            reauth_window: Duration::from_secs(10 * 60),
            verify_email_ttl: Duration::from_secs(24 * 3600),
            reset_ttl: Duration::from_secs(3600),
            phone_code_ttl: Duration::from_secs(10 * 60),
            phone_code_attempts: 5,
            login_failures_per_account: 10,
            login_attempts_per_address: 100,
            login_window: Duration::from_secs(15 * 60),
            cookie_secure: None,
        }
    }
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            from: "Tern <no-reply@tern.invalid>".into(),
            smtp_url: None,
            file_dir: None,
        }
    }
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(300),
            concurrency: 4,
            retry_base: Duration::from_secs(2),
            max_attempts: 10,
            housekeeping_every: Duration::from_secs(15 * 60),
        }
    }
}

/// The top-level keys of [`Settings`], for filtering the environment.
const TOP_LEVEL_KEYS: &[&str] = &[
    "data_dir",
    "database_url",
    "db_max_connections",
    "worker_threads",
    "listen",
    "metrics_listen",
    "public_url",
    "secret_key",
    "product_name",
    "support_email",
    "log_format",
    "auth",
    "mail",
    "sms",
    "jobs",
    "wallet",
    "smdp",
    "closure",
    "exports",
];

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Loads defaults, then `file` (when it exists), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let path = file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("tern.toml"));
        Figment::new()
            .merge(Toml::file(path))
            .merge(Env::prefixed("TERN_").split("__").filter(|k| {
                // Only keys Settings knows: other TERN_ variables (the test
                // harness's, the CLI's) must not trip `deny_unknown_fields`.
                // `split("__")` has already turned `A__B` into `a.b`.
                let top = k.as_str().split(['.']).next().unwrap_or("");
                let top = top.split("__").next().unwrap_or("");
                TOP_LEVEL_KEYS.iter().any(|t| top.eq_ignore_ascii_case(t))
            }))
            .extract::<Settings>()
            .map_err(|e| ConfigError(e.to_string()))
    }

    /// How many async worker threads to start: `worker_threads`, or for 0
    /// one fewer than `cores` (at least one). On 2 cores shared with
    /// PostgreSQL, one worker served database-backed reads 10–17 % faster
    /// than two, with a third less CPU per request, and static answers as
    /// fast (docs/PERFORMANCE.md): a second worker mostly adds wake-ups
    /// and memory handed between threads.
    pub fn runtime_workers(&self, cores: usize) -> usize {
        match self.worker_threads {
            0 => cores.saturating_sub(1).max(1),
            n => n,
        }
    }

    /// The database URL in effect (SQLite in the data folder by default).
    pub fn database_url(&self) -> String {
        match &self.database_url {
            // An empty TERN_DATABASE_URL means "not set", like an empty
            // TERN_METRICS_LISTEN means "off".
            Some(url) if !url.trim().is_empty() => url.clone(),
            _ => tern_store::Db::sqlite_url_in(&self.data_dir),
        }
    }

    pub fn cookie_secure(&self) -> bool {
        self.auth
            .cookie_secure
            .unwrap_or_else(|| self.base_url().starts_with("https://"))
    }

    /// The public URL without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(u) if !u.is_empty() => u.trim_end_matches('/').to_owned(),
            _ => format!("http://{}", self.listen),
        }
    }

    /// The effective settings as TOML with every secret replaced.
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot show settings: {e}"))
    }
}

fn redact<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(secret) if !secret.expose_secret().is_empty() => s.serialize_str("[redacted]"),
        _ => s.serialize_str(""),
    }
}

/// Shows a database URL with any password replaced.
fn redact_url<S: Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(url) => s.serialize_str(&redact_password_in_url(url)),
        None => s.serialize_str(""),
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:[redacted]@host/db`.
pub fn redact_password_in_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((creds, host)) = rest.split_once('@')
        && let Some((user, _)) = creds.split_once(':')
    {
        return format!("{scheme}://{user}:[redacted]@{host}");
    }
    url.to_owned()
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail closures return its error type
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_nested_keys() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("TERN_JOBS__LEASE", "2s");
            jail.set_env("TERN_LISTEN", "127.0.0.1:9999");
            jail.set_env("TERN_TEST_SOMETHING_ELSE", "ignored");
            jail.create_file("tern.toml", "product_name = \"Gull\"\n[auth]\nreset_ttl = \"30m\"\n")?;
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.jobs.lease, Duration::from_secs(2));
            assert_eq!(s.listen, "127.0.0.1:9999");
            assert_eq!(s.product_name, "Gull");
            assert_eq!(s.auth.reset_ttl, Duration::from_secs(1800));
            Ok(())
        });
    }

    #[test]
    fn worker_threads_leave_a_core_unless_set() {
        let auto = Settings::default();
        assert_eq!(auto.runtime_workers(1), 1);
        assert_eq!(auto.runtime_workers(2), 1);
        assert_eq!(auto.runtime_workers(8), 7);
        figment::Jail::expect_with(|jail| {
            jail.set_env("TERN_WORKER_THREADS", "3");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.runtime_workers(2), 3);
            Ok(())
        });
    }

    #[test]
    fn a_typo_in_the_file_is_an_error() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("tern.toml", "[jobs]\nleese = \"2s\"\n")?;
            assert!(Settings::load(None).is_err());
            Ok(())
        });
    }

    #[test]
    fn redacts_secrets() {
        let s = Settings {
            database_url: Some("postgres://tern:hunter2@db/tern".into()),
            secret_key: Some(SecretString::from("topsecret")),
            ..Settings::default()
        };
        let shown = s.to_redacted_toml();
        assert!(!shown.contains("hunter2") && !shown.contains("topsecret"), "{shown}");
        assert!(shown.contains("[redacted]"));
        assert!(!format!("{s:?}").contains("topsecret"));
    }
}

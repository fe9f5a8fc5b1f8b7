//! The application handle: database, settings, clock and transports,
//! cheap to clone and shared by the HTTP layer, the worker and the CLI.

use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use secrecy::ExposeSecret;
use tern_notify::{EmailTransport, Mailer, SmsSender};
use tern_store::Db;

use crate::clock::Clock;
use crate::config::Settings;
use crate::error::{AppError, AppResult};

/// Everything a service call needs.
pub struct AppInner {
    pub db: Db,
    pub settings: Settings,
    pub clock: Clock,
    pub mailer: Mailer,
    pub sms: SmsSender,
    /// Key for HMACs (CSRF tokens, rate-limit keys); never logged.
    secret_key: Vec<u8>,
    /// A real Argon2id hash of a random password, verified against when an
    /// email is unknown so that the answer takes as long as for a known one.
    /// A hash to verify against when the email is unknown, so that answer
    /// takes as long as a wrong password; made at the first such login.
    pub(crate) dummy_hash: tokio::sync::OnceCell<String>,
    es2: tern_esim::Es2Client,
    /// The built-in SM-DP+ emulator's base URL, when it runs in this process.
    pub emulator_url: Option<String>,
    smdp_address: String,
    callback_secret: String,
    smdp_identity: String,
    /// This process's own HTTP address (loopback), for in-process
    /// integrations that call Tern back: the SM-DP+ emulator and the
    /// sandbox payment gateway's webhook.
    pub local_url: String,
    /// The active plans, parsed, for a few seconds (the shop's hot path).
    pub(crate) catalogue_cache: crate::catalogue::Cache,
    /// The terms versions that require acceptance, for a few seconds (the
    /// sign-in path's check).
    pub(crate) terms_cache: crate::terms::Cache,
    /// Concurrent `GET /api/v1/esims/{iccid}` lookups, answered together.
    pub(crate) esim_reads: EsimReads,
    /// `GET /api/v1/esims/{iccid}` answers, used while the database says
    /// they are unchanged.
    pub(crate) esim_pages: crate::esims::Rendered,
}

/// See [`AppInner::esim_reads`].
pub(crate) type EsimReads =
    Arc<crate::batch::Batcher<App, tern_store::esims::SessionEsimKey, Option<tern_store::esims::SessionEsim>>>;

#[derive(Clone)]
pub struct App(Arc<AppInner>);

impl Deref for App {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl AppInner {
    pub fn secret_key(&self) -> &[u8] {
        &self.secret_key
    }

    /// The ES2+ client (to the configured SM-DP+ or the built-in emulator).
    pub fn es2(&self) -> &tern_esim::Es2Client {
        &self.es2
    }

    /// The SM-DP+ address activation codes name when the SM-DP+ does not
    /// say (`smdp.address`, else the host of `smdp.url`, else the built-in
    /// emulator's address).
    pub fn smdp_address(&self) -> String {
        self.smdp_address.clone()
    }

    /// The secret the SM-DP+ must present on callbacks.
    pub fn callback_secret(&self) -> &str {
        &self.callback_secret
    }

    /// The `functionRequesterIdentifier` ES2+ callbacks must carry.
    pub fn smdp_identity(&self) -> &str {
        &self.smdp_identity
    }
}

impl App {
    /// Opens the database (applying migrations), the transports and the
    /// secret key, creating the data folder on first run.
    pub async fn build(settings: Settings, clock: Clock) -> AppResult<Self> {
        let callback = format!("http://{}", settings.listen);
        Self::build_with_callback(settings, clock, &callback).await
    }

    /// Like [`App::build`]; `callback_base` is where the built-in SM-DP+
    /// emulator sends its download notifications (this process's HTTP
    /// listener, which may only be known once it is bound).
    pub async fn build_with_callback(settings: Settings, clock: Clock, callback_base: &str) -> AppResult<Self> {
        let internal = |e: std::io::Error| AppError::Internal(e.to_string());
        std::fs::create_dir_all(&settings.data_dir).map_err(internal)?;
        let db = Db::connect(&settings.database_url(), settings.db_max_connections).await?;
        db.migrate().await?;
        let secret_key = match &settings.secret_key {
            Some(k) if !k.expose_secret().is_empty() => k.expose_secret().as_bytes().to_vec(),
            _ => load_or_create_key(&settings.data_dir.join("secret.key")).map_err(internal)?,
        };
        let mail_transport = match &settings.mail.smtp_url {
            Some(url) if !url.expose_secret().is_empty() => EmailTransport::Smtp(url.expose_secret().to_owned()),
            _ => EmailTransport::File(
                settings
                    .mail
                    .file_dir
                    .clone()
                    .unwrap_or_else(|| settings.data_dir.join("outbox").join("mail")),
            ),
        };
        let mailer = Mailer::new(&mail_transport, &settings.mail.from)?;
        let sms = match (&settings.sms.http_url, &settings.sms.http_secret) {
            (Some(url), Some(secret)) if !url.is_empty() => SmsSender::http(url, secret.expose_secret()),
            _ => SmsSender::File(
                settings
                    .sms
                    .file_dir
                    .clone()
                    .unwrap_or_else(|| settings.data_dir.join("outbox").join("sms")),
            ),
        };
        let callback_secret = match &settings.smdp.callback_secret {
            Some(s) if !s.expose_secret().is_empty() => s.expose_secret().to_owned(),
            _ => crate::tokens::keyed_hash(&secret_key, "es2plus-callback"),
        };
        let (es2_url, emulator_url) = match settings.smdp.url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => (url.to_owned(), None),
            None => {
                let url = crate::esims::start_emulator(&settings, callback_base, &callback_secret).await?;
                (url.clone(), Some(url))
            }
        };
        let configured = settings.smdp.address.clone().filter(|a| !a.trim().is_empty());
        let mut es2_config =
            tern_esim::Es2Config::new(es2_url, &settings.smdp.requester_id, &settings.smdp.profile_type);
        es2_config.smdp_address = match (&configured, &emulator_url) {
            (Some(a), _) => Some(a.clone()),
            (None, Some(_)) => Some(settings.smdp.emulator_address.clone()),
            (None, None) => None,
        };
        es2_config.timeout = settings.smdp.timeout;
        es2_config.tls.client_cert_pem = settings.smdp.client_cert.clone();
        es2_config.tls.client_key_pem = settings.smdp.client_key.clone();
        es2_config.tls.ca_bundle_pem = settings.smdp.ca_bundle.clone();
        let es2 = tern_esim::Es2Client::new(es2_config).map_err(|e| AppError::Internal(format!("ES2+ client: {e}")))?;
        let smdp_address = es2.smdp_address().to_owned();
        let smdp_identity = match settings.smdp.identity.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => id.to_owned(),
            // The built-in emulator calls itself by its own address.
            _ if emulator_url.is_some() => settings.smdp.emulator_address.clone(),
            _ => smdp_address.clone(),
        };
        Ok(Self(Arc::new(AppInner {
            db,
            settings,
            clock,
            mailer,
            sms,
            secret_key,
            dummy_hash: tokio::sync::OnceCell::new(),
            es2,
            emulator_url,
            smdp_address,
            callback_secret,
            smdp_identity,
            local_url: callback_base.to_owned(),
            catalogue_cache: crate::catalogue::Cache::default(),
            terms_cache: crate::terms::Cache::default(),
            esim_reads: crate::batch::Batcher::new(crate::esims::lookup_signed_in),
            esim_pages: crate::esims::Rendered::default(),
        })))
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// Reads the key file, or writes a new random key there (mode 0600).
fn load_or_create_key(path: &Path) -> std::io::Result<Vec<u8>> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let k = existing.trim();
        if k.len() >= 32 {
            return Ok(k.as_bytes().to_vec());
        }
    }
    let key = crate::tokens::new_token();
    std::fs::write(path, &key)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(key.into_bytes())
}

//! A fresh Tern (`App`) on its own database, and the vocabulary the tests
//! use: a signed-up traveller, a funded one.

use std::time::Duration;

use tern_app::accounts::{LoginInput, SignupInput};
use tern_app::auth::Principal;
use tern_app::{App, AppError, Clock, Code, Settings};
use tern_domain::{Currency, Locale, Money};

pub use tern_store::testing::Db;
use tern_store::testing::TempDatabase;

/// An `App` on a database of its own, dropped with it.
pub struct World {
    pub app: App,
    dir: tempfile::TempDir,
    pg: Option<TempDatabase>,
}

impl World {
    pub async fn new(db: Db) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings {
            data_dir: dir.path().to_path_buf(),
            listen: "127.0.0.1:0".into(),
            metrics_listen: String::new(),
            public_url: Some("http://tern.test".into()),
            ..Settings::default()
        };
        settings.jobs.retry_base = Duration::from_millis(20);
        let pg = match db {
            Db::Sqlite => None,
            Db::Postgres => Some(TempDatabase::create().await),
        };
        settings.database_url = pg.as_ref().map(|db| db.url.clone());
        let app = App::build(settings, Clock::default()).await.expect("app builds");
        Self { app, dir, pg }
    }

    /// Signs a traveller up, follows the link in the verification mail
    /// and signs in, as a person would; the caller behind the session.
    pub async fn traveller(&self, email: &str) -> Principal {
        let password = "correct horse battery staple 42";
        let input = SignupInput {
            email: email.into(),
            password: password.into(),
            phone: None,
            name: Some("Test Traveller".into()),
            locale: Some("en".into()),
        };
        tern_app::accounts::signup(&self.app, input, Locale::En)
            .await
            .expect("signs up");
        tern_app::jobs::run_pending(&self.app).await.expect("jobs run");
        let token = self.link_token(email, "verify-email").expect("a verification link");
        tern_app::accounts::verify_email(&self.app, &token)
            .await
            .expect("verifies");
        let login = LoginInput {
            email: email.into(),
            password: password.into(),
            ..LoginInput::default()
        };
        let session = tern_app::accounts::login(&self.app, login, None, None)
            .await
            .expect("signs in");
        tern_app::auth::authenticate(&self.app, &session.token)
            .await
            .expect("session works")
    }

    /// A traveller who redeemed a cash voucher worth `minor` units.
    pub async fn funded_traveller(&self, email: &str, minor: i64) -> Principal {
        let who = self.traveller(email).await;
        let value = Money::new(minor, self.currency());
        let batch = tern_app::wallet::issue_vouchers(&self.app, value, 1, false, None, |_| {})
            .await
            .expect("voucher issued");
        tern_app::wallet::redeem(&self.app, &who, batch.codes[0].as_str())
            .await
            .expect("voucher redeemed");
        who
    }

    pub fn currency(&self) -> Currency {
        Currency::parse(&self.app.settings.wallet.currency).expect("wallet currency")
    }

    /// The `token` of the first `/{path}?token=` link mailed to `to`.
    fn link_token(&self, to: &str, path: &str) -> Option<String> {
        let outbox = self.dir.path().join("outbox").join("mail");
        let marker = format!("/{path}?token=");
        for entry in std::fs::read_dir(outbox).ok()?.flatten() {
            let raw = std::fs::read(entry.path()).ok()?;
            let Ok(mail) = mailparse::parse_mail(&raw) else {
                continue;
            };
            use mailparse::MailHeaderMap;
            if !mail.headers.get_first_value("To").unwrap_or_default().contains(to) {
                continue;
            }
            let body = mail.subparts.first().unwrap_or(&mail).get_body().ok()?;
            if let Some(at) = body.find(&marker) {
                let rest = &body[at + marker.len()..];
                let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
                return Some(rest[..end].to_owned());
            }
        }
        None
    }

    /// Drops the PostgreSQL database, if the world had one.
    pub async fn end(self) {
        let Self { app, dir, pg } = self;
        drop(app);
        drop(dir);
        if let Some(db) = pg {
            db.drop().await;
        }
    }
}

/// The one field code of a 422, or a panic naming what came instead.
pub fn field_code(e: &AppError) -> (&str, &'static str) {
    match e {
        AppError::Validation(fields) if fields.len() == 1 => (fields[0].field.as_str(), fields[0].code),
        other => panic!("expected one invalid field, got {other:?}"),
    }
}

/// The stable code a client would see.
pub fn code(e: &AppError) -> Code {
    e.code()
}

//! A Tern deployment on loopback: `tern serve` / `tern serve --no-worker`
//! API nodes, `tern worker` processes and `tern smdp-sim`, all real
//! processes of the given binary, sharing one database, one secret key, one
//! SM-DP+, one data folder and one mail relay folder (or SMTP server) — the
//! layout docs/DEPLOYMENT.md describes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// One child process; killed when dropped.
pub struct Proc {
    pub name: String,
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(name: &str, mut cmd: Command, log: PathBuf) -> anyhow::Result<Self> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
        cmd.stdout(file.try_clone()?).stderr(file).stdin(Stdio::null());
        let child = cmd.spawn().with_context(|| format!("cannot start {name}"))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            log,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -9` and reap.
    pub fn kill9(&mut self) {
        let _ = Command::new("kill").args(["-9", &self.pid().to_string()]).status();
        let _ = self.child.wait();
    }

    /// Whether it exited on its own, and how.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(s)) => Some(s.to_string()),
            Ok(None) => None,
            Err(e) => Some(e.to_string()),
        }
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Lines of its log containing `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// What every process of the deployment shares.
pub struct Stack {
    pub tern: PathBuf,
    pub database_url: String,
    pub secret_key: String,
    pub callback_secret: String,
    /// Per-process data folders and logs live under here.
    pub root: tempfile::TempDir,
    /// The shared mail relay folder (`TERN_MAIL__FILE_DIR`) when no SMTP.
    pub mail_dir: PathBuf,
    pub smdp_port: u16,
    /// The API node the SM-DP+ calls back, and links point at.
    pub public_port: u16,
    /// Extra `TERN_…` settings for every Tern process.
    pub env: Vec<(String, String)>,
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut buf);
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

impl Stack {
    pub fn new(tern: &Path, database_url: &str, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let root = tempfile::Builder::new().prefix("tern-reliability").tempdir()?;
        let mail_dir = root.path().join("relay").join("mail");
        std::fs::create_dir_all(&mail_dir)?;
        Ok(Self {
            tern: tern.to_owned(),
            database_url: database_url.to_owned(),
            secret_key: random_hex(32),
            callback_secret: random_hex(24),
            root,
            mail_dir,
            smdp_port: free_port()?,
            public_port: free_port()?,
            env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        })
    }

    pub fn smdp_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.smdp_port)
    }

    pub fn public_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.public_port)
    }

    /// A `tern` command with the shared settings. Every process uses the
    /// same data folder: exports are files a worker writes and an API node
    /// serves (docs/DEPLOYMENT.md).
    pub fn command(&self) -> anyhow::Result<Command> {
        let dir = self.root.path().join("data");
        std::fs::create_dir_all(&dir)?;
        let mut cmd = Command::new(&self.tern);
        cmd.env("TERN_DATA_DIR", &dir)
            .env("TERN_CONFIG", dir.join("none.toml"))
            .env("TERN_DATABASE_URL", &self.database_url)
            .env("TERN_SECRET_KEY", &self.secret_key)
            .env("TERN_PUBLIC_URL", self.public_url())
            .env("TERN_METRICS_LISTEN", "")
            .env("TERN_SMDP__URL", self.smdp_url())
            .env("TERN_SMDP__CALLBACK_SECRET", &self.callback_secret)
            // smdp-sim's functionRequesterIdentifier in callbacks.
            .env("TERN_SMDP__IDENTITY", "smdp.tern.test")
            .env("TERN_MAIL__FILE_DIR", &self.mail_dir)
            .env("TERN_SMS__FILE_DIR", self.root.path().join("relay").join("sms"))
            // Every client of a run is 127.0.0.1: the per-address sign-in
            // limit would count the whole run as one client.
            .env("TERN_AUTH__LOGIN_ATTEMPTS_PER_ADDRESS", "1000000")
            .env("RUST_LOG", "warn");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        Ok(cmd)
    }

    fn log(&self, name: &str) -> PathBuf {
        self.root.path().join(format!("{name}.log"))
    }

    /// `tern smdp-sim`, calling back the public API node.
    pub fn start_smdp(&self, profiles: u64) -> anyhow::Result<Proc> {
        let mut cmd = self.command()?;
        cmd.args(["smdp-sim", "--listen", &format!("127.0.0.1:{}", self.smdp_port)])
            .args(["--callback-url", &self.public_url()])
            .args(["--profiles", &profiles.to_string()])
            .env("TERN_SMDP_CALLBACK_SECRET", &self.callback_secret);
        Proc::spawn("smdp-sim", cmd, self.log("smdp-sim"))
    }

    /// An API node (`tern serve`, with `--no-worker` unless `worker`).
    pub fn start_api(&self, name: &str, port: u16, worker: bool) -> anyhow::Result<Proc> {
        let mut cmd = self.command()?;
        cmd.arg("serve").env("TERN_LISTEN", format!("127.0.0.1:{port}"));
        if !worker {
            cmd.arg("--no-worker");
        }
        Proc::spawn(name, cmd, self.log(name))
    }

    /// A `tern worker`.
    pub fn start_worker(&self, name: &str) -> anyhow::Result<Proc> {
        let mut cmd = self.command()?;
        cmd.arg("worker");
        Proc::spawn(name, cmd, self.log(name))
    }

    /// Settings for an in-process [`tern_app::App`] on the same database and
    /// key (the tool seeds accounts with it and checks the result).
    pub fn settings(&self) -> tern_app::Settings {
        let mut s = tern_app::Settings {
            data_dir: self.root.path().join("tool"),
            database_url: Some(self.database_url.clone()),
            secret_key: Some(self.secret_key.clone().into()),
            public_url: Some(self.public_url()),
            metrics_listen: String::new(),
            db_max_connections: 8,
            ..tern_app::Settings::default()
        };
        s.smdp.url = Some(self.smdp_url());
        s.smdp.callback_secret = Some(self.callback_secret.clone().into());
        s.smdp.identity = Some("smdp.tern.test".into());
        s.mail.file_dir = Some(self.mail_dir.clone());
        s.sms.file_dir = Some(self.root.path().join("relay").join("sms"));
        s.jobs.housekeeping_every = Duration::ZERO;
        s
    }
}

/// Waits until `url` answers `/readyz` with 200 (or the process dies).
pub async fn wait_ready(
    client: &reqwest::Client,
    url: &str,
    proc: &mut Proc,
    limit: Duration,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(r) = client.get(format!("{url}/readyz")).send().await
            && r.status().is_success()
        {
            return Ok(started.elapsed());
        }
        if let Some(status) = proc.exited() {
            bail!("{} exited ({status}):\n{}", proc.name, proc.log_tail(20));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("{} was not ready within {limit:?}:\n{}", proc.name, proc.log_tail(20))
}

/// Waits until something listens on `port`.
pub async fn wait_port(port: u16, proc: &mut Proc, limit: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok(());
        }
        if let Some(status) = proc.exited() {
            bail!("{} exited ({status}):\n{}", proc.name, proc.log_tail(20));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("{} did not listen on {port} within {limit:?}", proc.name)
}

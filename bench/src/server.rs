//! Starting and stopping `tern serve` (release binary, `RUST_LOG=warn`) on
//! a fresh data folder, on SQLite or on a given PostgreSQL database.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A running `tern serve`; stopped when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    tern: PathBuf,
    database_url: Option<String>,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Server {
    /// Starts `tern serve` on a fresh data folder (SQLite there unless
    /// `database_url` is given); returns it and the time from spawn to a
    /// 200 from `/readyz`.
    pub async fn start(tern: &Path, database_url: Option<&str>) -> anyhow::Result<(Self, Duration)> {
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        let log = std::fs::File::create(dir.path().join("server.log"))?;
        let started = Instant::now();
        let mut cmd = Command::new(tern);
        cmd.arg("serve")
            .env("TERN_LISTEN", format!("127.0.0.1:{port}"))
            .env("TERN_METRICS_LISTEN", "")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log);
        configure(&mut cmd, dir.path(), database_url);
        let child = cmd.spawn().with_context(|| format!("cannot run {}", tern.display()))?;
        let mut server = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
            tern: tern.to_owned(),
            database_url: database_url.map(str::to_owned),
            dir,
        };
        let client = reqwest::Client::new();
        let deadline = started + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{}/readyz", server.url)).send().await
                && r.status().is_success()
            {
                return Ok((server, started.elapsed()));
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("tern serve exited ({status}):\n{}", server.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        bail!("tern did not become ready within 60 s:\n{}", server.log_tail())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The data folder (outbox, secret key, SQLite database).
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A `tern` command set up for the same data folder and database as
    /// the server (for CLI commands such as `tern vouchers issue`).
    pub fn cli(&self) -> Command {
        let mut cmd = Command::new(&self.tern);
        cmd.env("RUST_LOG", "warn");
        configure(&mut cmd, self.dir.path(), self.database_url.as_deref());
        cmd
    }

    /// How the server process ended, if it did.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("unknown ({e})")),
        }
    }

    /// The last lines the server logged (warnings and errors).
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

fn configure(cmd: &mut Command, dir: &Path, database_url: Option<&str>) {
    cmd.env("TERN_DATA_DIR", dir).env("TERN_CONFIG", dir.join("none.toml"));
    // All the load comes from one address, which the per-address login
    // limit would otherwise turn into 429s within a second.
    cmd.env("TERN_AUTH__LOGIN_ATTEMPTS_PER_ADDRESS", "1000000000");
    match database_url {
        Some(url) => cmd.env("TERN_DATABASE_URL", url),
        None => cmd.env_remove("TERN_DATABASE_URL"),
    };
}

fn proc_status_kib(pid: u32, field: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

/// Resident memory of a process in MiB, from /proc.
pub fn rss_mib(pid: u32) -> anyhow::Result<f64> {
    Ok(proc_status_kib(pid, "VmRSS:")? / 1024.0)
}

/// The highest resident memory of a process so far, in MiB.
pub fn peak_rss_mib(pid: u32) -> anyhow::Result<f64> {
    Ok(proc_status_kib(pid, "VmHWM:")? / 1024.0)
}

//! The PostgreSQL a run uses: by default a private cluster (`initdb` under
//! /tmp, its own port, stopped and removed at the end), so that restarting
//! it disturbs nobody; or the machine's shared server (`--shared-pg`), where
//! only a fresh database is created and the outage test restarts the cluster
//! with `pg_ctlcluster`. Either way the database is created for the run and
//! dropped after it (through `crate::postgres::TempDatabase`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::postgres::TempDatabase;

/// Where PostgreSQL comes from.
#[derive(Clone, Debug)]
pub enum PgMode {
    /// A cluster of our own, made with the binaries in this folder.
    Private { bin_dir: PathBuf },
    /// The machine's server: an admin URL, and the cluster to restart
    /// (`pg_ctlcluster VERSION main …`).
    Shared { admin_url: String, version: String },
}

enum Server {
    Private {
        bin_dir: PathBuf,
        data: PathBuf,
        port: u16,
        _dir: tempfile::TempDir,
    },
    Shared {
        version: String,
    },
}

/// A database for one run, on a server this run may restart.
pub struct Postgres {
    // Dropped first: the database goes before the private server stops.
    db: Option<TempDatabase>,
    server: Server,
    admin_url: String,
}

fn as_postgres(cmd: &str) -> Command {
    // initdb and pg_ctl refuse to run as root.
    if rustix_is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", cmd]);
        c
    } else {
        Command::new(cmd)
    }
}

fn rustix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|v| v.split_whitespace().next().map(|u| u == "0"))
        })
        .unwrap_or(false)
}

fn run(mut cmd: Command, what: &str) -> anyhow::Result<()> {
    let out = cmd.output().with_context(|| format!("cannot run {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Postgres {
    pub fn start(mode: &PgMode) -> anyhow::Result<Self> {
        let (server, admin_url) = match mode {
            PgMode::Private { bin_dir } => {
                let dir = tempfile::Builder::new()
                    .prefix("tern-reliability-pg")
                    .tempdir_in("/tmp")?;
                let data = dir.path().join("data");
                if rustix_is_root() {
                    run(
                        {
                            let mut c = Command::new("chown");
                            c.arg("postgres:postgres").arg(dir.path());
                            c
                        },
                        "chown",
                    )?;
                }
                let mut init = as_postgres(&bin_dir.join("initdb").to_string_lossy());
                init.args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
                    .arg(&data);
                run(init, "initdb")?;
                let port = free_port()?;
                let server = Server::Private {
                    bin_dir: bin_dir.clone(),
                    data,
                    port,
                    _dir: dir,
                };
                server.pg_ctl_start()?;
                (server, format!("postgres://postgres@127.0.0.1:{port}/postgres"))
            }
            PgMode::Shared { admin_url, version } => (
                Server::Shared {
                    version: version.clone(),
                },
                admin_url.clone(),
            ),
        };
        let db = TempDatabase::create(&admin_url)?;
        Ok(Self {
            db: Some(db),
            server,
            admin_url,
        })
    }

    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    pub fn url(&self) -> &str {
        self.db.as_ref().map_or("", |d| d.url.as_str())
    }

    /// What the run restarts, for the report.
    pub fn describe(&self) -> String {
        match &self.server {
            Server::Private { port, .. } => format!("private cluster on port {port} (pg_ctl)"),
            Server::Shared { version } => format!("shared cluster {version}/main (pg_ctlcluster)"),
        }
    }

    /// Stops the server (fast shutdown: open sessions are ended).
    pub fn stop(&self) -> anyhow::Result<()> {
        match &self.server {
            Server::Private { bin_dir, data, .. } => {
                let mut c = as_postgres(&bin_dir.join("pg_ctl").to_string_lossy());
                c.args(["-m", "fast", "-w", "-D"]).arg(data).arg("stop");
                run(c, "pg_ctl stop")
            }
            Server::Shared { version } => {
                let mut c = Command::new("pg_ctlcluster");
                c.args(["--skip-systemctl-redirect", version, "main", "stop", "-m", "fast"]);
                run(c, "pg_ctlcluster stop")
            }
        }
    }

    pub fn start_again(&self) -> anyhow::Result<()> {
        match &self.server {
            Server::Private { .. } => self.server.pg_ctl_start(),
            Server::Shared { version } => {
                let mut c = Command::new("pg_ctlcluster");
                c.args(["--skip-systemctl-redirect", version, "main", "start"]);
                run(c, "pg_ctlcluster start")
            }
        }
    }

    /// Waits until the server accepts connections again.
    pub fn wait_ready(&self, limit: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        while started.elapsed() < limit {
            let ok = Command::new("psql")
                .args(["-X", "-q", "-d", &self.admin_url, "-c", "SELECT 1"])
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                return Ok(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("PostgreSQL did not come back within {limit:?}")
    }
}

impl Server {
    fn pg_ctl_start(&self) -> anyhow::Result<()> {
        let Server::Private {
            bin_dir, data, port, ..
        } = self
        else {
            return Ok(());
        };
        let log = data.parent().unwrap_or(Path::new("/tmp")).join("server.log");
        let mut c = as_postgres(&bin_dir.join("pg_ctl").to_string_lossy());
        c.args(["-w", "-l"]).arg(&log).arg("-D").arg(data).args([
            "-o",
            &format!(
                "-p {port} -c listen_addresses=127.0.0.1 -k /tmp -c max_connections=200 -c fsync=off -c synchronous_commit=off"
            ),
            "start",
        ]);
        run(c, "pg_ctl start")
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        drop(self.db.take());
        if let Server::Private { bin_dir, data, .. } = &self.server {
            let mut c = as_postgres(&bin_dir.join("pg_ctl").to_string_lossy());
            c.args(["-m", "immediate", "-w", "-D"]).arg(data).arg("stop");
            let _ = c.output();
        }
    }
}

//! Load from a second process on loopback: `wrk` (with `--latency`), time
//! bounded, with a small Lua script that adds the `Authorization` header.
//! The server's resident memory is sampled while `wrk` runs, and the CPU
//! time the server and PostgreSQL spent is read before and after.

use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail, ensure};

use crate::cpu;
use crate::server::rss_mib;

/// How `wrk` loads the server.
#[derive(Clone, Debug)]
pub struct Params {
    pub wrk: PathBuf,
    pub duration: Duration,
    pub warmup: Duration,
    pub connections: u32,
    pub threads: u32,
}

/// The processes a load is measured on: the server, and PostgreSQL when
/// the server uses it.
#[derive(Clone, Copy, Debug)]
pub struct Watch {
    pub server_pid: u32,
    pub postgres: bool,
}

/// One `wrk` run.
#[derive(Clone, Debug)]
pub struct Figures {
    pub requests_per_sec: f64,
    pub requests: u64,
    pub p50: Duration,
    pub p99: Duration,
    /// Responses other than 2xx/3xx, and connect/read/write/timeout errors.
    pub bad_responses: u64,
    pub socket_errors: u64,
    /// Highest resident memory of the server seen while `wrk` ran.
    pub peak_rss_mib: f64,
    /// CPU time of the server per request, in microseconds.
    pub server_cpu_us: f64,
    /// CPU time of PostgreSQL on this machine per request (None on SQLite).
    pub postgres_cpu_us: Option<f64>,
}

/// Checks that `wrk` can be run at all.
pub async fn check_wrk(wrk: &PathBuf) -> anyhow::Result<()> {
    // `wrk -v` prints its version and usage, and exits with 1.
    tokio::process::Command::new(wrk)
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .with_context(|| format!("cannot run {} (apt-get install -y wrk)", wrk.display()))?;
    Ok(())
}

/// Warms the endpoint up for `params.warmup` (not recorded), then loads it
/// for `params.duration` and returns what `wrk` measured.
pub async fn measure(params: &Params, url: &str, token: Option<&str>, watch: Watch) -> anyhow::Result<Figures> {
    let script = request_script(token, None)?;
    measure_with(params, url, script, watch).await
}

/// Like [`measure`], for `POST url` with a JSON `body` on every request.
pub async fn measure_post(params: &Params, url: &str, body: &str, watch: Watch) -> anyhow::Result<Figures> {
    let script = request_script(None, Some(body))?;
    measure_with(params, url, script, watch).await
}

async fn measure_with(
    params: &Params,
    url: &str,
    script: tempfile::NamedTempFile,
    watch: Watch,
) -> anyhow::Result<Figures> {
    if !params.warmup.is_zero() {
        run_wrk(params, params.warmup, url, script.path(), watch).await?;
    }
    let figures = run_wrk(params, params.duration, url, script.path(), watch).await?;
    ensure!(figures.requests > 0, "wrk made no requests to {url}");
    Ok(figures)
}

/// A Lua script setting the `Authorization` header, and for a POST its
/// JSON body (or nothing).
fn request_script(token: Option<&str>, post_body: Option<&str>) -> anyhow::Result<tempfile::NamedTempFile> {
    let mut file = tempfile::Builder::new()
        .prefix("tern-bench-")
        .suffix(".lua")
        .tempfile()?;
    if let Some(t) = token {
        ensure!(
            t.chars().all(|c| c.is_ascii_graphic() && c != '"' && c != '\\'),
            "unexpected characters in the token"
        );
        writeln!(file, "wrk.headers[\"Authorization\"] = \"Bearer {t}\"")?;
    }
    if let Some(body) = post_body {
        ensure!(!body.contains("]]"), "the body cannot be quoted for Lua");
        writeln!(file, "wrk.method = \"POST\"")?;
        writeln!(file, "wrk.headers[\"Content-Type\"] = \"application/json\"")?;
        writeln!(file, "wrk.body = [[{body}]]")?;
    }
    file.flush()?;
    Ok(file)
}

async fn run_wrk(
    params: &Params,
    duration: Duration,
    url: &str,
    script: &std::path::Path,
    watch: Watch,
) -> anyhow::Result<Figures> {
    let server_pid = watch.server_pid;
    let secs = duration.as_secs().max(1);
    let mut cmd = tokio::process::Command::new(&params.wrk);
    cmd.arg("-t")
        .arg(params.threads.to_string())
        .arg("-c")
        .arg(params.connections.to_string())
        .arg("-d")
        .arg(format!("{secs}s"))
        .arg("--timeout")
        .arg("5s")
        .arg("--latency")
        .arg("-s")
        .arg(script)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let cpu_before = cpu::Sample::take(server_pid, watch.postgres)?;
    let run = tokio::time::timeout(Duration::from_secs(secs + 30), cmd.output());
    tokio::pin!(run);
    let mut peak: f64 = 0.0;
    let output = loop {
        tokio::select! {
            out = &mut run => break out.context("wrk did not finish in time")?.context("cannot run wrk")?,
            () = tokio::time::sleep(Duration::from_millis(100)) => peak = peak.max(rss_mib(server_pid)?),
        }
    };
    let cpu_after = cpu::Sample::take(server_pid, watch.postgres)?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk {url} failed ({}): {}{}",
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut figures = parse(&stdout).with_context(|| format!("unexpected wrk output:\n{stdout}"))?;
    figures.peak_rss_mib = peak.max(rss_mib(server_pid)?);
    (figures.server_cpu_us, figures.postgres_cpu_us) = cpu_after.per_request_us(&cpu_before, figures.requests);
    Ok(figures)
}

/// Reads the figures from `wrk --latency` output.
fn parse(out: &str) -> anyhow::Result<Figures> {
    let mut f = Figures {
        requests_per_sec: f64::NAN,
        requests: 0,
        p50: Duration::ZERO,
        p99: Duration::ZERO,
        bad_responses: 0,
        socket_errors: 0,
        peak_rss_mib: 0.0,
        server_cpu_us: f64::NAN,
        postgres_cpu_us: None,
    };
    let (mut p50, mut p99, mut rps, mut total) = (None, None, None, None);
    for line in out.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] => p50 = Some(latency(v)?),
            ["99%", v] => p99 = Some(latency(v)?),
            ["Requests/sec:", v] => rps = Some(v.parse::<f64>()?),
            [n, "requests", "in", ..] => total = Some(n.parse::<u64>()?),
            ["Non-2xx", "or", "3xx", "responses:", n] => f.bad_responses = n.parse()?,
            ["Socket", "errors:", rest @ ..] => {
                // connect 0, read 0, write 0, timeout 0
                f.socket_errors = rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum();
            }
            _ => {}
        }
    }
    f.p50 = p50.context("no 50% latency")?;
    f.p99 = p99.context("no 99% latency")?;
    f.requests_per_sec = rps.context("no Requests/sec")?;
    f.requests = total.context("no request count")?;
    Ok(f)
}

/// A `wrk` latency such as `812.00us`, `1.25ms` or `2.00s`.
fn latency(v: &str) -> anyhow::Result<Duration> {
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .with_context(|| format!("latency without a unit: {v}"))?;
    let (n, unit) = v.split_at(split);
    let n: f64 = n.parse()?;
    let secs = match unit {
        "us" => n / 1e6,
        "ms" => n / 1e3,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => bail!("unknown latency unit in {v}"),
    };
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: &str = "Running 10s test @ http://127.0.0.1:40000/healthz
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.41ms    2.03ms  42.12ms   90.12%
    Req/Sec    28.01k     3.11k   35.20k    70.50%
  Latency Distribution
     50%  812.00us
     75%    1.25ms
     90%    3.10ms
     99%   10.02ms
  557310 requests in 10.00s, 82.38MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  55715.83
Transfer/sec:      8.24MB
";

    #[test]
    fn parses_wrk_latency_output() {
        let f = parse(OUT).unwrap();
        assert_eq!(f.requests, 557_310);
        assert!((f.requests_per_sec - 55_715.83).abs() < 1e-6);
        assert_eq!(f.p50, Duration::from_micros(812));
        assert_eq!(f.p99, Duration::from_micros(10_020));
        assert_eq!(f.bad_responses, 4);
        assert_eq!(f.socket_errors, 3);
    }

    #[test]
    fn refuses_output_without_figures() {
        assert!(parse("unable to connect to 127.0.0.1:1 Connection refused").is_err());
    }
}

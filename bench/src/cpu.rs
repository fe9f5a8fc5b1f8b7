//! CPU time spent by processes, from Linux's scheduler statistics
//! (`/proc/<pid>/task/<tid>/schedstat`, whose first field is the time a
//! thread ran, in nanoseconds). Divided by the requests of a run, it says
//! what one request cost the server and the database, a figure that moves
//! less from run to run than requests per second on a shared machine.

use anyhow::Context;

/// CPU time of every thread of `pid` so far, in nanoseconds.
pub fn process_ns(pid: u32) -> anyhow::Result<u64> {
    let tasks = format!("/proc/{pid}/task");
    let mut total = 0;
    for task in std::fs::read_dir(&tasks).with_context(|| format!("reading {tasks}"))? {
        // A thread that ended between listing and reading counts as nothing.
        if let Ok(stat) = std::fs::read_to_string(task?.path().join("schedstat")) {
            total += first_field(&stat)?;
        }
    }
    Ok(total)
}

/// CPU time so far of every process named `postgres` on this machine (the
/// server and its backends; single-threaded), in nanoseconds: 0 when
/// PostgreSQL runs elsewhere.
pub fn postgres_ns() -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc").context("reading /proc")? {
        let path = entry?.path();
        let is_pid = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        if !is_pid {
            continue;
        }
        // Processes come and go while we look: skip what cannot be read.
        let Ok(comm) = std::fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if comm.trim_end() != "postgres" {
            continue;
        }
        if let Ok(stat) = std::fs::read_to_string(path.join("schedstat")) {
            total += first_field(&stat)?;
        }
    }
    Ok(total)
}

/// CPU time of the server and of PostgreSQL at one moment.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    server_ns: u64,
    postgres_ns: u64,
}

impl Sample {
    /// The server's CPU time, and PostgreSQL's when `postgres` (else 0).
    pub fn take(server_pid: u32, postgres: bool) -> anyhow::Result<Self> {
        Ok(Self {
            server_ns: process_ns(server_pid)?,
            postgres_ns: if postgres { postgres_ns()? } else { 0 },
        })
    }

    /// Microseconds of server and PostgreSQL CPU per request since
    /// `earlier` (PostgreSQL's is None when it was not measured or ran
    /// elsewhere).
    pub fn per_request_us(&self, earlier: &Sample, requests: u64) -> (f64, Option<f64>) {
        let per = |ns: u64| ns as f64 / 1000.0 / requests.max(1) as f64;
        let pg = self.postgres_ns.saturating_sub(earlier.postgres_ns);
        (
            per(self.server_ns.saturating_sub(earlier.server_ns)),
            (pg > 0).then(|| per(pg)),
        )
    }
}

fn first_field(schedstat: &str) -> anyhow::Result<u64> {
    schedstat
        .split_whitespace()
        .next()
        .context("empty schedstat")?
        .parse()
        .context("schedstat's run time is not a number")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_run_time_of_a_schedstat_line() {
        assert_eq!(first_field("123456789 2000 17\n").ok(), Some(123_456_789));
        assert!(first_field("").is_err());
        assert!(first_field("x 1 2").is_err());
    }

    #[test]
    fn this_process_has_used_some_cpu_and_more_after_work() {
        let pid = std::process::id();
        let before = process_ns(pid).expect("own schedstat");
        let mut x: u64 = 1;
        for i in 0..5_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
        }
        std::hint::black_box(x);
        let after = process_ns(pid).expect("own schedstat");
        assert!(after > before, "{before} -> {after}");
    }

    #[test]
    fn per_request_figures_divide_the_difference() {
        let a = Sample {
            server_ns: 1_000_000,
            postgres_ns: 0,
        };
        let b = Sample {
            server_ns: 3_000_000,
            postgres_ns: 500_000,
        };
        assert_eq!(b.per_request_us(&a, 100), (20.0, Some(5.0)));
        assert_eq!(b.per_request_us(&b, 100), (0.0, None));
    }
}

//! `docs/PERFORMANCE.md`, written from the figures of one run.

use std::fmt::Write;
use std::time::Duration;

use crate::basics::Basics;
use crate::load::Figures;
use crate::load::Params;
use crate::suite::{DatabaseRun, LOGIN_GOAL, MEMORY_GOAL_MIB, RATIO_GOAL};

/// What happened on one database.
pub enum Outcome {
    Measured(DatabaseRun),
    Skipped(&'static str),
    Failed(String),
}

pub struct Report<'a> {
    pub cores: usize,
    pub machine: String,
    pub load_average: String,
    pub basics: &'a Basics,
    pub params: &'a Params,
    pub sqlite: &'a Outcome,
    pub postgres: &'a Outcome,
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// `31.6 µs / 9.9 µs`, or `20.0 µs / —` without PostgreSQL.
pub fn cpu_per_request(f: &Figures) -> String {
    let pg = f
        .postgres_cpu_us
        .map_or_else(|| "—".to_owned(), |us| format!("{us:.1} µs"));
    format!("{:.1} µs / {pg}", f.server_cpu_us)
}

/// Requests per second that were answered 2xx/3xx.
fn successful_per_sec(f: &Figures) -> f64 {
    if f.requests == 0 {
        return 0.0;
    }
    let good = f.requests.saturating_sub(f.bad_responses + f.socket_errors);
    f.requests_per_sec * good as f64 / f.requests as f64
}

fn yes_no(met: bool) -> &'static str {
    if met { "yes" } else { "**no**" }
}

impl Report<'_> {
    pub fn render(&self) -> String {
        let b = self.basics;
        let mut s = format!(
            "# Performance\n\n\
             Measured by `scripts/bench` (the harness is `bench/src/`), which\n\
             rewrites this file. Figures depend on the machine; ratios against the\n\
             baselines measured in the same run are what to compare.\n\n\
             Last run: {date}, {cores} cores, {machine}; load average at the start {load}.\n\n\
             ## Password hashing\n\n\
             Argon2id at OWASP's minimum (19 MiB, t=2, p=1), timed over {n} hashes.\n\n\
             | figure | value |\n|---|---|\n\
             | one hash | {hash_ms:.1} ms |\n\
             | bound on logins per second (cores ÷ hash time) | {login_bound:.0}/s |\n\n\
             ## Memory and start-up (`tern serve`, SQLite, release build)\n\n\
             | figure | value | goal |\n|---|---|---|\n\
             | start-up to `/readyz` 200 on a fresh database (migrations included) | {ready_ms:.0} ms | |\n\
             | resident memory, idle | {idle:.1} MiB | ≤ 30 MiB |\n\
             | resident memory after 500 portal and API requests | {warm:.1} MiB | |\n\n",
            date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
            cores = self.cores,
            machine = self.machine,
            load = self.load_average,
            n = b.hashes,
            hash_ms = b.hash_ms,
            login_bound = b.login_bound,
            ready_ms = b.ready.as_secs_f64() * 1000.0,
            idle = b.idle_mib,
            warm = b.warm_mib,
        );
        let p = self.params;
        let _ = write!(
            s,
            "## Read endpoints under load\n\n\
             A fresh `tern serve` (release build, `RUST_LOG=warn`, built-in SM-DP+\n\
             emulator) per database. A traveller is set up through the API (sign-up,\n\
             emailed verification link, sign-in, a voucher from `tern vouchers issue`\n\
             redeemed, a `JP-5GB-15D` order provisioned). Then `wrk` — a second process\n\
             on loopback, on the same {cores} cores as the server — loads each endpoint for\n\
             {secs} s with {c} connections on {t} threads (after {warm} s of warm-up), sending\n\
             the traveller's bearer token with every request. `GET /healthz`, a static\n\
             JSON answer from the same server, is the baseline: the ratio is the\n\
             endpoint's requests/s over `/healthz`'s. Latencies are `wrk --latency`\n\
             percentiles. Resident memory is the server process's, sampled every 100 ms\n\
             while `wrk` runs (the PostgreSQL server's own processes are not counted).\n\
             CPU per request is the time the server's threads, and every process named\n\
             `postgres` on this machine, ran during the measured load (Linux's\n\
             `schedstat`), over the requests made; it moves less from run to run than\n\
             requests/s.\n\n",
            cores = self.cores,
            secs = p.duration.as_secs(),
            c = p.connections,
            t = p.threads,
            warm = p.warmup.as_secs(),
        );
        self.database(&mut s, "SQLite", self.sqlite);
        self.database(&mut s, "PostgreSQL", self.postgres);
        s.push_str(
            "### Reading these figures\n\n\
             With `wrk`, the server and (for PostgreSQL) the database sharing the same\n\
             cores, ratios move by several points from run to run, and by more when\n\
             anything else runs on the machine (see the load average above): compare\n\
             runs made back to back. Each database round trip is a hand-over to another\n\
             thread or process and back, which here costs more than the query itself;\n\
             `docs/ARCHITECTURE.md` says what the hot read paths do about it. Until\n\
             November 2026 the raw INSERT baseline bound numbered `$n` parameters on\n\
             SQLite too, which sqlx binds there in time quadratic in their number, so\n\
             ingestion ratios from before are not comparable with later ones.\n\n",
        );
        s
    }

    fn database(&self, s: &mut String, name: &str, outcome: &Outcome) {
        let _ = writeln!(s, "### {name}\n");
        let run = match outcome {
            Outcome::Measured(run) => run,
            Outcome::Skipped(why) => {
                let _ = writeln!(s, "Not measured in this run ({why}).\n");
                return;
            }
            Outcome::Failed(e) => {
                let _ = writeln!(s, "The run failed:\n\n```text\n{e}\n```\n");
                return;
            }
        };
        s.push_str(
            "| endpoint | req/s | p50 | p99 | CPU per request: server / PostgreSQL | ratio to `/healthz` | goal | met? |\n\
             |---|---|---|---|---|---|---|---|\n",
        );
        let base_rps = run.baseline().map_or(f64::NAN, |f| f.requests_per_sec);
        let mut notes = vec![];
        for e in &run.endpoints {
            let f = &e.figures;
            let ratio = f.requests_per_sec / base_rps;
            let clean = f.bad_responses == 0 && f.socket_errors == 0;
            if !clean {
                notes.push(format!(
                    "`{}`: {} responses other than 2xx/3xx and {} socket errors out of {} requests.",
                    e.label, f.bad_responses, f.socket_errors, f.requests
                ));
            }
            let (goal, met) = if e.baseline {
                ("baseline".to_owned(), if clean { "—" } else { "**no**" })
            } else {
                (
                    format!("≥ {:.0} %", RATIO_GOAL * 100.0),
                    yes_no(clean && ratio >= RATIO_GOAL),
                )
            };
            let _ = writeln!(
                s,
                "| `{}` | {:.0} | {} | {} | {} | {:.0} % | {goal} | {met} |",
                e.label,
                f.requests_per_sec,
                ms(f.p50),
                ms(f.p99),
                cpu_per_request(f),
                ratio * 100.0,
            );
        }
        let _ = write!(
            s,
            "\n| figure | value | goal | met? |\n|---|---|---|---|\n\
             | server resident memory, peak sampled under load | {peak:.1} MiB | ≤ 100 MB ({goal:.1} MiB) | {met} |\n\
             | server resident memory, high-water mark (`VmHWM`, set-up included) | {hwm:.1} MiB | | |\n\n",
            peak = run.load_peak_mib,
            goal = MEMORY_GOAL_MIB,
            met = yes_no(run.load_peak_mib <= MEMORY_GOAL_MIB),
            hwm = run.hwm_mib,
        );
        match &run.login {
            Ok(f) => {
                let ok_per_sec = successful_per_sec(f);
                let ratio = ok_per_sec / self.basics.login_bound;
                let _ = write!(
                    s,
                    "Sign-in: `POST /api/v1/sessions` with the traveller's email and password on every request \
                     ({c} connections, {secs} s; the per-address login limit is lifted, since all the load comes \
                     from one address), against the bound the password hash sets (cores ÷ the time of one hash, \
                     measured above in the same run).\n\n\
                     | figure | value | goal | met? |\n|---|---|---|---|\n\
                     | bound (cores ÷ hash time) | {bound:.0}/s | baseline | — |\n\
                     | sign-ins answered 201 | {ok:.0}/s | ≥ {goal:.0} % of the bound | {met} |\n\
                     | ratio | {pct:.0} % | | |\n\
                     | p50 / p99 | {p50} / {p99} | | |\n\n",
                    c = self.params.connections,
                    secs = self.params.duration.as_secs(),
                    bound = self.basics.login_bound,
                    ok = ok_per_sec,
                    goal = LOGIN_GOAL * 100.0,
                    met = yes_no(ratio >= LOGIN_GOAL),
                    pct = ratio * 100.0,
                    p50 = ms(f.p50),
                    p99 = ms(f.p99),
                );
            }
            Err(e) => {
                let _ = writeln!(s, "Sign-in throughput not measured: {e}\n");
            }
        }
        match &run.ingestion {
            Ok(i) => {
                let ratio = i.api_per_sec / i.raw_per_sec;
                let _ = write!(
                    s,
                    "Usage ingestion: {n} records in batches of 10 000 through `POST /api/v1/network/usage`, \
                     against a raw batched INSERT (500 rows a statement, a transaction a batch) of the same rows \
                     into a table with the same columns and index as `usage_events` in the same database. The \
                     raw INSERT binds all nine values of a row the way Tern does (anonymous `?` on SQLite, `$n` \
                     on PostgreSQL). The API's figure includes sending and parsing the JSON (made before the \
                     clock starts), the duplicate check, the draw-down and the package updates.\n\n\
                     | figure | records/s | ratio | goal | met? |\n|---|---|---|---|---|\n\
                     | raw batched INSERT (baseline) | {raw:.0} | 100 % | baseline | — |\n\
                     | usage ingestion through the API | {api:.0} | {pct:.0} % | ≥ 50 % | {met} |\n\n",
                    n = i.records,
                    raw = i.raw_per_sec,
                    api = i.api_per_sec,
                    pct = ratio * 100.0,
                    met = yes_no(ratio >= RATIO_GOAL),
                );
            }
            Err(e) => {
                let _ = writeln!(s, "Usage ingestion was not measured: {e}\n");
            }
        }
        for n in notes {
            let _ = writeln!(s, "{n}\n");
        }
    }
}

/// Replaces the part of the file at `path` between the markers
/// `<!-- {name}:start -->` and `<!-- {name}:end -->` with `section` (or
/// appends it), leaving everything else — figures of other benchmarks and
/// notes written by hand — as it was.
pub fn write_section(path: &std::path::Path, name: &str, section: &str) -> anyhow::Result<()> {
    let (start, end) = (format!("<!-- {name}:start -->"), format!("<!-- {name}:end -->"));
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!("{start}\n{section}{end}\n");
    let out = match (text.find(&start), text.find(&end)) {
        (Some(a), Some(b)) if b > a => {
            let rest = text[b + end.len()..].trim_start_matches('\n');
            // A blank line keeps the text after the section its own paragraph.
            let gap = if rest.is_empty() { "" } else { "\n" };
            format!("{}{block}{gap}{rest}", &text[..a])
        }
        _ if text.trim().is_empty() => block,
        _ => format!("{}\n\n{block}", text.trim_end()),
    };
    std::fs::write(path, out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::write_section;

    #[test]
    fn a_section_is_replaced_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.md");
        std::fs::write(&path, "# Title\n\nby hand\n").unwrap();
        write_section(&path, "x", "one\n").unwrap();
        write_section(&path, "y", "other\n").unwrap();
        write_section(&path, "x", "two\n").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "# Title\n\nby hand\n\n<!-- x:start -->\ntwo\n<!-- x:end -->\n\n<!-- y:start -->\nother\n<!-- y:end -->\n"
        );
    }
}

//! The invariants, checked directly in the database after a run, and the
//! tally every subcommand prints (`N passed, N failed`; exit 1 on a failure).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sqlx::Row;
use tern_store::Db;

use crate::world::Traveller;

#[derive(Default)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    /// (figure, value) lines for the summary table.
    pub figures: Vec<(String, String)>,
}

impl Tally {
    pub fn check(&mut self, name: &str, ok: bool, detail: impl std::fmt::Display) {
        if ok {
            self.passed += 1;
            println!("  check ok     {name}: {detail}");
        } else {
            self.failed += 1;
            println!("  check FAILED {name}: {detail}");
        }
    }

    pub fn figure(&mut self, name: &str, value: impl std::fmt::Display) {
        self.figures.push((name.to_owned(), value.to_string()));
    }

    pub fn summary(&self, title: &str) {
        println!("\n{title}");
        let width = self.figures.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in &self.figures {
            println!("  {k:<width$}  {v}");
        }
    }
}

async fn scalar(db: &Db, sql: &str) -> anyhow::Result<i64> {
    let mut conn = db.conn().await?;
    Ok(sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&mut *conn)
        .await?)
}

/// Open jobs, and orders and closures not yet in a final state.
pub async fn pending(db: &Db) -> anyhow::Result<(i64, i64, i64)> {
    let mut conn = db.conn().await?;
    let jobs = tern_store::jobs::count_open(&mut conn).await?;
    drop(conn);
    let orders = scalar(db, "SELECT COUNT(*) FROM orders WHERE state = 'provisioning'").await?;
    let closures = scalar(
        db,
        "SELECT COUNT(*) FROM closure_requests WHERE state NOT IN ('completed', 'canceled', 'on_hold')",
    )
    .await?;
    Ok((jobs, orders, closures))
}

/// How long everything must stay quiet to count as settled: a worker that
/// has just (re)started queues its housekeeping job within moments.
const QUIET: Duration = Duration::from_secs(3);

/// Waits (bounded) until no job is open and nothing is in flight, and it
/// stays so for [`QUIET`]; returns when it first became quiet.
pub async fn settle(db: &Db, limit: Duration) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut quiet_since: Option<Duration> = None;
    loop {
        let (jobs, orders, closures) = pending(db).await?;
        if jobs == 0 && orders == 0 && closures == 0 {
            let since = *quiet_since.get_or_insert(started.elapsed());
            if started.elapsed() >= since + QUIET {
                return Ok(since);
            }
        } else {
            quiet_since = None;
        }
        if started.elapsed() > limit {
            anyhow::bail!(
                "not settled after {limit:?}: {jobs} jobs open, {orders} orders provisioning, {closures} closures open"
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// What every run checks: orders final and consistent with the ledger,
/// closures settled exactly once, wallets right, no duplicated money
/// movement, no job left, ledger balanced, audit chain valid.
///
/// `closers` asked for closure; `buyers` may have ordered (and may also be
/// among the closers). Every traveller's cash must equal what they paid in
/// minus completed orders (or, once closed, have been refunded exactly that).
pub async fn invariants(
    db: &Db,
    tally: &mut Tally,
    travellers: &[Traveller],
    closers: &[String],
) -> anyhow::Result<()> {
    let mut conn = db.conn().await?;

    // Orders: final, and each failed one reversed exactly once.
    let states: Vec<(String, i64)> =
        sqlx::query("SELECT state, COUNT(*) AS n FROM orders GROUP BY state ORDER BY state")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| (r.get("state"), r.get("n")))
            .collect();
    let count = |s: &str| states.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
    let (completed, failed) = (count("completed"), count("failed"));
    let others: i64 = states
        .iter()
        .filter(|(k, _)| k != "completed" && k != "failed")
        .map(|(_, n)| n)
        .sum();
    tally.figure("orders completed / failed", format!("{completed} / {failed}"));
    tally.check(
        "every order final",
        others == 0,
        format!("{completed} completed, {failed} failed, {others} other ({states:?})"),
    );
    let half: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM orders o WHERE o.state = 'completed' AND (o.iccid IS NULL OR NOT EXISTS \
         (SELECT 1 FROM esims e WHERE e.iccid = o.iccid))",
    )
    .fetch_one(&mut *conn)
    .await?;
    tally.check("completed orders have their eSIM", half == 0, format!("{half} without"));
    let purchases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_transactions WHERE kind = 'purchase'")
        .fetch_one(&mut *conn)
        .await?;
    let reversals: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ledger_transactions t JOIN orders o ON o.id = t.reference \
         WHERE t.kind = 'purchase_reversal' AND o.state = 'failed'",
    )
    .fetch_one(&mut *conn)
    .await?;
    let stray: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ledger_transactions t LEFT JOIN orders o ON o.id = t.reference \
         WHERE t.kind = 'purchase_reversal' AND (o.id IS NULL OR o.state <> 'failed')",
    )
    .fetch_one(&mut *conn)
    .await?;
    tally.check(
        "one purchase per order",
        purchases == completed + failed + others,
        format!("{purchases} purchases for {} orders", completed + failed + others),
    );
    tally.check(
        "failed orders reversed once",
        reversals == failed && stray == 0,
        format!("{reversals} reversals for {failed} failed orders, {stray} stray"),
    );

    // No cause moved money twice (the UNIQUE constraint says so; check).
    let dup: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT kind, reference FROM ledger_transactions GROUP BY kind, reference HAVING COUNT(*) > 1) d",
    )
    .fetch_one(&mut *conn)
    .await?;
    tally.check(
        "no duplicated ledger transaction (kind, reference)",
        dup == 0,
        format!("{dup} duplicated"),
    );

    // Wallets: cash = paid in − completed orders; closed ones refunded that.
    let spent: HashMap<String, i64> = sqlx::query(
        "SELECT account_id, CAST(SUM(price_minor) AS BIGINT) AS s FROM orders WHERE state = 'completed' GROUP BY account_id",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| (r.get("account_id"), r.get("s")))
    .collect();
    let balances: HashMap<String, i64> =
        sqlx::query("SELECT owner_id, balance_minor FROM ledger_accounts WHERE kind = 'cash' AND owner_id IS NOT NULL")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| (r.get("owner_id"), r.get("balance_minor")))
            .collect();
    let settlements: HashMap<String, (i64, i64)> = sqlx::query(
        "SELECT c.account_id AS a, COUNT(DISTINCT t.id) AS n, CAST(COALESCE(SUM(e.amount_minor), 0) AS BIGINT) AS s \
         FROM closure_requests c JOIN ledger_transactions t ON t.kind = 'closure_settlement' AND t.reference = c.id \
         JOIN ledger_entries e ON e.transaction_id = t.id AND e.ledger_account_id LIKE 'system:refunds_payable:%' \
         GROUP BY c.account_id",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| (r.get("a"), (r.get("n"), r.get("s"))))
    .collect();
    let refunds: HashMap<String, (i64, i64)> = sqlx::query(
        "SELECT c.account_id AS a, COUNT(*) AS n, CAST(SUM(r.amount_minor) AS BIGINT) AS s \
         FROM refunds r JOIN closure_requests c ON c.id = r.closure_id GROUP BY c.account_id",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| (r.get("a"), (r.get("n"), r.get("s"))))
    .collect();
    let closing: std::collections::HashSet<&String> = closers.iter().collect();
    let (mut wrong_wallet, mut wrong_refund, mut double_settled) = (vec![], vec![], 0);
    let (mut expected_refunds, mut refunded) = (0i64, 0i64);
    for t in travellers {
        let due = t.cash - spent.get(&t.id).copied().unwrap_or(0);
        let balance = balances.get(&t.id).copied().unwrap_or(0);
        if closing.contains(&t.id) {
            expected_refunds += due;
            let (n, s) = settlements.get(&t.id).copied().unwrap_or((0, 0));
            let (rn, rs) = refunds.get(&t.id).copied().unwrap_or((0, 0));
            refunded += rs;
            if n > 1 {
                double_settled += 1;
            }
            if n != 1 || s != due || rs != due || rn < 1 || balance != 0 {
                wrong_refund.push(format!(
                    "{}: due {due}, settled {n}× {s}, refunds {rn} lines {rs}, balance {balance}",
                    t.email
                ));
            }
        } else if balance != due {
            wrong_wallet.push(format!("{}: balance {balance}, expected {due}", t.email));
        }
    }
    let open_wallets = travellers.len() - closers.len();
    tally.check(
        "wallets = paid in − completed orders",
        wrong_wallet.is_empty(),
        format!(
            "{} of {open_wallets} wrong {:?}",
            wrong_wallet.len(),
            first(&wrong_wallet)
        ),
    );
    tally.figure("double refunds (closures settled twice)", double_settled);
    tally.check(
        "each closure settled exactly once, refund = cash left",
        wrong_refund.is_empty(),
        format!(
            "{} of {} wrong {:?}",
            wrong_refund.len(),
            closers.len(),
            first(&wrong_refund)
        ),
    );
    tally.check(
        "refunds sum to the cash balances",
        refunded == expected_refunds,
        format!("refunded {refunded}, cash left {expected_refunds} (minor units)"),
    );
    tally.figure("refunded in total (minor units)", refunded);

    // Closures: all completed, every step once.
    if !closers.is_empty() {
        let ids: Vec<String> = closers.to_vec();
        let rows: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT account_id, state, last_error FROM closure_requests")
                .fetch_all(&mut *conn)
                .await?;
        let by: HashMap<&str, Vec<(&str, Option<&str>)>> = rows.iter().fold(HashMap::new(), |mut m, (a, s, e)| {
            m.entry(a.as_str()).or_default().push((s.as_str(), e.as_deref()));
            m
        });
        let mut not_done = vec![];
        let mut requests = 0;
        for id in &ids {
            let rs = by.get(id.as_str()).cloned().unwrap_or_default();
            requests += rs.len();
            if rs.len() != 1 || rs[0].0 != "completed" {
                not_done.push(format!("{id}: {rs:?}"));
            }
        }
        tally.figure("closures completed", ids.len() - not_done.len());
        tally.check(
            "every closure completed, one request per account",
            not_done.is_empty(),
            format!(
                "{} of {} not ({requests} requests) {:?}",
                not_done.len(),
                ids.len(),
                first(&not_done)
            ),
        );
        let steps: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM closure_steps")
            .fetch_one(&mut *conn)
            .await?;
        let done: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM closure_requests WHERE state = 'completed'")
            .fetch_one(&mut *conn)
            .await?;
        tally.check(
            "every closure step recorded once",
            steps == done * 8,
            format!("{steps} steps for {done} completed closures"),
        );
        let left: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts a JOIN closure_requests c ON c.account_id = a.id \
             WHERE c.state = 'completed' AND a.email IS NOT NULL",
        )
        .fetch_one(&mut *conn)
        .await?;
        tally.check(
            "closed accounts erased",
            left == 0,
            format!("{left} still with an email"),
        );
    }

    // Jobs: none left, none dead.
    let open = tern_store::jobs::count_open(&mut conn).await?;
    let dead: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT kind, last_error FROM jobs WHERE state = 'failed' LIMIT 3")
            .fetch_all(&mut *conn)
            .await?;
    tally.check(
        "no job left or failed for good",
        open == 0 && dead.is_empty(),
        format!("{open} open, failed: {dead:?}"),
    );
    let unsent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
        .fetch_one(&mut *conn)
        .await?;
    tally.check("every queued message sent", unsent == 0, format!("{unsent} unsent"));

    let (unbalanced, drifted) = tern_store::ledger::integrity(&mut conn).await?;
    tally.check(
        "ledger balanced",
        unbalanced.is_empty() && drifted.is_empty(),
        format!(
            "{} unbalanced transactions, {} drifted balances",
            unbalanced.len(),
            drifted.len()
        ),
    );
    drop(conn);
    let report = tern_app::audit::verify(db, |_| {})
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tally.check(
        "audit chain valid",
        report.first_broken.is_none(),
        format!("{} entries, first broken {:?}", report.entries, report.first_broken),
    );
    Ok(())
}

fn first(v: &[String]) -> &[String] {
    &v[..v.len().min(3)]
}

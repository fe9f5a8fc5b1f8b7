//! `tern closures …`: what operators do with closure requests from a shell.

use std::process::ExitCode;
use tern_domain::ClosureId;

use clap::Subcommand;
use tern_app::closure::{self, AdminView};
use tern_app::{App, Clock, Settings};
use tern_domain::closure::ClosureState;

#[derive(Subcommand)]
pub enum ClosuresCommand {
    /// List requests, soonest due first, with a chart of the last 14 days.
    List {
        /// received, cooling_off, processing, completed, canceled, on_hold
        #[arg(long)]
        state: Option<String>,
        /// overdue, due_soon, ok, done
        #[arg(long)]
        deadline: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// One request with its steps and last error.
    Show { id: String },
    /// Put a request on hold (the reason is shown on its status page).
    Hold {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Take a request off hold and run it.
    Resume { id: String },
    /// Run a request's workflow again now.
    Retry { id: String },
}

const ACTOR: &str = "cli";

fn line(v: &AdminView) -> String {
    format!(
        "{}  {:<11}  due {}  {:<8}  account {}{}",
        v.id,
        v.state,
        v.due_by,
        v.deadline,
        v.account_id,
        v.hold_reason
            .as_deref()
            .map(|r| format!("  hold: {r}"))
            .unwrap_or_default()
    )
}

fn details(v: &AdminView) {
    println!("{}", line(v));
    println!(
        "  requested by {}  reason {}",
        v.requested_by,
        v.reason_code.as_deref().unwrap_or("-")
    );
    println!(
        "  received {}  cooling-off until {}",
        v.received_at, v.cooling_off_until
    );
    for s in &v.steps_done {
        println!("  ✓ {:<14} {}", s.step, s.done_at);
    }
    if let Some(e) = &v.last_error {
        println!("  last error: {e}");
    }
    if let Some(r) = v.refund_minor {
        println!("  refund: {r} (minor units)");
    }
}

/// Requests received per day by state, as bars, and how many of the
/// finished ones met their due date.
async fn chart(app: &App) -> anyhow::Result<()> {
    let since = app.now_ms() - 14 * 86_400_000;
    let mut conn = app.db.conn().await?;
    let rows = tern_store::closures::counts_by_day(&mut conn, since).await?;
    drop(conn);
    if rows.is_empty() {
        return Ok(());
    }
    println!("\nrequests received per day (last 14 days):  █ completed  ▒ open  · canceled");
    let mut days: Vec<i64> = rows.iter().map(|r| r.0).collect();
    days.dedup();
    let max = days
        .iter()
        .map(|d| rows.iter().filter(|r| r.0 == *d).map(|r| r.2).sum::<i64>())
        .max()
        .unwrap_or(1)
        .max(1);
    for d in days {
        let count = |pred: &dyn Fn(ClosureState) -> bool| -> i64 {
            rows.iter().filter(|r| r.0 == d && pred(r.1)).map(|r| r.2).sum()
        };
        let done = count(&|s| s == ClosureState::Completed);
        let canceled = count(&|s| s == ClosureState::Canceled);
        let open = count(&|s| s != ClosureState::Completed && s != ClosureState::Canceled);
        let scale = |n: i64| usize::try_from(n * 40 / max).unwrap_or(0).max(usize::from(n > 0));
        let date = tern_app::clock::to_datetime(d * 86_400_000).date_naive();
        println!(
            "{date}  {}{}{} {}",
            "█".repeat(scale(done)),
            "▒".repeat(scale(open)),
            "·".repeat(scale(canceled)),
            done + open + canceled
        );
    }
    let (soon, overdue) = closure::at_risk(app).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "open requests due within the warning window: {}  overdue: {}",
        soon.len(),
        overdue.len()
    );
    Ok(())
}

pub async fn run(settings: Settings, command: ClosuresCommand) -> anyhow::Result<ExitCode> {
    let app = App::build(settings, Clock::default()).await?;
    let err = |e: tern_app::AppError| anyhow::anyhow!("{}: {e}", e.code());
    match command {
        ClosuresCommand::List { state, deadline, limit } => {
            let rows = closure::list(&app, state.as_deref(), deadline.as_deref(), limit)
                .await
                .map_err(err)?;
            if rows.is_empty() {
                println!("no closure requests");
            }
            for v in &rows {
                println!("{}", line(v));
            }
            chart(&app).await?;
        }
        ClosuresCommand::Show { id } => details(&closure::show(&app, &ClosureId::from(id)).await.map_err(err)?),
        ClosuresCommand::Hold { id, reason } => details(
            &closure::hold(&app, ACTOR, &ClosureId::from(id), &reason)
                .await
                .map_err(err)?,
        ),
        ClosuresCommand::Resume { id } => {
            details(&closure::resume(&app, ACTOR, &ClosureId::from(id)).await.map_err(err)?)
        }
        ClosuresCommand::Retry { id } => {
            details(&closure::retry(&app, ACTOR, &ClosureId::from(id)).await.map_err(err)?)
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `tern announcements …`: operators follow and push an important
//! announcement's email from a shell.

use std::process::ExitCode;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use tern_app::announcements::{self, AdminAnnouncement};
use tern_app::{App, Clock, Settings};
use tern_domain::announcement::AnnouncementState;

#[derive(Subcommand)]
pub enum AnnouncementsCommand {
    /// List announcements, newest first, with their email progress.
    List,
    /// Send a published important announcement's email now, batch by batch
    /// (safe beside the worker: nobody is mailed twice), with a progress bar.
    Send { id: tern_domain::AnnouncementId },
}

fn line(a: &AdminAnnouncement) -> String {
    let mail = a
        .mail
        .map(|m| {
            format!(
                "  mail {}/{}{}{}",
                m.sent,
                m.total,
                if m.skipped > 0 {
                    format!(" ({} skipped)", m.skipped)
                } else {
                    String::new()
                },
                if m.done { " done" } else { "" }
            )
        })
        .unwrap_or_default();
    format!(
        "{}  {:<11}  {:<9}  {}{}  {}{}",
        a.id,
        a.kind,
        a.state,
        a.audience,
        if a.important { "  important" } else { "" },
        a.title.en,
        mail
    )
}

pub async fn run(settings: Settings, command: AnnouncementsCommand) -> anyhow::Result<ExitCode> {
    let app = App::build(settings, Clock::default()).await?;
    let err = |e: tern_app::AppError| anyhow::anyhow!("{}: {e}", e.code());
    match command {
        AnnouncementsCommand::List => {
            let rows = announcements::list(&app).await.map_err(err)?;
            if rows.is_empty() {
                println!("no announcements");
            }
            for a in &rows {
                println!("{}", line(a));
            }
        }
        AnnouncementsCommand::Send { id } => {
            let a = announcements::show(&app, &id).await.map_err(err)?;
            if !a.important || a.state == AnnouncementState::Draft {
                println!("{}: only published important announcements are emailed", a.id);
                return Ok(ExitCode::from(2));
            }
            if a.state == AnnouncementState::Scheduled {
                println!(
                    "{}: publishes at {}; the worker sends it then",
                    a.id,
                    a.publish_at.unwrap_or_default()
                );
                return Ok(ExitCode::from(2));
            }
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} travellers")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message(format!("emailing in batches of {}", announcements::MAIL_BATCH));
            loop {
                let Some(p) = announcements::mail_batch(&app, &id).await.map_err(err)? else {
                    break;
                };
                bar.set_length(u64::try_from(p.total).unwrap_or(0));
                bar.set_position(u64::try_from(p.sent + p.skipped).unwrap_or(0));
                if p.done {
                    bar.finish_and_clear();
                    println!(
                        "{id}: {} of {} travellers emailed, {} skipped (opted out of promotions); the worker delivers the outbox",
                        p.sent, p.total, p.skipped
                    );
                    break;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

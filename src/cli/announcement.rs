//! `groundswell announcement …`: publish, list and withdraw the department's announcements
//! (audited as `cli`). Straight on the database; apps show them at their next refresh.

use std::path::PathBuf;

use clap::Subcommand;

use super::{cli_error, open_migrated};
use crate::config::Settings;
use crate::service::announcements::{self, Draft};
use crate::service::audit::Actor;

#[derive(Debug, Subcommand)]
pub enum AnnouncementCommand {
    /// Publish FILE (Markdown) as an announcement, shown in every employee's app while
    /// current.
    Publish {
        file: PathBuf,
        /// From when (RFC 3339, e.g. 2026-12-24T09:00:00Z); now when not given.
        #[arg(long)]
        starts_at: Option<String>,
        /// Until when (RFC 3339); no end when not given.
        #[arg(long)]
        ends_at: Option<String>,
        /// The times are whole days.
        #[arg(long)]
        all_day: bool,
        /// Send it to every department this one federates with (shown there too; their
        /// reads are reported back as counts).
        #[arg(long)]
        company_wide: bool,
    },
    /// List every announcement with how many employees read it (a count only when at least
    /// `metrics.min_group_size` did), and for company-wide ones how many across the company.
    List,
    /// Withdraw announcement ID.
    Delete { id: i64 },
}

pub fn run(command: AnnouncementCommand, settings: &Settings) -> anyhow::Result<()> {
    // Input is read and checked before the database is opened.
    let draft = match &command {
        AnnouncementCommand::Publish {
            file,
            starts_at,
            ends_at,
            all_day,
            company_wide,
        } => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let time = |raw: &Option<String>| -> anyhow::Result<Option<chrono::NaiveDateTime>> {
                raw.as_deref()
                    .map(crate::api::mastodon::scheduled::parse_time)
                    .transpose()
                    .map_err(cli_error)
            };
            Some(Draft {
                text,
                starts_at: time(starts_at)?,
                ends_at: time(ends_at)?,
                all_day: *all_day,
                company_wide: *company_wide,
            })
        }
        _ => None,
    };
    let db = open_migrated(settings)?;
    match command {
        AnnouncementCommand::Publish { .. } => {
            let Some(draft) = draft else {
                anyhow::bail!("nothing to publish");
            };
            let made = db
                .write_blocking(|conn| announcements::publish(conn, &Actor::Cli, draft))
                .map_err(cli_error)?;
            println!("published announcement {}", made.id);
        }
        AnnouncementCommand::List => {
            let min = settings.metrics.min_group_size;
            let (all, reads) = db
                .write_blocking(|conn| {
                    Ok((
                        announcements::all(conn)?,
                        announcements::reads(conn, settings)?,
                    ))
                })
                .map_err(cli_error)?;
            if all.is_empty() {
                println!("no announcements");
            }
            for a in all {
                let read = match reads.here(a.id) {
                    Some(n) => format!("read by {n}"),
                    None => format!("read by fewer than {min}"),
                };
                let first = a.text.lines().next().unwrap_or("");
                let scope = match (&a.origin_domain, a.company_wide) {
                    (Some(from), _) => format!("from {from}"),
                    (None, true) => "company-wide".to_string(),
                    (None, false) => "department".to_string(),
                };
                println!(
                    "{}\t{}\t{}\t{scope}\t{read}\t{first}",
                    a.id,
                    a.published_at.format("%Y-%m-%d %H:%M UTC"),
                    a.published_by
                );
                if let Some(company) = reads.company(a.id) {
                    println!("\tacross the company: read by {}", company.describe());
                    for d in &company.departments {
                        println!("\t  {}", d.describe(min));
                    }
                }
            }
        }
        AnnouncementCommand::Delete { id } => {
            db.write_blocking(|conn| announcements::delete(conn, &Actor::Cli, id))
                .map_err(cli_error)?;
            println!("withdrew announcement {id}");
        }
    }
    Ok(())
}

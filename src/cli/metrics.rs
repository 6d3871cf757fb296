//! `groundswell metrics …`: the engagement metrics' daily roll-up, on demand.

use clap::Subcommand;

use super::{cli_error, open_migrated};
use crate::config::Settings;
use crate::service::metrics;

#[derive(Debug, Subcommand)]
pub enum MetricsCommand {
    /// Recompute the daily figures from FROM to TO (inclusive; today when not given) from the
    /// raw rows, replacing what was rolled up: after a restore, a migration or a change of
    /// definition. A rebuilt day gives the numbers the live roll-up gave.
    Rebuild {
        /// First day (YYYY-MM-DD, UTC).
        #[arg(long)]
        from: String,
        /// Last day (YYYY-MM-DD, UTC); today when not given.
        #[arg(long)]
        to: Option<String>,
    },
}

pub fn run(command: MetricsCommand, settings: &Settings) -> anyhow::Result<()> {
    match command {
        MetricsCommand::Rebuild { from, to } => {
            let from = metrics::parse_day("--from", &from).map_err(cli_error)?;
            let to = match to {
                Some(to) => metrics::parse_day("--to", &to).map_err(cli_error)?,
                None => chrono::Utc::now().date_naive(),
            };
            metrics::check_range(from, to).map_err(cli_error)?;
            let db = open_migrated(settings)?;
            let mut day = from;
            let mut days = 0;
            while day <= to {
                let tags = &settings.metrics.question_tags;
                db.write_blocking(|conn| metrics::rollup_day(conn, day, tags))
                    .map_err(cli_error)?;
                day += chrono::Duration::days(1);
                days += 1;
            }
            println!("rebuilt the engagement metrics of {days} day(s), {from} to {to}");
        }
    }
    Ok(())
}

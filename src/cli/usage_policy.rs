//! `groundswell usage-policy …`: publish the department's usage policy from a Markdown file,
//! show it, export who accepted it. Straight on the database; running servers ask employees
//! to accept a new version at once.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};

use super::{cli_error, open_migrated};
use crate::config::Settings;
use crate::service::usage_policy::{self, PolicyText, Publisher};

#[derive(Debug, Subcommand)]
pub enum UsagePolicyCommand {
    /// Publish FILE (Markdown) as the next version: every employee must accept it before they
    /// post or interact again.
    Publish { file: PathBuf },
    /// Print the current version (or --version N) and how many accepted it.
    Show {
        #[arg(long)]
        version: Option<i64>,
    },
    /// Print who accepted the current version (or --version N) and when.
    Acceptances {
        #[arg(long)]
        version: Option<i64>,
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

pub fn run(command: UsagePolicyCommand, settings: &Settings) -> anyhow::Result<()> {
    // The file is read and checked before the database is opened.
    let text = match &command {
        UsagePolicyCommand::Publish { file } => {
            let raw = std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            Some(PolicyText::parse(&raw).map_err(cli_error)?)
        }
        _ => None,
    };
    let db = open_migrated(settings)?;
    match command {
        UsagePolicyCommand::Publish { .. } => {
            let Some(text) = text else {
                anyhow::bail!("no text to publish");
            };
            let version = db
                .write_blocking(|conn| usage_policy::publish(conn, &text, &Publisher::Cli))
                .map_err(cli_error)?;
            println!(
                "published version {} of the usage policy ({} characters); employees must accept \
                 it at {} before they post or interact",
                version.number,
                version.text.chars().count(),
                usage_policy::policy_url(settings)
            );
        }
        UsagePolicyCommand::Show { version } => {
            let (shown, accepted) = db
                .write_blocking(|conn| {
                    let shown = match version {
                        Some(n) => usage_policy::version(conn, n)?,
                        None => usage_policy::require_current(conn)?,
                    };
                    let accepted = usage_policy::versions(conn)?
                        .into_iter()
                        .find(|v| v.version.number == shown.number)
                        .map_or(0, |v| v.acceptances);
                    Ok((shown, accepted))
                })
                .map_err(cli_error)?;
            println!(
                "version {}, published {} by {}; accepted by {accepted} employee(s)\n",
                shown.number,
                shown.published_at.format("%Y-%m-%d %H:%M UTC"),
                shown.published_by
            );
            println!("{}", shown.text);
        }
        UsagePolicyCommand::Acceptances { version, format } => {
            let (_, rows) = db
                .write_blocking(|conn| usage_policy::acceptances(conn, version))
                .map_err(cli_error)?;
            match format {
                ExportFormat::Csv => print!("{}", usage_policy::acceptances_csv(&rows)),
                ExportFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&usage_policy::acceptances_json(&rows))?
                ),
            }
        }
    }
    Ok(())
}

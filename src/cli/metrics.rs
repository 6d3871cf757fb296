//! `groundswell metrics …`: the engagement metrics' daily roll-up, on demand.

use clap::Subcommand;

use super::{cli_error, open_migrated};
use crate::config::Settings;
use crate::service::company_metrics::{self, Source};
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
    /// The company report: collect the engagement export of each department (`--department
    /// URL --token TOKEN`, once per department, in pairs; the token an administrator's with
    /// `admin:read` there, or `@FILE` to read it from a file) and print one report — the
    /// company's totals, each department's figures, the department-by-department interaction
    /// matrix and the top hashtags — as CSV or JSON. No post leaves any department.
    Rollup {
        /// A department's address (e.g. https://eng.corp.example); repeat for each.
        #[arg(long = "department", value_name = "URL", required = true)]
        departments: Vec<String>,
        /// The token for the `--department` in the same position.
        #[arg(long = "token", value_name = "TOKEN", required = true)]
        tokens: Vec<String>,
        /// First day (YYYY-MM-DD, UTC); 29 days before `--end` when not given.
        #[arg(long)]
        start: Option<String>,
        /// Last day (YYYY-MM-DD, UTC); today when not given.
        #[arg(long)]
        end: Option<String>,
        /// `csv` or `json`.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Report the departments that answered even when others could not be collected
        /// (listed in the report); without it, any failure is an error.
        #[arg(long)]
        partial: bool,
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
                // As the live job: the day computed with reads outside any transaction, then
                // stored in one short write, so the servers' own writes (on SQLite one at a
                // time) never wait for the computing.
                let figures = {
                    let mut conn = db.get_blocking().map_err(cli_error)?;
                    metrics::compute_day(&mut conn, day, tags).map_err(cli_error)?
                };
                db.write_blocking(|conn| metrics::store_day(conn, &figures))
                    .map_err(cli_error)?;
                day += chrono::Duration::days(1);
                days += 1;
            }
            println!("rebuilt the engagement metrics of {days} day(s), {from} to {to}");
        }
        MetricsCommand::Rollup {
            departments,
            tokens,
            start,
            end,
            format,
            partial,
        } => rollup(departments, tokens, start, end, &format, partial)?,
    }
    Ok(())
}

fn rollup(
    departments: Vec<String>,
    tokens: Vec<String>,
    start: Option<String>,
    end: Option<String>,
    format: &str,
    partial: bool,
) -> anyhow::Result<()> {
    if !matches!(format, "csv" | "json") {
        anyhow::bail!("--format must be csv or json, not `{format}`");
    }
    if departments.len() != tokens.len() {
        anyhow::bail!(
            "give one --token per --department ({} departments, {} tokens)",
            departments.len(),
            tokens.len()
        );
    }
    let end = match end {
        Some(raw) => metrics::parse_day("--end", &raw).map_err(cli_error)?,
        None => chrono::Utc::now().date_naive(),
    };
    let start = match start {
        Some(raw) => metrics::parse_day("--start", &raw).map_err(cli_error)?,
        None => end - chrono::Duration::days(29),
    };
    metrics::check_range(start, end).map_err(cli_error)?;
    let mut sources = Vec::new();
    for (raw, token) in departments.iter().zip(tokens) {
        let url = url::Url::parse(raw.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| anyhow::anyhow!("--department `{raw}` is not an http(s) address"))?;
        let token = match token.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read the token file {path}: {e}"))?
                .trim()
                .to_string(),
            None => token,
        };
        sources.push(Source { url, token });
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = company_metrics::client()?;
    let (found, missing) =
        runtime.block_on(company_metrics::collect(&client, &sources, start, end));
    if !partial && let Some(m) = missing.first() {
        anyhow::bail!(
            "could not collect {}: {}{}",
            m.url,
            m.error,
            if missing.len() > 1 {
                format!(
                    " (and {} more; --partial reports the others)",
                    missing.len() - 1
                )
            } else {
                String::new()
            }
        );
    }
    let report = company_metrics::report(start, end, found, missing);
    match format {
        "json" => println!(
            "{}",
            serde_json::to_string_pretty(&company_metrics::to_json(&report))?
        ),
        _ => print!("{}", company_metrics::to_csv(&report)),
    }
    Ok(())
}

//! `groundswell policy …`: the department's policy rules and the posts they hold, straight on
//! the database (every change is a new version, effective at once on every running node).

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use serde_json::json;

use super::admin::OutputFormat;
use super::cli_error;
use crate::config::Settings;
use crate::service::policy::review;
use crate::service::policy::rules::{self, Format, Rule, StoredRule};
use crate::service::policy::store::{self, Changer, Hits};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FileFormat {
    Toml,
    Json,
}

impl From<FileFormat> for Format {
    fn from(f: FileFormat) -> Format {
        match f {
            FileFormat::Toml => Format::Toml,
            FileFormat::Json => Format::Json,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// List the current rules with how often each matched.
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Show one rule (by id or name) as TOML, with its hit counts and last matches.
    Show { rule: String },
    /// Add the rules of a rule file ([[rule]] tables; `-` or nothing: standard input).
    Add {
        file: Option<PathBuf>,
        /// The file's format (default: by its extension, else TOML).
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
    },
    /// Replace one rule (by id or name) with the one [[rule]] of a file (or standard input);
    /// it keeps its id and hit counts.
    Edit {
        rule: String,
        file: Option<PathBuf>,
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
    },
    /// Turn a rule off (it is kept, and exported, but never evaluated).
    Disable { rule: String },
    /// Turn a rule back on.
    Enable { rule: String },
    /// Write the current rule set as a rule file (standard output unless --output).
    Export {
        #[arg(long, value_enum, default_value_t = FileFormat::Toml)]
        format: FileFormat,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Replace the whole rule set with a rule file, as one new version.
    Import {
        file: PathBuf,
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
    },
    /// The versions of the rule set: who changed what, when.
    Versions,
    /// The posts waiting for a moderator's review.
    Held,
    /// Publish a held post (its author is told).
    Approve { status_id: i64 },
    /// Refuse a held post; its author receives the reason.
    Reject {
        status_id: i64,
        #[arg(long)]
        reason: String,
    },
}

fn read_input(file: Option<&Path>) -> anyhow::Result<String> {
    match file {
        None => read_stdin(),
        Some(p) if p == Path::new("-") => read_stdin(),
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display())),
    }
}

fn read_stdin() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    Ok(text)
}

fn format_for(file: Option<&Path>, asked: Option<FileFormat>) -> Format {
    match (asked, file) {
        (Some(f), _) => f.into(),
        (None, Some(p)) => Format::of_path(p),
        (None, None) => Format::Toml,
    }
}

/// The rules of a file, checked (naming the rule and key of any mistake).
fn read_rules(file: Option<&Path>, format: Option<FileFormat>) -> anyhow::Result<Vec<Rule>> {
    let text = read_input(file)?;
    rules::parse_file(&text, format_for(file, format)).map_err(cli_error)
}

fn describe(rule: &StoredRule, hits: Hits) -> String {
    let r = &rule.rule;
    let mut flags = Vec::new();
    if r.dry_run {
        flags.push("dry run");
    }
    if !r.enabled {
        flags.push("disabled");
    }
    format!(
        "{:<20} {:<16} {:>6} {:>8}  {}{}",
        rule.id,
        r.action.as_str(),
        hits.hits,
        hits.dry_run_hits,
        r.name,
        if flags.is_empty() {
            String::new()
        } else {
            format!(" ({})", flags.join(", "))
        }
    )
}

pub fn run(command: PolicyCommand, settings: &Settings) -> anyhow::Result<()> {
    // What needs no database is read and checked before it is opened.
    let (added, edited, imported) = match &command {
        PolicyCommand::Add { file, format } => {
            (Some(read_rules(file.as_deref(), *format)?), None, None)
        }
        PolicyCommand::Edit { file, format, .. } => {
            let mut rules = read_rules(file.as_deref(), *format)?;
            if rules.len() != 1 {
                anyhow::bail!("edit takes exactly one [[rule]] (found {})", rules.len());
            }
            (None, rules.pop(), None)
        }
        PolicyCommand::Import { file, format } => {
            (None, None, Some(read_rules(Some(file), *format)?))
        }
        _ => (None, None, None),
    };
    let db = super::open_migrated(settings)?;
    let by = Changer::Cli;
    let enabling = matches!(command, PolicyCommand::Enable { .. });
    match command {
        PolicyCommand::List { format } => {
            let (version, hits) = db
                .write_blocking(|conn| Ok((store::current(conn)?, store::hits(conn)?)))
                .map_err(cli_error)?;
            match format {
                OutputFormat::Json => {
                    let rules: Vec<_> = version
                        .rules
                        .iter()
                        .map(|r| {
                            let h = hits.get(&r.id).copied().unwrap_or_default();
                            json!({"id": r.id.to_string(), "rule": r.rule, "hits": h.hits, "dry_run_hits": h.dry_run_hits})
                        })
                        .collect();
                    println!(
                        "{}",
                        serde_json::to_string_pretty(
                            &json!({"version": version.number, "rules": rules})
                        )?
                    );
                }
                OutputFormat::Table => {
                    println!("version {} ({} rules)", version.number, version.rules.len());
                    println!(
                        "{:<20} {:<16} {:>6} {:>8}  NAME",
                        "ID", "ACTION", "HITS", "DRY RUN"
                    );
                    for r in &version.rules {
                        println!(
                            "{}",
                            describe(r, hits.get(&r.id).copied().unwrap_or_default())
                        );
                    }
                }
            }
        }
        PolicyCommand::Show { rule } => {
            let (found, hits, last) = db
                .write_blocking(|conn| {
                    let found = store::find(conn, &rule)?;
                    let hits = store::hits(conn)?
                        .get(&found.id)
                        .copied()
                        .unwrap_or_default();
                    let filter = store::MatchFilter {
                        rule_id: Some(found.id),
                        limit: 10,
                        ..Default::default()
                    };
                    Ok((found.clone(), hits, store::matches(conn, &filter)?))
                })
                .map_err(cli_error)?;
            println!(
                "# id {}: {} hits, {} dry-run hits",
                found.id, hits.hits, hits.dry_run_hits
            );
            print!(
                "{}",
                rules::write_file(&[found.rule], Format::Toml).map_err(cli_error)?
            );
            for m in last {
                println!(
                    "# {} {} {} status {} {}",
                    m.created_at.format("%Y-%m-%d %H:%M:%S"),
                    m.direction,
                    m.subject,
                    m.status_id
                        .map(|id| id.to_string())
                        .unwrap_or_else(|| "-".into()),
                    if m.dry_run { "(dry run)" } else { "" }
                );
            }
        }
        PolicyCommand::Add { .. } => {
            let rules = added.unwrap_or_default();
            if rules.is_empty() {
                anyhow::bail!("the file holds no [[rule]]");
            }
            db.write_blocking(|conn| {
                for rule in rules {
                    let (stored, version) = store::add(conn, rule, &by)?;
                    println!(
                        "added rule {} \"{}\" (version {})",
                        stored.id, stored.rule.name, version.number
                    );
                }
                Ok(())
            })
            .map_err(cli_error)?;
        }
        PolicyCommand::Edit { rule, .. } => {
            let Some(new) = edited else {
                anyhow::bail!("no rule to edit with");
            };
            let (stored, version) = db
                .write_blocking(|conn| store::edit(conn, &rule, new, &by))
                .map_err(cli_error)?;
            println!(
                "edited rule {} \"{}\" (version {})",
                stored.id, stored.rule.name, version.number
            );
        }
        PolicyCommand::Disable { rule } | PolicyCommand::Enable { rule } => {
            let enabled = enabling;
            let (stored, version) = db
                .write_blocking(|conn| store::set_enabled(conn, &rule, enabled, &by))
                .map_err(cli_error)?;
            println!(
                "{} rule {} \"{}\" (version {})",
                if enabled { "enabled" } else { "disabled" },
                stored.id,
                stored.rule.name,
                version.number
            );
        }
        PolicyCommand::Export { format, output } => {
            let version = db.write_blocking(store::current).map_err(cli_error)?;
            let written: Vec<Rule> = version.rules.into_iter().map(|r| r.rule).collect();
            let text = rules::write_file(&written, format.into()).map_err(cli_error)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, text)
                        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                    eprintln!(
                        "wrote version {} ({} rules) to {}",
                        version.number,
                        written.len(),
                        path.display()
                    );
                }
                None => print!("{text}"),
            }
        }
        PolicyCommand::Import { .. } => {
            let rules = imported.unwrap_or_default();
            let version = db
                .write_blocking(|conn| store::import(conn, rules, &by))
                .map_err(cli_error)?;
            println!(
                "imported {} rules as version {}",
                version.rules.len(),
                version.number
            );
        }
        PolicyCommand::Versions => {
            let versions = db
                .write_blocking(|conn| store::versions(conn, 1000))
                .map_err(cli_error)?;
            println!("{:>8} {:<20} {:<20} SUMMARY", "VERSION", "WHEN", "BY");
            for v in versions {
                println!(
                    "{:>8} {:<20} {:<20} {}",
                    v.number,
                    v.created_at.format("%Y-%m-%d %H:%M:%S"),
                    v.changed_by,
                    v.summary
                );
            }
        }
        PolicyCommand::Held => {
            let held = db
                .write_blocking(|conn| review::held(conn, None, 200))
                .map_err(cli_error)?;
            println!(
                "{:<20} {:<6} {:<24} RULES / TEXT",
                "STATUS", "HELD", "AUTHOR"
            );
            for h in held {
                let rules: Vec<&str> = h.matches.iter().map(|m| m.rule_name.as_str()).collect();
                let text = crate::service::text::plain_text(&h.status.content);
                let text: String = text.chars().take(60).collect();
                println!(
                    "{:<20} {:<6} {:<24} {} / {}",
                    h.status.id,
                    h.held,
                    h.account.acct(),
                    rules.join(", "),
                    text.replace('\n', " ")
                );
            }
        }
        PolicyCommand::Approve { status_id } => {
            db.write_blocking(|conn| review::approve(conn, None, status_id))
                .map_err(cli_error)?;
            println!("approved {status_id}: published");
        }
        PolicyCommand::Reject { status_id, reason } => {
            db.write_blocking(|conn| review::reject(conn, None, status_id, &reason))
                .map_err(cli_error)?;
            println!("refused {status_id}: taken down, its author told why");
        }
    }
    Ok(())
}

//! `groundswell federation …`: which departments this one federates with, changed at run
//! time (running servers apply a change at once). What the rules mean:
//! `service::policy::federation`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use super::{cli_error, open_migrated};
use crate::config::Settings;
use crate::service::audit::Actor;
use crate::service::policy::domains::{self, BlockChange, FederationRules};
use crate::service::policy::federation::{DomainName, Mode, Severity};

#[derive(Debug, Subcommand)]
pub enum FederationCommand {
    /// Show the mode, the domains allowed by the config and every allow and block.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Allow DOMAIN: lift its block, if any, and (in allowlist mode) let it in.
    Allow { domain: String },
    /// Block DOMAIN and its subdomains: --suspend (nothing in or out; the default), --silence
    /// (hidden from the public and hashtag timelines), --reject-media (its attachments are
    /// not stored or shown; alone, only that). Sets the block of DOMAIN if it has one.
    Block {
        domain: String,
        #[command(flatten)]
        how: BlockHow,
    },
    /// Remove every rule naming exactly DOMAIN (its allow and its block).
    Remove { domain: String },
    /// Choose the mode: allowlist (only allowed domains; the default) or blocklist (every
    /// domain that is not suspended).
    Mode {
        #[arg(value_enum)]
        mode: ModeArg,
    },
    /// Print the run-time policy (mode, allows, blocks) as one file.
    Export {
        #[arg(long, value_enum, default_value_t = FileFormat::Toml)]
        format: FileFormat,
    },
    /// Replace the run-time policy by FILE (as `export` writes it; `.json` or TOML).
    Import { file: PathBuf },
}

#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct Severities {
    #[arg(long)]
    suspend: bool,
    #[arg(long)]
    silence: bool,
}

#[derive(Debug, Args)]
pub struct BlockHow {
    #[command(flatten)]
    severity: Severities,
    #[arg(long)]
    reject_media: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FileFormat {
    Toml,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    Allowlist,
    Blocklist,
}

fn domain(raw: &str) -> anyhow::Result<DomainName> {
    DomainName::parse(raw).map_err(|e| anyhow::anyhow!("{}", e.message()))
}

fn severity(how: &BlockHow) -> Severity {
    match (how.severity.silence, how.severity.suspend, how.reject_media) {
        (true, _, _) => Severity::Silence,
        (false, false, true) => Severity::Noop,
        _ => Severity::Suspend,
    }
}

pub fn run(command: FederationCommand, settings: &Settings) -> anyhow::Result<()> {
    // What needs no database is checked before it is opened.
    let named = match &command {
        FederationCommand::Allow { domain: d }
        | FederationCommand::Block { domain: d, .. }
        | FederationCommand::Remove { domain: d } => Some(domain(d)?),
        _ => None,
    };
    let imported = match &command {
        FederationCommand::Import { file } => {
            let raw = std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let rules: FederationRules = if file.extension().is_some_and(|e| e == "json") {
                serde_json::from_str(&raw)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?
            } else {
                toml::from_str(&raw).map_err(|e| {
                    // One line: where, and what (the full message draws the line).
                    match e.span() {
                        Some(span) => {
                            let line = raw[..span.start.min(raw.len())].matches('\n').count() + 1;
                            anyhow::anyhow!("{}: line {line}: {}", file.display(), e.message())
                        }
                        None => anyhow::anyhow!("{}: {}", file.display(), e.message()),
                    }
                })?
            };
            Some(rules)
        }
        _ => None,
    };
    let configured = &settings.federation.allowed_domains;
    let db = open_migrated(settings)?;
    match command {
        FederationCommand::List { format } => {
            let (mode, allows, blocks) = db.write_blocking(domains::all).map_err(cli_error)?;
            match format {
                ListFormat::Json => {
                    let out = json!({
                        "mode": mode.as_str(),
                        "configured_domains": configured,
                        "allows": allows.iter().map(|a| json!({
                            "id": a.id.to_string(),
                            "domain": a.domain,
                        })).collect::<Vec<_>>(),
                        "blocks": blocks.iter().map(|b| json!({
                            "id": b.id.to_string(),
                            "domain": b.domain,
                            "severity": b.severity().as_str(),
                            "reject_media": b.reject_media,
                            "reject_reports": b.reject_reports,
                        })).collect::<Vec<_>>(),
                    });
                    println!("{}", serde_json::to_string_pretty(&out)?);
                }
                ListFormat::Table => {
                    println!("mode: {}", mode.as_str());
                    println!(
                        "allowed by the config (federation.allowed_domains): {}",
                        if configured.is_empty() {
                            "(none)".to_string()
                        } else {
                            configured.join(", ")
                        }
                    );
                    println!(
                        "{:<40} {:<10} {:<12} SINCE",
                        "DOMAIN", "RULE", "REJECT MEDIA"
                    );
                    for a in &allows {
                        println!(
                            "{:<40} {:<10} {:<12} {}",
                            a.domain,
                            "allow",
                            "-",
                            a.created_at.format("%Y-%m-%d %H:%M")
                        );
                    }
                    for b in &blocks {
                        println!(
                            "{:<40} {:<10} {:<12} {}",
                            b.domain,
                            b.severity().as_str(),
                            if b.reject_media { "yes" } else { "no" },
                            b.created_at.format("%Y-%m-%d %H:%M")
                        );
                    }
                }
            }
        }
        FederationCommand::Allow { .. } => {
            let Some(name) = named else {
                anyhow::bail!("no domain given");
            };
            let (lifted, mode) = db
                .write_blocking(|conn| {
                    Ok((
                        domains::set_allowed(conn, &Actor::Cli, &name)?,
                        domains::mode(conn)?,
                    ))
                })
                .map_err(cli_error)?;
            let mut said = format!("allowed {}", name.as_str());
            if lifted {
                said.push_str(" (its block is lifted)");
            }
            if mode == Mode::Blocklist {
                said.push_str("; in blocklist mode every domain without a suspension is allowed");
            }
            println!("{said}");
            let still = db
                .write_blocking(|conn| domains::covering_block(conn, &name))
                .map_err(cli_error)?;
            if let Some(block) = still.filter(|b| b.severity() == Severity::Suspend) {
                println!(
                    "note: {} is still suspended by the block of {}",
                    name.as_str(),
                    block.domain
                );
            }
        }
        FederationCommand::Block { how, .. } => {
            let Some(name) = named else {
                anyhow::bail!("no domain given");
            };
            let change = BlockChange {
                severity: Some(severity(&how)),
                reject_media: Some(how.reject_media),
                ..Default::default()
            };
            let block = db
                .write_blocking(|conn| domains::set_block(conn, &Actor::Cli, &name, change))
                .map_err(cli_error)?;
            println!(
                "blocked {} and its subdomains: {}{}",
                block.domain,
                block.severity().as_str(),
                if block.reject_media {
                    ", media rejected"
                } else {
                    ""
                }
            );
        }
        FederationCommand::Remove { .. } => {
            let Some(name) = named else {
                anyhow::bail!("no domain given");
            };
            let (allow, block) = db
                .write_blocking(|conn| domains::remove_domain(conn, &Actor::Cli, &name))
                .map_err(cli_error)?;
            match (allow, block) {
                (None, None) => anyhow::bail!("no rule names {}", name.as_str()),
                (allow, block) => {
                    let mut removed = Vec::new();
                    if allow.is_some() {
                        removed.push("allow");
                    }
                    if block.is_some() {
                        removed.push("block");
                    }
                    println!("removed the {} of {}", removed.join(" and "), name.as_str());
                }
            }
            if configured
                .iter()
                .any(|d| d.eq_ignore_ascii_case(name.as_str()))
            {
                println!(
                    "note: {} is still allowed by federation.allowed_domains in the config; block it to refuse it",
                    name.as_str()
                );
            }
        }
        FederationCommand::Mode { mode } => {
            let mode = match mode {
                ModeArg::Allowlist => Mode::Allowlist,
                ModeArg::Blocklist => Mode::Blocklist,
            };
            db.write_blocking(|conn| domains::set_mode(conn, &Actor::Cli, mode))
                .map_err(cli_error)?;
            println!("federation mode: {}", mode.as_str());
            if mode == Mode::Blocklist {
                println!(
                    "note: every domain without a suspension is now reached; with \
                     DANGER_FEDERATION_ALLOW_LOCAL_IP set that includes internal hosts"
                );
            }
        }
        FederationCommand::Export { format } => {
            let rules = db.write_blocking(domains::export).map_err(cli_error)?;
            match format {
                FileFormat::Toml => print!("{}", toml::to_string(&rules)?),
                FileFormat::Json => println!("{}", serde_json::to_string_pretty(&rules)?),
            }
        }
        FederationCommand::Import { .. } => {
            let Some(rules) = imported else {
                anyhow::bail!("nothing to import");
            };
            db.write_blocking(|conn| domains::import(conn, &Actor::Cli, &rules))
                .map_err(cli_error)?;
            println!(
                "imported the federation policy: mode {}, {} allow(s), {} block(s)",
                rules.mode.as_str(),
                rules.allow.len(),
                rules.block.len()
            );
        }
    }
    Ok(())
}

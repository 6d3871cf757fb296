//! `groundswell admin …`: account management for IT automation, straight on the database.

use std::io::{BufRead, IsTerminal};

use clap::{Subcommand, ValueEnum};
use serde_json::json;

use super::cli_error;
use crate::auth::Scopes;
use crate::auth::password::Password;
use crate::auth::secrets;
use crate::config::Settings;
use crate::service::audit::{self, Actor};
use crate::service::feeds;
use crate::service::tokens;
use crate::service::users::{self, Email, NewLocalUser, Role, Username};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a local account. Prints the generated password unless --password-stdin or
    /// --no-password is given.
    CreateUser {
        username: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, default_value = "user", value_parser = parse_role)]
        role: Role,
        /// Read the password from the first line of standard input.
        #[arg(long, conflicts_with = "no_password")]
        password_stdin: bool,
        /// Create the account without a password (it signs in through SSO only).
        #[arg(long)]
        no_password: bool,
    },
    /// List local accounts.
    ListUsers {
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Change an account's role: admin, moderator or user.
    SetRole {
        username: String,
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Suspend an account: it can no longer sign in, and all its tokens are revoked.
    Suspend { username: String },
    /// Lift a suspension.
    Unsuspend { username: String },
    /// Print a new bearer token for the Mastodon API (for scripts and integrations).
    IssueToken {
        username: String,
        /// Space-separated OAuth scopes, e.g. "read write follow".
        #[arg(long, default_value = "read")]
        scopes: String,
        /// A note on what the token is for.
        #[arg(long)]
        description: Option<String>,
    },
    /// Build every employee's home feed again from the statuses (after a restore, or if a
    /// feed is ever wrong). Servers keep serving meanwhile; home timelines are searched for
    /// until each feed is back.
    RebuildFeeds,
    /// Show the federation delivery queue: what waits, per department, and the last errors.
    FederationStatus {
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse::<Role>().map_err(|e| e.message().to_string())
}

pub fn run(command: AdminCommand, settings: &Settings) -> anyhow::Result<()> {
    // What needs no database is checked before it is opened.
    let new_user = match &command {
        AdminCommand::CreateUser {
            username,
            email,
            display_name,
            role,
            password_stdin,
            no_password,
        } => {
            let username = Username::parse(username).map_err(cli_error)?;
            let email = Email::parse(email).map_err(cli_error)?;
            let (password, show_password) = if *password_stdin {
                (Some(read_password_from_stdin()?), false)
            } else if *no_password {
                (None, false)
            } else {
                (Some(secrets::new_password()), true)
            };
            let parsed = password
                .as_deref()
                .map(Password::parse)
                .transpose()
                .map_err(cli_error)?;
            let prepared = NewLocalUser::prepare(
                username,
                email,
                display_name.clone(),
                *role,
                parsed.as_ref(),
            )
            .map_err(cli_error)?;
            Some((prepared, password, show_password))
        }
        _ => None,
    };
    // Running servers hear of what the CLI did (e.g. close a suspended employee's streams).
    let db = super::open_migrated(settings)?;
    match command {
        AdminCommand::RebuildFeeds => {
            db.write_blocking(feeds::forget_all).map_err(cli_error)?;
            let size = settings.limits.home_feed_size;
            let mut built = 0;
            loop {
                let n = db
                    .write_blocking(|conn| feeds::build_missing(conn, size, 50))
                    .map_err(cli_error)?;
                if n == 0 {
                    break;
                }
                built += n;
            }
            println!("rebuilt {built} home feeds");
        }
        AdminCommand::CreateUser { .. } => {
            let Some((prepared, password, show_password)) = new_user else {
                anyhow::bail!("no account to create");
            };
            let created = db
                .write_blocking(|conn| {
                    let created = users::create_local_user(conn, &settings.instance, prepared)?;
                    let target = audit::Target::account(conn, created.account.id)?;
                    let details = json!({ "role": created.role().as_str() });
                    audit::record(conn, &Actor::Cli, "account.create", target, "", details)?;
                    Ok(created)
                })
                .map_err(cli_error)?;
            println!(
                "created {} ({}, role {})",
                created.account.username,
                created.user.email,
                created.role()
            );
            if let (true, Some(password)) = (show_password, password) {
                println!("password: {password}");
            }
        }
        AdminCommand::ListUsers { format } => {
            let all = db
                .write_blocking(users::list_local_users)
                .map_err(cli_error)?;
            match format {
                OutputFormat::Json => {
                    let rows: Vec<_> = all
                        .iter()
                        .map(|u| {
                            json!({
                                "id": u.account.id.to_string(),
                                "username": u.account.username,
                                "email": u.user.email,
                                "display_name": u.account.display_name,
                                "role": u.role().as_str(),
                                "suspended": u.account.is_suspended(),
                                "created_at": u.account.created_at.and_utc().to_rfc3339(),
                            })
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&rows)?);
                }
                OutputFormat::Table => {
                    println!(
                        "{:<30} {:<36} {:<10} {:<10} CREATED",
                        "USERNAME", "EMAIL", "ROLE", "STATUS"
                    );
                    for u in &all {
                        println!(
                            "{:<30} {:<36} {:<10} {:<10} {}",
                            u.account.username,
                            u.user.email,
                            u.role().as_str(),
                            if u.account.is_suspended() {
                                "suspended"
                            } else {
                                "active"
                            },
                            u.account.created_at.format("%Y-%m-%d %H:%M")
                        );
                    }
                }
            }
        }
        AdminCommand::SetRole { username, role } => {
            let user = db
                .write_blocking(|conn| {
                    let before = users::find_local_user(conn, &username)?.role();
                    let user = users::set_role(conn, &username, role)?;
                    let target = audit::Target::account(conn, user.account.id)?;
                    let details = json!({ "from": before.as_str(), "to": role.as_str() });
                    audit::record(conn, &Actor::Cli, "account.role", target, "", details)?;
                    Ok(user)
                })
                .map_err(cli_error)?;
            println!("{} is now {}", user.account.username, user.role());
        }
        AdminCommand::Suspend { username } => {
            let (user, revoked) = db
                .write_blocking(|conn| {
                    let (user, revoked) = users::suspend(conn, &username)?;
                    let target = audit::Target::account(conn, user.account.id)?;
                    audit::record(conn, &Actor::Cli, "account.suspend", target, "", json!({}))?;
                    Ok((user, revoked))
                })
                .map_err(cli_error)?;
            println!(
                "suspended {} ({revoked} token(s) revoked)",
                user.account.username
            );
        }
        AdminCommand::Unsuspend { username } => {
            let user = db
                .write_blocking(|conn| {
                    let user = users::unsuspend(conn, &username)?;
                    let target = audit::Target::account(conn, user.account.id)?;
                    audit::record(
                        conn,
                        &Actor::Cli,
                        "account.unsuspend",
                        target,
                        "",
                        json!({}),
                    )?;
                    Ok(user)
                })
                .map_err(cli_error)?;
            println!("unsuspended {}", user.account.username);
        }
        AdminCommand::IssueToken {
            username,
            scopes,
            description,
        } => {
            let scopes = Scopes::parse(&scopes).map_err(|e| anyhow::anyhow!("--scopes: {e}"))?;
            let token = db
                .write_blocking(|conn| {
                    let user = users::find_local_user(conn, &username)?;
                    tokens::issue_personal_token(conn, &user, &scopes, description)
                })
                .map_err(cli_error)?;
            println!("{token}");
        }
        AdminCommand::FederationStatus { format } => {
            let stats = db
                .write_blocking(crate::service::outbox::stats)
                .map_err(cli_error)?;
            match format {
                OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&stats)?),
                OutputFormat::Table => {
                    println!(
                        "allowed departments: {}",
                        if settings.federation.allowed_domains.is_empty() {
                            "(none)".to_string()
                        } else {
                            settings.federation.allowed_domains.join(", ")
                        }
                    );
                    println!(
                        "queue: {} waiting (oldest {} s), {} to prepare, {} delivered, {} given up",
                        stats.pending,
                        stats.oldest_pending_secs,
                        stats.unprepared,
                        stats.delivered,
                        stats.failed
                    );
                    println!(
                        "{:<32} {:>8} {:>9} {:<20} LAST ERROR",
                        "DEPARTMENT", "WAITING", "FAILURES", "NEXT ATTEMPT"
                    );
                    for d in &stats.domains {
                        println!(
                            "{:<32} {:>8} {:>9} {:<20} {}",
                            d.domain,
                            d.pending,
                            d.failures,
                            d.next_attempt_at.format("%Y-%m-%d %H:%M:%S"),
                            d.last_error.as_deref().unwrap_or("-")
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

fn read_password_from_stdin() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password: ");
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        anyhow::bail!("--password-stdin: no password on standard input");
    }
    Ok(password)
}

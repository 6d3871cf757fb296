//! The `groundswell` command line: `serve` (the default), `migrate`, `config`, `admin …`,
//! `usage-policy …` and `federation …`.

mod admin;
mod announcement;
mod demo;
mod federation;
mod metrics;
mod policy;
mod usage_policy;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{CONFIG_FILE_ENV, Settings};
use crate::db::{self, Db};
use crate::{server, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "groundswell",
    version,
    about = "A department's instance of the company's social network"
)]
pub struct Cli {
    /// TOML config file (see config/example.toml). Environment variables
    /// GROUNDSWELL_<SECTION>__<KEY> override it.
    #[arg(long, short = 'c', global = true, env = CONFIG_FILE_ENV, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the department's instance (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the effective configuration (defaults, file and environment merged; secrets
    /// redacted) and exit. Fails, naming the key, if the configuration is invalid.
    Config,
    /// Start a company on this machine: three departments (eng, sales, hr) on loopback
    /// ports, each with its own SQLite database, federating with each other and seeded with
    /// employees and posts. Prints each department's URL and the sign-in details.
    Demo {
        /// Port of the first department; the others use the next ones. 0: any free ports
        /// (printed at start).
        #[arg(long, default_value_t = 8001)]
        base_port: u16,
        /// Where the three databases and uploads live.
        #[arg(long, default_value = "demo-data")]
        data_dir: PathBuf,
        /// Delete earlier demo data and start over.
        #[arg(long)]
        fresh: bool,
    },
    /// Manage employees' accounts (for IT automation).
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// The department's policy rules (what may be said, where it may go) and the posts they
    /// hold for review. See README, "Policy rules".
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Publish the department's usage policy and export who accepted it.
    #[command(subcommand)]
    UsagePolicy(usage_policy::UsagePolicyCommand),
    /// Which departments this one federates with: allow, block, the mode.
    #[command(subcommand)]
    Federation(federation::FederationCommand),
    /// The department's announcements: publish, list (with how many read each), withdraw.
    #[command(subcommand)]
    Announcement(announcement::AnnouncementCommand),
    /// The engagement metrics: rebuild past days' figures.
    #[command(subcommand)]
    Metrics(metrics::MetricsCommand),
}

/// Parse the command line and run it. Errors are one clear line on stderr and a non-zero exit.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    telemetry::init(&settings.log);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let system = actix_web::rt::System::new();
            system.block_on(server::serve(settings))
        }
        Command::Migrate => {
            let db = Db::open(&settings.database)?;
            let mut conn = db.get_blocking().map_err(cli_error)?;
            let applied = db::run_migrations(&mut conn).map_err(cli_error)?;
            if applied.is_empty() {
                println!("The database is up to date.");
            } else {
                for version in &applied {
                    println!("applied {version}");
                }
                println!("{} migration(s) applied.", applied.len());
            }
            Ok(())
        }
        Command::Config => {
            print!("{}", settings.to_redacted_toml());
            Ok(())
        }
        Command::Admin(command) => admin::run(command, &settings),
        Command::Policy(command) => policy::run(command, &settings),
        Command::UsagePolicy(command) => usage_policy::run(command, &settings),
        Command::Federation(command) => federation::run(command, &settings),
        Command::Announcement(command) => announcement::run(command, &settings),
        Command::Metrics(command) => metrics::run(command, &settings),
        Command::Demo {
            base_port,
            data_dir,
            fresh,
        } => {
            let system = actix_web::rt::System::new();
            system.block_on(demo::run(settings, base_port, data_dir, fresh))
        }
    }
}

/// Open the database for a command that changes or reads it: refused while migrations are
/// pending. Running servers hear of what the command changes (on PostgreSQL through the
/// event bus's `NOTIFY`; on SQLite they notice the write).
fn open_migrated(settings: &Settings) -> anyhow::Result<Db> {
    let mut db = Db::open(&settings.database)?;
    db.set_hooks(std::sync::Arc::new(crate::service::events::EventBus::new()));
    let pending = {
        let mut conn = db.get_blocking().map_err(cli_error)?;
        db::pending_migrations(&mut conn).map_err(cli_error)?
    };
    if pending > 0 {
        anyhow::bail!(
            "the database has {pending} pending migration(s): run `groundswell migrate` first"
        );
    }
    Ok(db)
}

/// Service errors carry their cause for the log; the operator at the CLI may see all of it.
fn cli_error(e: crate::error::Error) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

//! The scale benchmark: a department of 10,000 employees and 1,000,000 statuses, served by the
//! release binary and driven over HTTP with wrk. See BENCHMARKS.md.
//!
//!   cargo bench --bench scale -- seed [--backend sqlite|postgres|both] [--statuses N]
//!   cargo bench --bench scale -- run  [--backend sqlite|postgres|both]
//!   cargo bench --bench scale -- rollup [--backend sqlite|postgres|both]
//!   cargo bench --bench scale -- pages [--backend sqlite|postgres|both]
//!   cargo bench --bench scale -- list | clean
//!
//! Not run by CI (it takes minutes and gigabytes); CI only builds it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pages;
mod plan;
mod rollup;
mod run;
mod seed;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use seed::{Backend, Store};

#[derive(Debug, Parser)]
#[command(
    name = "scale",
    about = "Groundswell's scale benchmark (see BENCHMARKS.md)"
)]
struct Cli {
    /// Where seeds, manifests and results are kept.
    #[arg(long, global = true, env = "GROUNDSWELL_BENCH_CACHE")]
    cache_dir: Option<PathBuf>,
    /// The PostgreSQL server for PostgreSQL seeds (a URL without a database).
    #[arg(
        long,
        global = true,
        env = "GROUNDSWELL_BENCH_POSTGRES",
        default_value = "postgres://postgres@127.0.0.1:5432"
    )]
    postgres: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Backends {
    Sqlite,
    Postgres,
    Both,
}

impl Backends {
    fn list(self) -> Vec<Backend> {
        match self {
            Backends::Sqlite => vec![Backend::Sqlite],
            Backends::Postgres => vec![Backend::Postgres],
            Backends::Both => vec![Backend::Sqlite, Backend::Postgres],
        }
    }
}

#[derive(Debug, Clone, Args)]
struct SeedArgs {
    #[arg(long, value_enum, default_value = "both")]
    backend: Backends,
    #[arg(long, default_value_t = 10_000)]
    accounts: usize,
    #[arg(long, default_value_t = 1_000_000)]
    statuses: usize,
    #[arg(long, default_value_t = 1)]
    rng_seed: u64,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make the seeds (reused when they exist).
    Seed {
        #[command(flatten)]
        seed: SeedArgs,
        /// Also the small seed for the 10k → 1M comparison (same accounts and follows).
        #[arg(long, default_value_t = 10_000)]
        small_statuses: usize,
        /// Make them again even if they exist.
        #[arg(long)]
        force: bool,
    },
    /// Run the benchmark on the seeds (making any that are missing).
    Run(run::RunArgs),
    /// The employee web pages on the seed: each page's HTML as a browser asks for it, with 1
    /// and with 32 connections.
    Pages(pages::PagesArgs),
    /// The engagement metrics' roll-up on the seed: its time for the busiest and a typical
    /// day and the whole year, and the home timeline with and without it running.
    Rollup(rollup::RollupArgs),
    /// List the seeds in the cache folder and on the PostgreSQL server.
    List,
    /// Delete every seed (files in the cache folder, `groundswell_bench_*` databases).
    Clean,
}

fn main() -> Result<()> {
    groundswell::install_crypto_provider();
    // `cargo bench` passes `--bench` to harness-less targets.
    let args = std::env::args().filter(|a| a != "--bench");
    let cli = Cli::parse_from(args);
    let cache = cli.cache_dir.clone().unwrap_or_else(default_cache);
    let store = Store {
        cache,
        pg_server: cli.postgres.clone(),
    };
    match cli.command {
        Command::Seed {
            seed,
            small_statuses,
            force,
        } => {
            for backend in seed.backend.list() {
                let params = plan::Params {
                    accounts: seed.accounts,
                    statuses: seed.statuses,
                    rng_seed: seed.rng_seed,
                };
                seed::ensure(&store, backend, params, force)?;
                if small_statuses > 0 && small_statuses != seed.statuses {
                    let small = plan::Params {
                        statuses: small_statuses,
                        ..params
                    };
                    seed::ensure(&store, backend, small, force)?;
                }
            }
            list(&store)
        }
        Command::Run(args) => run::run(&store, args),
        Command::Pages(args) => pages::pages_bench(&store, args),
        Command::Rollup(args) => rollup::rollup(&store, args),
        Command::List => list(&store),
        Command::Clean => clean(&store),
    }
}

fn default_cache() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("groundswell-bench")
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn list(store: &Store) -> Result<()> {
    println!("Seeds in {}:", store.cache.display());
    let mut entries: Vec<_> = std::fs::read_dir(&store.cache)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries {
        if path.extension().is_some_and(|e| e == "json") {
            let Ok(m) = serde_json::from_slice::<seed::Manifest>(&std::fs::read(&path)?) else {
                continue;
            };
            let size = match m.backend.as_str() {
                "sqlite" => dir_size(&seed::sqlite_path(store, &m.key)),
                _ => run::pg_size(store, &seed::pg_name(&m.key)).unwrap_or(0),
            };
            println!(
                "  {:<48} {:>9} statuses  {:>7.2} GB  seeded {} in {:.0} s",
                m.key,
                m.statuses,
                size as f64 / 1e9,
                m.seeded_at,
                m.seed_seconds
            );
        }
    }
    Ok(())
}

fn clean(store: &Store) -> Result<()> {
    if let Ok(dir) = std::fs::read_dir(&store.cache) {
        for entry in dir.flatten() {
            let path = entry.path();
            if path.is_file() {
                std::fs::remove_file(&path)?;
                println!("removed {}", path.display());
            }
        }
    }
    match run::pg_bench_databases(store) {
        Ok(names) => {
            for name in names {
                seed::pg_drop(store, &name)?;
                println!("dropped database {name}");
            }
        }
        Err(e) => println!("PostgreSQL not cleaned: {e:#}"),
    }
    Ok(())
}

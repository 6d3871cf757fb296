//! The engagement metrics' roll-up on the 1M seed: what one day's roll-up costs, and whether
//! the API slows down while it runs.
//!
//! For each backend, on a copy of the seed (the roll-up writes `metrics_daily` and
//! `metrics_active_days`; the seed itself stays as it was made):
//!
//! 1. the release server is started on the copy and its own first roll-up (yesterday and
//!    today, as every server does when it starts) is timed;
//! 2. `groundswell metrics rebuild --from D --to D` (the release binary, configured by
//!    environment as the server is) is timed for the seed's busiest day (most statuses and
//!    favourites), a typical day (the median full day) and a day before the seed (no rows: the
//!    command's own cost — start, connect, migration check), `--repeats` times each: the first
//!    (which notes thousands of active employees) and the median of the others; then the whole
//!    year in one command;
//! 3. the home timeline under `wrk` (32 connections), alternately without (A) and with (B) a
//!    rebuild of the busiest day running in a loop in a separate process, `--rounds` times
//!    each; the medians are compared.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;

use crate::Backends;
use crate::plan::{DOMAIN, Params};
use crate::run::{self, Load, Server, WorkCopy, median};
use crate::seed::{self, Backend, Store};

#[derive(Debug, Clone, Args)]
pub struct RollupArgs {
    #[arg(long, value_enum, default_value = "both")]
    backend: Backends,
    #[arg(long, default_value_t = 10_000)]
    accounts: usize,
    #[arg(long, default_value_t = 1_000_000)]
    statuses: usize,
    #[arg(long, default_value_t = 1)]
    rng_seed: u64,
    /// Timed rebuilds of each single day (at least 2: the first, and the median of the
    /// others, are reported).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Skip the rebuild of the whole year.
    #[arg(long)]
    skip_year: bool,
    /// A/B rounds of the home timeline without and with the roll-up running.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Seconds of each measured wrk run.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of warm-up before each measured run (not counted).
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    #[arg(long, default_value_t = 32)]
    connections: u32,
    #[arg(long, default_value_t = 2)]
    threads: u32,
}

/// A day of the seed and how much happened on it.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Day {
    pub day: String,
    pub statuses: i64,
    pub favourites: i64,
}

/// One wrk run of the home timeline, with or without the roll-up running.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    pub with_rollup: bool,
    pub load: Load,
    /// Rebuilds of the busiest day finished while the load ran (warm-up included), and their
    /// times (s).
    pub rebuilds: Vec<f64>,
    pub load_average: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct BackendRollup {
    pub backend: String,
    pub seed: String,
    pub load_average_before: String,
    pub load_average_after: String,
    pub days_in_seed: usize,
    pub busiest: Day,
    pub typical: Day,
    pub first_day: String,
    pub last_day: String,
    /// The server's own first roll-up (yesterday and today), from ready to today's figures
    /// stored (s).
    pub server_first_rollup_secs: f64,
    /// `metrics rebuild` of one day, each run (s).
    pub busiest_secs: Vec<f64>,
    pub typical_secs: Vec<f64>,
    pub empty_secs: Vec<f64>,
    pub year_secs: Option<f64>,
    pub year_days: usize,
    pub rounds: Vec<Round>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RollupResult {
    pub commit: String,
    pub date: String,
    pub connections: u32,
    pub duration_secs: u64,
    pub backends: Vec<BackendRollup>,
}

/// `groundswell metrics rebuild --from FROM --to TO` on `url`, configured as the benchmark's
/// server is; its wall time (s).
fn rebuild(url: &str, data_dir: &Path, from: &str, to: &str) -> Result<f64> {
    let mut cmd = Command::new(run::bin());
    cmd.args(["metrics", "rebuild", "--from", from, "--to", to]);
    run::clear_env(&mut cmd);
    cmd.env("GROUNDSWELL_DATABASE__URL", url)
        .env("GROUNDSWELL_INSTANCE__DOMAIN", DOMAIN)
        .env("GROUNDSWELL_LOG__LEVEL", "warn")
        .env("GROUNDSWELL_STORAGE__DATA_DIR", data_dir)
        .stdin(Stdio::null());
    let started = Instant::now();
    let out = cmd
        .output()
        .context("running groundswell metrics rebuild")?;
    let secs = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "groundswell metrics rebuild --from {from} --to {to} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(secs)
}

#[derive(diesel::QueryableByName)]
struct DayCount {
    #[diesel(sql_type = diesel::sql_types::Text)]
    day: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Statuses and favourites per day (UTC), in day order.
fn days(copy: &WorkCopy) -> Result<Vec<Day>> {
    use diesel::{Connection, RunQueryDsl};
    let day = match copy.backend {
        Backend::Sqlite => "substr(created_at, 1, 10)",
        Backend::Postgres => "to_char(created_at, 'YYYY-MM-DD')",
    };
    let per_day = |table: &str| {
        format!("SELECT {day} AS day, COUNT(*) AS n FROM {table} GROUP BY 1 ORDER BY 1")
    };
    let (statuses, favourites): (Vec<DayCount>, Vec<DayCount>) = match copy.backend {
        Backend::Sqlite => {
            let mut c = diesel::SqliteConnection::establish(&copy.sqlite_file()?)?;
            (
                diesel::sql_query(per_day("statuses")).load(&mut c)?,
                diesel::sql_query(per_day("favourites")).load(&mut c)?,
            )
        }
        Backend::Postgres => {
            let mut c = diesel::PgConnection::establish(&copy.url)?;
            (
                diesel::sql_query(per_day("statuses")).load(&mut c)?,
                diesel::sql_query(per_day("favourites")).load(&mut c)?,
            )
        }
    };
    Ok(statuses
        .into_iter()
        .map(|s| Day {
            favourites: favourites
                .iter()
                .find(|f| f.day == s.day)
                .map(|f| f.n)
                .unwrap_or(0),
            day: s.day,
            statuses: s.n,
        })
        .collect())
}

/// Whether the server's roll-up has stored `day`'s figures.
fn rolled_up(copy: &WorkCopy, day: &str) -> Result<bool> {
    use diesel::{Connection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = format!("SELECT COUNT(*) AS n FROM metrics_daily WHERE day = '{day}'");
    let n: N = match copy.backend {
        Backend::Sqlite => diesel::sql_query(sql).get_result(
            &mut diesel::SqliteConnection::establish(&copy.sqlite_file()?)?,
        )?,
        Backend::Postgres => {
            diesel::sql_query(sql).get_result(&mut diesel::PgConnection::establish(&copy.url)?)?
        }
    };
    Ok(n.n > 0)
}

pub fn rollup(store: &Store, args: RollupArgs) -> Result<()> {
    if Command::new("wrk").arg("-v").output().is_err() {
        bail!("wrk is not installed: apt-get install -y wrk");
    }
    let started = Instant::now();
    let mut result = RollupResult {
        commit: run::commit(),
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        connections: args.connections,
        duration_secs: args.duration,
        backends: Vec::new(),
    };
    for backend in args.backend.list() {
        result.backends.push(rollup_backend(store, &args, backend)?);
    }
    let results_dir = store.cache.join("results");
    std::fs::create_dir_all(&results_dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let json = results_dir.join(format!("rollup-{stamp}.json"));
    std::fs::write(&json, serde_json::to_vec_pretty(&result)?)?;
    let md = report(&result);
    std::fs::write(results_dir.join(format!("rollup-{stamp}.md")), &md)?;
    println!("\n{md}");
    println!(
        "Roll-up benchmark took {:.1} min; results in {}",
        started.elapsed().as_secs_f64() / 60.0,
        json.display()
    );
    Ok(())
}

fn rollup_backend(store: &Store, args: &RollupArgs, backend: Backend) -> Result<BackendRollup> {
    let params = Params {
        accounts: args.accounts,
        statuses: args.statuses,
        rng_seed: args.rng_seed,
    };
    let m = seed::ensure(store, backend, params, false)?;
    let mut r = BackendRollup {
        backend: backend.title().to_string(),
        seed: m.key.clone(),
        load_average_before: run::load_average(),
        ..Default::default()
    };
    println!(
        "\n== {} ({}), load average {}",
        backend.title(),
        m.key,
        r.load_average_before
    );
    let work = tempfile::Builder::new()
        .prefix("groundswell-rollup-")
        .tempdir_in(&store.cache)?;
    let results = store.cache.join("results");
    std::fs::create_dir_all(&results)?;
    let log = results.join(format!("server-rollup-{}.log", backend.name()));
    let _ = std::fs::remove_file(&log);
    let copy = WorkCopy::make(store, &m, backend)?;
    let data_dir = work.path().join("data");

    // The seed's days: the first and last are partial (the year starts and ends mid-day).
    let all = days(&copy)?;
    if all.len() < 3 {
        bail!("the seed has only {} days of statuses", all.len());
    }
    r.days_in_seed = all.len();
    r.first_day = all[0].day.clone();
    r.last_day = all[all.len() - 1].day.clone();
    // Busiest: the most statuses and favourites (the rows a day's roll-up reads most).
    let mut full: Vec<Day> = all[1..all.len() - 1].to_vec();
    full.sort_by_key(|d| d.statuses + d.favourites);
    r.typical = full[full.len() / 2].clone();
    r.busiest = full[full.len() - 1].clone();
    println!(
        "{} days, {} to {}; busiest {} ({} statuses, {} favourites), typical {} ({} statuses, {} favourites), quietest full day {} statuses and {} favourites",
        r.days_in_seed,
        r.first_day,
        r.last_day,
        r.busiest.day,
        r.busiest.statuses,
        r.busiest.favourites,
        r.typical.day,
        r.typical.statuses,
        r.typical.favourites,
        full[0].statuses,
        full[0].favourites
    );

    // The server, and its own first roll-up (yesterday and today). Its interval is an hour
    // so that it does not roll up again while the loads run.
    let (server, _) = Server::start_with(
        &copy.url,
        &data_dir,
        &log,
        &[("GROUNDSWELL_METRICS__ROLLUP_INTERVAL_SECS", "3600")],
    )?;
    let ready = Instant::now();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    while !rolled_up(&copy, &today)? {
        if ready.elapsed() > Duration::from_secs(600) {
            bail!("the server had not rolled up today after 600 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    r.server_first_rollup_secs = ready.elapsed().as_secs_f64();
    println!(
        "the server's first roll-up (yesterday and today): {:.2} s after it was ready",
        r.server_first_rollup_secs
    );
    server.wait_idle();

    // One day at a time, as `metrics rebuild` does it.
    let before = chrono::NaiveDate::parse_from_str(&r.first_day, "%Y-%m-%d")?
        .pred_opt()
        .context("no day before the seed")?
        .format("%Y-%m-%d")
        .to_string();
    for (name, day, times) in [
        ("busiest day", r.busiest.day.clone(), &mut r.busiest_secs),
        ("typical day", r.typical.day.clone(), &mut r.typical_secs),
        (
            "empty day (the command's own cost)",
            before,
            &mut r.empty_secs,
        ),
    ] {
        for _ in 0..args.repeats.max(2) {
            times.push(rebuild(&copy.url, &data_dir, &day, &day)?);
        }
        println!(
            "  metrics rebuild, {name} {day}: {} ({:?})",
            first_again(times),
            times
                .iter()
                .map(|t| (t * 100.0).round() / 100.0)
                .collect::<Vec<_>>()
        );
    }
    if !args.skip_year {
        let secs = rebuild(&copy.url, &data_dir, &r.first_day, &r.last_day)?;
        let from = chrono::NaiveDate::parse_from_str(&r.first_day, "%Y-%m-%d")?;
        let to = chrono::NaiveDate::parse_from_str(&r.last_day, "%Y-%m-%d")?;
        r.year_days = (to - from).num_days() as usize + 1;
        r.year_secs = Some(secs);
        println!(
            "  metrics rebuild, the whole seed ({} days, {} to {}): {secs:.1} s",
            r.year_days, r.first_day, r.last_day
        );
    }

    // The home timeline without (A) and with (B) the busiest day rebuilt in a loop.
    let url = format!("{}/api/v1/timelines/home?limit=20", server.base());
    for round in 0..args.rounds.max(1) {
        for with_rollup in [false, true] {
            server.wait_idle();
            let stop = Arc::new(AtomicBool::new(false));
            let looper = with_rollup.then(|| {
                let (stop, url, data_dir, day) = (
                    stop.clone(),
                    copy.url.clone(),
                    data_dir.clone(),
                    r.busiest.day.clone(),
                );
                std::thread::spawn(move || -> Result<Vec<f64>> {
                    let mut times = Vec::new();
                    while !stop.load(Ordering::SeqCst) {
                        times.push(rebuild(&url, &data_dir, &day, &day)?);
                    }
                    Ok(times)
                })
            });
            if args.warmup > 0 {
                run::wrk(
                    "warm-up",
                    &url,
                    &m.reader_token,
                    "get.lua",
                    args.threads,
                    args.connections,
                    args.warmup,
                )?;
            }
            let name = if with_rollup {
                format!("home timeline, roll-up running (round {})", round + 1)
            } else {
                format!("home timeline, no roll-up (round {})", round + 1)
            };
            let load_average = run::load_average();
            let load = run::wrk(
                &name,
                &url,
                &m.reader_token,
                "get.lua",
                args.threads,
                args.connections,
                args.duration,
            )?;
            stop.store(true, Ordering::SeqCst);
            let rebuilds = match looper {
                Some(handle) => handle
                    .join()
                    .map_err(|_| anyhow::anyhow!("the roll-up loop panicked"))??,
                None => Vec::new(),
            };
            run::print_load(&load);
            if with_rollup {
                println!(
                    "    {} rebuilds of {} meanwhile, median {:.2} s",
                    rebuilds.len(),
                    r.busiest.day,
                    median(&rebuilds)
                );
            }
            r.rounds.push(Round {
                with_rollup,
                load,
                rebuilds,
                load_average,
            });
        }
    }
    server.stop();
    drop(copy);
    r.load_average_after = run::load_average();
    Ok(r)
}

fn medians(rounds: &[Round], with_rollup: bool) -> (f64, f64, f64) {
    let of = |f: fn(&Load) -> f64| {
        median(
            &rounds
                .iter()
                .filter(|r| r.with_rollup == with_rollup)
                .map(|r| f(&r.load))
                .collect::<Vec<_>>(),
        )
    };
    (of(|l| l.rps), of(|l| l.p50_ms), of(|l| l.p99_ms))
}

/// The first roll-up of a day (it notes who was active: thousands of rows) and the median
/// of the others (the live job's case: the day rolled up before).
fn first_again(times: &[f64]) -> String {
    match times {
        [] => "–".into(),
        [first] => format!("{first:.2} s"),
        [first, again @ ..] => format!("{first:.2} s, {:.2} s", median(again)),
    }
}

fn change(without: f64, with: f64) -> String {
    if without > 0.0 && with.is_finite() {
        format!("{:+.0} %", (with - without) / without * 100.0)
    } else {
        "–".into()
    }
}

/// The results as the Markdown tables of BENCHMARKS.md.
pub fn report(r: &RollupResult) -> String {
    let mut s = String::new();
    let mut line = |l: String| {
        s.push_str(&l);
        s.push('\n');
    };
    line(format!(
        "Roll-up benchmark of {} (`{}`), home timeline with {} connections for {} s per run.",
        r.date, r.commit, r.connections, r.duration_secs
    ));
    line(String::new());
    line(
        "| | ".to_string()
            + &r.backends
                .iter()
                .map(|b| b.backend.as_str())
                .collect::<Vec<_>>()
                .join(" | ")
            + " |",
    );
    line("| --- |".to_string() + &" ---: |".repeat(r.backends.len()));
    let row = |label: &str, f: &dyn Fn(&BackendRollup) -> String| {
        format!(
            "| {label} | {} |",
            r.backends.iter().map(f).collect::<Vec<_>>().join(" | ")
        )
    };
    line(row("busiest day", &|b| {
        format!(
            "{} ({} statuses, {} favourites)",
            b.busiest.day, b.busiest.statuses, b.busiest.favourites
        )
    }));
    line(row(
        "… `metrics rebuild` of it: first, again (median)",
        &|b| first_again(&b.busiest_secs),
    ));
    line(row("typical day (the median full day)", &|b| {
        format!(
            "{} ({} statuses, {} favourites)",
            b.typical.day, b.typical.statuses, b.typical.favourites
        )
    }));
    line(row(
        "… `metrics rebuild` of it: first, again (median)",
        &|b| first_again(&b.typical_secs),
    ));
    line(row(
        "`metrics rebuild` of an empty day (the command's own cost): median",
        &|b| format!("{:.2} s", median(&b.empty_secs)),
    ));
    line(row(
        "`metrics rebuild` of the whole seed",
        &|b| match b.year_secs {
            Some(secs) => format!(
                "{secs:.0} s ({} days, {:.2} s a day)",
                b.year_days,
                secs / b.year_days.max(1) as f64
            ),
            None => "–".into(),
        },
    ));
    line(row(
        "the server's first roll-up (yesterday and today)",
        &|b| format!("{:.2} s", b.server_first_rollup_secs),
    ));
    line(row(
        "home timeline without the roll-up: req/s, p50, p99 (medians)",
        &|b| {
            let (rps, p50, p99) = medians(&b.rounds, false);
            format!("{rps:.0} req/s, {p50:.1} ms, {p99:.1} ms")
        },
    ));
    line(row(
        "home timeline with the busiest day rebuilt in a loop",
        &|b| {
            let (rps, p50, p99) = medians(&b.rounds, true);
            format!("{rps:.0} req/s, {p50:.1} ms, {p99:.1} ms")
        },
    ));
    line(row("difference: req/s, p50, p99", &|b| {
        let (r0, a0, b0) = medians(&b.rounds, false);
        let (r1, a1, b1) = medians(&b.rounds, true);
        format!("{}, {}, {}", change(r0, r1), change(a0, a1), change(b0, b1))
    }));
    line(row(
        "rebuilds of the busiest day during the loaded runs (median time)",
        &|b| {
            let times: Vec<f64> = b.rounds.iter().flat_map(|r| r.rebuilds.clone()).collect();
            format!("{} ({:.2} s)", times.len(), median(&times))
        },
    ));
    line(row("load average before / after", &|b| {
        format!("{} / {}", b.load_average_before, b.load_average_after)
    }));
    line(String::new());
    line("Each run, in order (A: without, B: with the roll-up running):".into());
    line(String::new());
    line("| backend | run | req/s | p50 | p99 | errors / ≥400 | rebuilds | load average |".into());
    line("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |".into());
    for b in &r.backends {
        for (i, round) in b.rounds.iter().enumerate() {
            line(format!(
                "| {} | {} {} | {:.0} | {:.1} ms | {:.1} ms | {} / {} | {} | {} |",
                b.backend,
                if round.with_rollup { "B" } else { "A" },
                i / 2 + 1,
                round.load.rps,
                round.load.p50_ms,
                round.load.p99_ms,
                round.load.errors,
                round.load.bad_status,
                if round.with_rollup {
                    round.rebuilds.len().to_string()
                } else {
                    "–".into()
                },
                round.load_average
            ));
        }
    }
    s
}

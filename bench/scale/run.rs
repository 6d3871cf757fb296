//! Running the benchmark: the release binary on a copy of a seed, driven over HTTP with wrk.
//!
//! For each backend: start-to-ready and idle memory, a check that the server answers what the
//! seed holds, then each endpoint under 32 connections (req/s, p50, p99, errors, peak RSS),
//! the home timeline at half its peak rate (open loop, latency from the intended send time),
//! unloaded and on the 10k-status seed, and last — because it writes — posting by the account
//! with 1,000 followers, with how soon a follower's home timeline shows the new post.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use diesel::connection::SimpleConnection;
use serde::Serialize;
use serde_json::Value;

use crate::Backends;
use crate::plan::{DOMAIN, Params};
use crate::seed::{self, Backend, Manifest, Store};

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[arg(long, value_enum, default_value = "both")]
    backend: Backends,
    #[arg(long, default_value_t = 10_000)]
    accounts: usize,
    #[arg(long, default_value_t = 1_000_000)]
    statuses: usize,
    /// The small seed of the "home latency growth" comparison; 0 skips it.
    #[arg(long, default_value_t = 10_000)]
    small_statuses: usize,
    #[arg(long, default_value_t = 1)]
    rng_seed: u64,
    /// Seconds of each measured wrk run.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of warm-up before each measured run (not counted).
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// wrk threads (it shares the machine's cores with the server).
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// How many times to start the server for start-to-ready (the median is reported).
    #[arg(long, default_value_t = 3)]
    starts: usize,
    /// An endpoint whose single request takes longer than this (ms) is measured with as many
    /// connections as cores instead of `connections` (see BENCHMARKS.md).
    #[arg(long, default_value_t = 1000)]
    slow_ms: u64,
    /// Go on even if the server's answers do not match the seed.
    #[arg(long)]
    ignore_checks: bool,
}

pub(crate) fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_groundswell")
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Remove the `GROUNDSWELL_*` settings of the environment (a command of the benchmark is
/// configured by the variables it is given only), and backtraces (capturing one for every
/// error costs what a production server does not pay).
pub(crate) fn clear_env(cmd: &mut Command) {
    for (k, _) in std::env::vars_os() {
        let k_str = k.to_string_lossy();
        if k_str.starts_with("GROUNDSWELL_") || k_str.ends_with("_BACKTRACE") {
            cmd.env_remove(k);
        }
    }
}

/// One `groundswell serve` process.
pub(crate) struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Start the release binary on `db_url` and wait for the first 200 of `/api/v1/instance`;
    /// returns the server and the time from exec to that answer.
    pub(crate) fn start(db_url: &str, data_dir: &Path, log: &Path) -> Result<(Server, Duration)> {
        Server::start_with(db_url, data_dir, log, &[])
    }

    /// [`Server::start`] with more settings (`extra`: environment variables).
    pub(crate) fn start_with(
        db_url: &str,
        data_dir: &Path,
        log: &Path,
        extra: &[(&str, &str)],
    ) -> Result<(Server, Duration)> {
        std::fs::create_dir_all(data_dir)?;
        let port = free_port()?;
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        let mut cmd = Command::new(bin());
        cmd.arg("serve");
        clear_env(&mut cmd);
        cmd.env("GROUNDSWELL_DATABASE__URL", db_url)
            .env("GROUNDSWELL_HTTP__BIND", format!("127.0.0.1:{port}"))
            .env("GROUNDSWELL_INSTANCE__DOMAIN", DOMAIN)
            .env("GROUNDSWELL_LOG__LEVEL", "warn")
            .env("GROUNDSWELL_LIMITS__API_REQUESTS_PER_5_MINUTES", "0")
            .env("GROUNDSWELL_STORAGE__DATA_DIR", data_dir)
            .envs(extra.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        let started = Instant::now();
        let child = cmd.spawn().with_context(|| format!("starting {}", bin()))?;
        let mut server = Server { child, port };
        loop {
            if let Some(status) = server.child.try_wait()? {
                let tail = std::fs::read_to_string(log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(10).collect();
                bail!(
                    "the server exited ({status}) before it was ready:\n{}",
                    tail.join("\n")
                );
            }
            if raw_get_status(port, "/api/v1/instance").ok() == Some(200) {
                return Ok((server, started.elapsed()));
            }
            if started.elapsed() > Duration::from_secs(300) {
                server.stop();
                bail!("the server was not ready after 300 s");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    pub(crate) fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// (VmRSS, VmHWM) in MB.
    pub(crate) fn memory(&self) -> Result<(f64, f64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map(|kb| kb / 1024.0)
                .unwrap_or(f64::NAN)
        };
        Ok((field("VmRSS:"), field("VmHWM:")))
    }

    /// CPU time the process used so far (clock ticks).
    fn cpu_ticks(&self) -> u64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // Fields after the command name (which is in parentheses): utime is the 12th, stime
        // the 13th.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let at = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        at(11) + at(12)
    }

    /// Wait until the server has finished what an earlier load left queued (wrk stops
    /// without waiting for the answers in flight): until it uses under 5 % of a core for
    /// half a second, at most two minutes.
    pub(crate) fn wait_idle(&self) {
        let started = Instant::now();
        let mut last = self.cpu_ticks();
        let mut quiet = 0;
        while started.elapsed() < Duration::from_secs(120) {
            std::thread::sleep(Duration::from_millis(250));
            let now = self.cpu_ticks();
            // 100 ticks per second: 5 % of a core over 250 ms is 1.25 ticks.
            if now.saturating_sub(last) <= 1 {
                quiet += 1;
                if quiet >= 2 {
                    break;
                }
            } else {
                quiet = 0;
            }
            last = now;
        }
        if started.elapsed() > Duration::from_secs(2) {
            println!(
                "    (waited {:.0} s for the server to finish earlier requests)",
                started.elapsed().as_secs_f64()
            );
        }
    }

    /// Start counting the peak (VmHWM) again from the current RSS.
    fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5");
    }

    /// SIGTERM (a graceful stop), then SIGKILL if it has not ended after 30 s.
    pub(crate) fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server is never left running: when a run fails or panics, the process it started ends.
impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The status code of a plain HTTP/1.1 GET, without a client library: the readiness probe.
fn raw_get_status(port: u16, path: &str) -> Result<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head)?;
    let line = String::from_utf8_lossy(&head);
    Ok(line.get(9..12).unwrap_or("0").parse().unwrap_or(0))
}

#[derive(Debug, Clone, Serialize)]
pub struct Load {
    pub name: String,
    pub connections: u32,
    pub requests: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Socket errors and timeouts.
    pub errors: u64,
    /// Responses with a status ≥ 400.
    pub bad_status: u64,
    pub peak_rss_mb: f64,
    /// How this load differs from the others, if it does.
    pub note: Option<String>,
    /// Of the ≥400 answers, how many were 4xx and 5xx (counted by post.lua only).
    pub status_4xx: Option<u64>,
    pub status_5xx: Option<u64>,
}

pub(crate) fn wrk(
    name: &str,
    url: &str,
    token: &str,
    script: &str,
    threads: u32,
    connections: u32,
    secs: u64,
) -> Result<Load> {
    let auth = format!("Authorization: Bearer {token}");
    wrk_with(name, url, &auth, script, threads, connections, secs)
}

/// [`wrk`] with any request header (`Name: value`), e.g. a browser's session cookie.
pub(crate) fn wrk_with(
    name: &str,
    url: &str,
    header: &str,
    script: &str,
    threads: u32,
    connections: u32,
    secs: u64,
) -> Result<Load> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("bench/wrk")
        .join(script);
    let out = Command::new("wrk")
        .arg(format!("-t{}", threads.min(connections)))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{secs}s"))
        .arg("--timeout")
        .arg("30s")
        .arg("-s")
        .arg(&script)
        .arg("-H")
        .arg(header)
        .arg(url)
        .output()
        .context("running wrk (apt-get install -y wrk)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("WRK_RESULT"))
        .with_context(|| {
            format!(
                "wrk printed no result: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let field = |k: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    let requests = field("requests") as u64;
    let secs = field("duration_us") / 1e6;
    Ok(Load {
        name: name.to_string(),
        connections,
        requests,
        rps: requests as f64 / secs.max(1e-9),
        p50_ms: field("p50") / 1000.0,
        p90_ms: field("p90") / 1000.0,
        p99_ms: field("p99") / 1000.0,
        max_ms: field("max") / 1000.0,
        errors: (field("connect") + field("read") + field("write") + field("timeout")) as u64,
        bad_status: field("status") as u64,
        peak_rss_mb: f64::NAN,
        note: None,
        status_4xx: line.contains(" 4xx=").then(|| field("4xx") as u64),
        status_5xx: line.contains(" 5xx=").then(|| field("5xx") as u64),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct FixedRate {
    pub target_rps: f64,
    pub achieved_rps: f64,
    pub requests: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub errors: usize,
    pub peak_rss_mb: f64,
}

/// An open-loop load at a fixed rate (what wrk2's `-R` does, which Debian's wrk lacks): one
/// request every 1/rate seconds whatever the answers do, each timed from when it was due, so
/// queueing behind slow answers counts (no coordinated omission).
async fn fixed_rate(url: String, token: String, rate: f64, secs: f64) -> Result<FixedRate> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .tcp_nodelay(true)
        .build()?;
    let n = ((rate * secs) as usize).max(1);
    let in_flight = Arc::new(tokio::sync::Semaphore::new(512));
    let start = tokio::time::Instant::now() + Duration::from_millis(50);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due).await;
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        let permit = in_flight.clone().acquire_owned().await?;
        tasks.spawn(async move {
            let ok = match client.get(&url).bearer_auth(&token).send().await {
                Ok(r) => {
                    let good = r.status().is_success();
                    good && r.bytes().await.is_ok()
                }
                Err(_) => false,
            };
            drop(permit);
            (ok, due.elapsed())
        });
    }
    let mut latencies = Vec::with_capacity(n);
    let mut errors = 0;
    while let Some(r) = tasks.join_next().await {
        let (ok, latency) = r?;
        if !ok {
            errors += 1;
        }
        latencies.push(latency);
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        latencies[((latencies.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0
    };
    Ok(FixedRate {
        target_rps: rate,
        achieved_rps: n as f64 / elapsed,
        requests: n,
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
        errors,
        peak_rss_mb: f64::NAN,
    })
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct BackendResult {
    pub backend: String,
    pub seed: String,
    pub seed_seconds: f64,
    pub seed_gb: f64,
    pub copy_seconds: f64,
    pub load_average_before: String,
    pub load_average_after: String,
    /// Exec to the first 200 of /api/v1/instance, each start (ms).
    pub ready_seeded_ms: Vec<f64>,
    pub ready_empty_ms: Vec<f64>,
    pub rss_idle_empty_mb: f64,
    pub rss_idle_seeded_mb: f64,
    pub rss_after_loads_mb: f64,
    pub checks: Vec<String>,
    pub loads: Vec<Load>,
    pub home_half_rate: Option<FixedRate>,
    pub home_unloaded: Option<Load>,
    pub home_unloaded_small: Option<Load>,
    pub home_small: Option<Load>,
    pub statuses: usize,
    pub small_statuses: usize,
    pub create: Option<Load>,
    /// From the POST's answer to the post at the top of a follower's home timeline (ms).
    pub freshness_ms: Vec<f64>,
    /// Statuses still waiting for fan-out when the posting load stopped, and the seconds
    /// until none was left.
    pub fan_out_backlog: Option<(i64, f64)>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub commit: String,
    pub date: String,
    pub cores: usize,
    pub binary: String,
    pub wrk: String,
    pub connections: u32,
    pub threads: u32,
    pub duration_secs: u64,
    pub backends: Vec<BackendResult>,
}

pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

pub(crate) fn commit() -> String {
    let dir = env!("CARGO_MANIFEST_DIR");
    let head = Command::new("git")
        .args(["-C", dir, "rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let dirty = Command::new("git")
        .args(["-C", dir, "status", "--porcelain", "--untracked-files=no"])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    if dirty {
        format!("{head}+changes")
    } else {
        head
    }
}

pub fn pg_size(store: &Store, name: &str) -> Result<u64> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut c = diesel::PgConnection::establish(&store.pg_url("postgres"))?;
    let n: N = diesel::sql_query("SELECT pg_database_size($1) AS n")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result(&mut c)?;
    Ok(n.n as u64)
}

pub fn pg_bench_databases(store: &Store) -> Result<Vec<String>> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct D {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let mut c = diesel::PgConnection::establish(&store.pg_url("postgres"))?;
    let rows: Vec<D> = diesel::sql_query(
        "SELECT datname::text AS datname FROM pg_database WHERE datname LIKE 'groundswell\\_bench\\_%'",
    )
    .load(&mut c)?;
    Ok(rows.into_iter().map(|d| d.datname).collect())
}

/// A copy of a seed that the server may write to; the seed itself stays as it was made.
pub(crate) struct WorkCopy {
    pub(crate) url: String,
    pub(crate) backend: Backend,
    store: Store,
    path: Option<PathBuf>,
    pg: Option<String>,
}

impl WorkCopy {
    pub(crate) fn make(store: &Store, m: &Manifest, backend: Backend) -> Result<WorkCopy> {
        match backend {
            Backend::Sqlite => {
                let from = seed::sqlite_path(store, &m.key);
                let to = store.cache.join(format!("work-{}.sqlite3", m.key));
                remove_sqlite_files(&to);
                std::fs::copy(&from, &to)?;
                Ok(WorkCopy {
                    url: format!("sqlite://{}", to.display()),
                    backend,
                    store: store.clone(),
                    path: Some(to),
                    pg: None,
                })
            }
            Backend::Postgres => {
                let name = format!("groundswell_bench_work_{}", std::process::id());
                seed::pg_copy(store, &seed::pg_name(&m.key), &name)?;
                Ok(WorkCopy {
                    url: store.pg_url(&name),
                    backend,
                    store: store.clone(),
                    path: None,
                    pg: Some(name),
                })
            }
        }
    }
}

impl WorkCopy {
    /// The SQLite copy's file name, as `SqliteConnection::establish` takes it.
    pub(crate) fn sqlite_file(&self) -> Result<String> {
        self.path
            .as_ref()
            .map(|p| p.display().to_string())
            .context("not a SQLite copy")
    }
}

impl Drop for WorkCopy {
    fn drop(&mut self) {
        match self.backend {
            Backend::Sqlite => {
                if let Some(p) = &self.path {
                    remove_sqlite_files(p);
                }
            }
            Backend::Postgres => {
                if let Some(name) = &self.pg {
                    let _ = seed::pg_drop(&self.store, name);
                }
            }
        }
    }
}

fn remove_sqlite_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

pub(crate) fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

pub fn run(store: &Store, args: RunArgs) -> Result<()> {
    if Command::new("wrk").arg("-v").output().is_err() {
        bail!("wrk is not installed: apt-get install -y wrk");
    }
    let wrk_version = Command::new("wrk")
        .arg("-v")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let started = Instant::now();
    let mut result = RunResult {
        commit: commit(),
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        binary: bin().to_string(),
        wrk: wrk_version,
        connections: args.connections,
        threads: args.threads,
        duration_secs: args.duration,
        backends: Vec::new(),
    };
    for backend in args.backend.list() {
        let r = run_backend(store, &args, backend, &runtime)?;
        result.backends.push(r);
    }
    let results_dir = store.cache.join("results");
    std::fs::create_dir_all(&results_dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let json = results_dir.join(format!("{stamp}.json"));
    std::fs::write(&json, serde_json::to_vec_pretty(&result)?)?;
    let md = report(&result);
    std::fs::write(results_dir.join(format!("{stamp}.md")), &md)?;
    println!("\n{md}");
    println!(
        "Benchmark took {:.1} min; results in {}",
        started.elapsed().as_secs_f64() / 60.0,
        json.display()
    );
    Ok(())
}

fn run_backend(
    store: &Store,
    args: &RunArgs,
    backend: Backend,
    rt: &tokio::runtime::Runtime,
) -> Result<BackendResult> {
    let started = Instant::now();
    let params = Params {
        accounts: args.accounts,
        statuses: args.statuses,
        rng_seed: args.rng_seed,
    };
    let m = seed::ensure(store, backend, params, false)?;
    let small = if args.small_statuses > 0 {
        Some(seed::ensure(
            store,
            backend,
            Params {
                statuses: args.small_statuses,
                ..params
            },
            false,
        )?)
    } else {
        None
    };
    let mut r = BackendResult {
        backend: backend.title().to_string(),
        seed: m.key.clone(),
        seed_seconds: m.seed_seconds,
        seed_gb: match backend {
            Backend::Sqlite => {
                std::fs::metadata(seed::sqlite_path(store, &m.key))
                    .map(|f| f.len())
                    .unwrap_or(0) as f64
                    / 1e9
            }
            Backend::Postgres => pg_size(store, &seed::pg_name(&m.key)).unwrap_or(0) as f64 / 1e9,
        },
        load_average_before: load_average(),
        statuses: args.statuses,
        small_statuses: args.small_statuses,
        ..Default::default()
    };
    println!(
        "\n== {} ({}), load average {}",
        backend.title(),
        m.key,
        r.load_average_before
    );
    let work = tempfile::Builder::new()
        .prefix("groundswell-bench-")
        .tempdir_in(&store.cache)?;
    // The servers' output (warnings and errors) of this backend's last run, kept for reading.
    let results = store.cache.join("results");
    std::fs::create_dir_all(&results)?;
    let log = results.join(format!("server-{}.log", backend.name()));
    let _ = std::fs::remove_file(&log);

    // Memory and start time on an empty database (the first start migrates, makes the
    // instance actor's keys and the first admin).
    for i in 0..args.starts {
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}/empty-{i}.sqlite3", work.path().display()),
            Backend::Postgres => {
                let name = format!("groundswell_bench_empty_{}", std::process::id());
                seed::pg_drop(store, &name)?;
                diesel::Connection::establish(&store.pg_url("postgres")).map(
                    |mut c: diesel::PgConnection| {
                        c.batch_execute(&format!("CREATE DATABASE \"{name}\""))
                    },
                )??;
                store.pg_url(&name)
            }
        };
        let (server, ready) = Server::start(&url, &work.path().join("data-empty"), &log)?;
        r.ready_empty_ms.push(ready.as_secs_f64() * 1000.0);
        if i == 0 {
            std::thread::sleep(Duration::from_secs(2));
            r.rss_idle_empty_mb = server.memory()?.0;
        }
        server.stop();
        if backend == Backend::Postgres {
            seed::pg_drop(
                store,
                &format!("groundswell_bench_empty_{}", std::process::id()),
            )?;
        }
    }
    println!(
        "empty database: ready in {:.0} ms (median of {}), idle RSS {:.1} MB",
        median(&r.ready_empty_ms),
        args.starts,
        r.rss_idle_empty_mb
    );

    let copy_started = Instant::now();
    let copy = WorkCopy::make(store, &m, backend)?;
    r.copy_seconds = copy_started.elapsed().as_secs_f64();
    println!("working copy of the seed made in {:.1} s", r.copy_seconds);
    let data_dir = work.path().join("data");
    let mut server = None;
    for i in 0..args.starts.max(1) {
        if let Some(s) = server.take() {
            Server::stop(s);
        }
        let (s, ready) = Server::start(&copy.url, &data_dir, &log)?;
        r.ready_seeded_ms.push(ready.as_secs_f64() * 1000.0);
        if i == 0 {
            std::thread::sleep(Duration::from_secs(2));
            r.rss_idle_seeded_mb = s.memory()?.0;
        }
        server = Some(s);
    }
    let server = server.context("no server")?;
    println!(
        "seeded database: ready in {:.0} ms (median of {}), idle RSS {:.1} MB",
        median(&r.ready_seeded_ms),
        args.starts,
        r.rss_idle_seeded_mb
    );

    let base = server.base();
    let client = reqwest::Client::new();
    r.checks = rt.block_on(check(&client, &base, &m))?;
    let failed: Vec<&String> = r.checks.iter().filter(|c| c.starts_with("FAIL")).collect();
    for c in &r.checks {
        println!("  check: {c}");
    }
    if !failed.is_empty() && !args.ignore_checks {
        server.stop();
        bail!("the server's answers do not match the seed (--ignore-checks to go on)");
    }

    let endpoints: Vec<(&str, String, &str)> = vec![
        (
            "home timeline",
            "/api/v1/timelines/home?limit=20".into(),
            &m.reader_token,
        ),
        (
            "department timeline",
            "/api/v1/timelines/public?local=true&limit=20".into(),
            &m.reader_token,
        ),
        (
            "hashtag timeline",
            format!("/api/v1/timelines/tag/{}?limit=20", m.tag),
            &m.reader_token,
        ),
        (
            "single status",
            format!("/api/v1/statuses/{}", m.status_id),
            &m.reader_token,
        ),
        (
            "account statuses",
            format!("/api/v1/accounts/{}/statuses?limit=20", m.poster_id),
            &m.reader_token,
        ),
        (
            "notifications",
            "/api/v1/notifications?limit=20".into(),
            &m.poster_token,
        ),
        (
            "verify_credentials",
            "/api/v1/accounts/verify_credentials".into(),
            &m.reader_token,
        ),
    ];
    let bench = Bench {
        args,
        cores: std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(2),
    };
    for (name, path, token) in &endpoints {
        let load = bench.measure(
            &server,
            rt,
            name,
            &format!("{base}{path}"),
            token,
            "get.lua",
        )?;
        r.loads.push(load);
    }

    // Home at half its peak rate, open loop.
    let url = format!("{base}/api/v1/timelines/home?limit=20");
    let peak = r.loads[0].rps;
    if peak > 0.0 {
        let rate = peak / 2.0;
        let secs = (args.duration as f64).max(400.0 / rate).min(60.0);
        server.wait_idle();
        server.reset_peak();
        let mut half = rt.block_on(fixed_rate(url.clone(), m.reader_token.clone(), rate, secs))?;
        half.peak_rss_mb = server.memory()?.1;
        println!(
            "  home at half of peak ({rate:.1}/s for {secs:.0} s): achieved {:.1}/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
            half.achieved_rps, half.p50_ms, half.p99_ms, half.errors
        );
        r.home_half_rate = Some(half);
    }

    r.home_unloaded = Some(bench.measure_at(
        &server,
        "home timeline, 1 connection",
        &url,
        &m.reader_token,
        "get.lua",
        1,
        args.duration,
    )?);

    // Last, because it writes: posting by the account with 1,000 followers.
    let post_url = format!("{base}/api/v1/statuses");
    r.create = Some(bench.measure(
        &server,
        rt,
        "status create (1,000 followers)",
        &post_url,
        &m.poster_token,
        "post.lua",
    )?);
    r.fan_out_backlog = Some(fan_out_backlog(&copy)?);
    if let Some((left, secs)) = r.fan_out_backlog {
        println!(
            "  fan-out backlog when the load stopped: {left} statuses, gone after {secs:.2} s"
        );
    }
    server.wait_idle();
    r.freshness_ms = rt.block_on(freshness(&client, &base, &m))?;
    println!(
        "  a new post of the poster in a follower's home timeline after {:?} ms",
        r.freshness_ms.iter().map(|v| v.round()).collect::<Vec<_>>()
    );
    r.rss_after_loads_mb = server.memory()?.0;
    server.stop();
    drop(copy);

    if let Some(small) = &small {
        let copy = WorkCopy::make(store, small, backend)?;
        let (server, _) = Server::start(&copy.url, &work.path().join("data-small"), &log)?;
        let base = server.base();
        let checks = rt.block_on(check(&client, &base, small))?;
        for c in checks.iter().filter(|c| c.starts_with("FAIL")) {
            println!("  check ({} statuses): {c}", small.statuses);
        }
        let url = format!("{base}/api/v1/timelines/home?limit=20");
        if args.warmup > 0 {
            wrk(
                "warm-up",
                &url,
                &small.reader_token,
                "get.lua",
                1,
                1,
                args.warmup,
            )?;
        }
        r.home_unloaded_small = Some(bench.measure_at(
            &server,
            &format!("home timeline, 1 connection, {} statuses", small.statuses),
            &url,
            &small.reader_token,
            "get.lua",
            1,
            args.duration,
        )?);
        r.home_small = Some(bench.measure(
            &server,
            rt,
            &format!("home timeline, {} statuses", small.statuses),
            &url,
            &small.reader_token,
            "get.lua",
        )?);
        server.stop();
        drop(copy);
    }
    r.load_average_after = load_average();
    r.seconds = started.elapsed().as_secs_f64();
    println!(
        "{} done in {:.1} min, load average {}",
        backend.title(),
        r.seconds / 60.0,
        r.load_average_after
    );
    Ok(r)
}

/// How each load is run.
struct Bench<'a> {
    args: &'a RunArgs,
    cores: u32,
}

impl Bench<'_> {
    /// `connections` (32) connections for the run's duration, after a warm-up. An endpoint
    /// so slow that 32 connections would see no answer within the run (one request takes
    /// longer than `slow_ms`) is measured at its saturation point instead: as many
    /// connections as cores, long enough for a few answers each; its row says so.
    fn measure(
        &self,
        server: &Server,
        rt: &tokio::runtime::Runtime,
        name: &str,
        url: &str,
        token: &str,
        script: &str,
    ) -> Result<Load> {
        let args = self.args;
        server.wait_idle();
        let single = if script == "get.lua" {
            rt.block_on(probe(url, token))?
        } else {
            0.0
        };
        if single > args.slow_ms as f64 {
            let secs = ((3.0 * single / 1000.0).ceil() as u64).clamp(args.duration, 90);
            let mut load = self.measure_at(server, name, url, token, script, self.cores, secs)?;
            load.note = Some(format!(
                "one request alone takes {:.1} s: measured with {} connections for {secs} s, \
                 not {}",
                single / 1000.0,
                self.cores,
                args.connections
            ));
            println!("    ({})", load.note.as_deref().unwrap_or(""));
            return Ok(load);
        }
        if args.warmup > 0 {
            wrk(
                name,
                url,
                token,
                script,
                args.threads,
                args.connections,
                args.warmup,
            )?;
        }
        self.measure_at(
            server,
            name,
            url,
            token,
            script,
            args.connections,
            args.duration,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn measure_at(
        &self,
        server: &Server,
        name: &str,
        url: &str,
        token: &str,
        script: &str,
        connections: u32,
        secs: u64,
    ) -> Result<Load> {
        server.wait_idle();
        server.reset_peak();
        let mut load = wrk(
            name,
            url,
            token,
            script,
            self.args.threads,
            connections,
            secs,
        )?;
        load.peak_rss_mb = server.memory()?.1;
        print_load(&load);
        Ok(load)
    }
}

/// The median time of three requests one after the other (ms).
async fn probe(url: &str, token: &str) -> Result<f64> {
    let client = reqwest::Client::new();
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let r = client.get(url).bearer_auth(token).send().await?;
        let _ = r.bytes().await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(median(&times))
}

pub(crate) fn print_load(l: &Load) {
    println!(
        "  {:<44} {:>8} req/s  p50 {:>8.2} ms  p99 {:>8.2} ms  errors {} / ≥400 {}{}  peak RSS {:.0} MB",
        l.name,
        fmt_rps(l.rps),
        l.p50_ms,
        l.p99_ms,
        l.errors,
        l.bad_status,
        status_split(l),
        l.peak_rss_mb
    );
}

/// " (4xx 3, 5xx 25)" when the script counted them.
fn status_split(l: &Load) -> String {
    match (l.status_4xx, l.status_5xx) {
        (Some(c4), Some(c5)) if c4 + c5 > 0 => format!(" (4xx {c4}, 5xx {c5})"),
        _ => String::new(),
    }
}

/// Requests per second with the digits that matter for slow endpoints.
pub(crate) fn fmt_rps(v: f64) -> String {
    if !v.is_finite() {
        "–".into()
    } else if v < 1.0 {
        format!("{v:.2}")
    } else if v < 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

async fn get(client: &reqwest::Client, url: &str, token: &str) -> Result<(u16, Value)> {
    let r = client.get(url).bearer_auth(token).send().await?;
    let status = r.status().as_u16();
    let body = r.json::<Value>().await.unwrap_or(Value::Null);
    Ok((status, body))
}

fn ids_of(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Does the server answer what the seed holds? One line per check, "ok …" or "FAIL …".
async fn check(client: &reqwest::Client, base: &str, m: &Manifest) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut verdict = |ok: bool, what: String| {
        out.push(format!("{} {what}", if ok { "ok  " } else { "FAIL" }));
    };
    let same_ids = |what: &str, got: &Value, want: &[String]| -> (bool, String) {
        let got = ids_of(got);
        (
            got == want && !want.is_empty(),
            format!(
                "{what}: {} of {} expected ids, in order{}",
                got.iter().zip(want).filter(|(a, b)| a == b).count(),
                want.len(),
                if got == want {
                    String::new()
                } else {
                    format!(" (got {} items)", got.len())
                }
            ),
        )
    };

    let (status, me) = get(
        client,
        &format!("{base}/api/v1/accounts/verify_credentials"),
        &m.reader_token,
    )
    .await?;
    let counts = (
        me["followers_count"].as_i64(),
        me["following_count"].as_i64(),
        me["statuses_count"].as_i64(),
    );
    let want = &m.reader_counts;
    verdict(
        status == 200
            && counts
                == (
                    Some(want.followers),
                    Some(want.following),
                    Some(want.statuses),
                ),
        format!(
            "verify_credentials (reader): followers/following/statuses {counts:?}, seeded {} / {} / {}",
            want.followers, want.following, want.statuses
        ),
    );
    let (status, poster) = get(
        client,
        &format!("{base}/api/v1/accounts/{}", m.poster_id),
        &m.reader_token,
    )
    .await?;
    verdict(
        status == 200 && poster["followers_count"].as_i64() == Some(m.poster_counts.followers),
        format!(
            "poster has {:?} followers (seeded {})",
            poster["followers_count"].as_i64(),
            m.poster_counts.followers
        ),
    );

    let (status, home) = get(
        client,
        &format!("{base}/api/v1/timelines/home?limit=20"),
        &m.reader_token,
    )
    .await?;
    let (ok, msg) = same_ids("home timeline", &home, &m.expected_home);
    verdict(status == 200 && ok, msg);
    // The right accounts: everything in the reader's home is by the reader, by someone the
    // reader follows, mentions the reader, or carries a hashtag the reader follows.
    let items = home.as_array().cloned().unwrap_or_default();
    let authors: Vec<String> = items
        .iter()
        .filter_map(|s| s["account"]["id"].as_str().map(str::to_string))
        .collect();
    let query: Vec<String> = authors.iter().map(|a| format!("id[]={a}")).collect();
    let (_, rel) = get(
        client,
        &format!("{base}/api/v1/accounts/relationships?{}", query.join("&")),
        &m.reader_token,
    )
    .await?;
    let following: std::collections::HashSet<String> = rel
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|r| r["following"].as_bool() == Some(true))
                .filter_map(|r| r["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut by_followed = 0;
    let explained = items.iter().all(|s| {
        let author = s["account"]["id"].as_str().unwrap_or("");
        if following.contains(author) {
            by_followed += 1;
            return true;
        }
        let mentions_me = s["mentions"].as_array().is_some_and(|ms| {
            ms.iter()
                .any(|x| x["id"].as_str() == Some(m.reader_id.as_str()))
        });
        let followed_tag = s["tags"].as_array().is_some_and(|ts| {
            ts.iter().any(|t| {
                t["name"]
                    .as_str()
                    .is_some_and(|n| m.reader_tags.iter().any(|r| r == n))
            })
        });
        author == m.reader_id || mentions_me || followed_tag
    });
    verdict(
        explained && !items.is_empty(),
        format!(
            "home timeline accounts: {by_followed} of {} by followed accounts, the rest own, mentioning or followed hashtags",
            items.len()
        ),
    );

    let (status, dept) = get(
        client,
        &format!("{base}/api/v1/timelines/public?local=true&limit=20"),
        &m.reader_token,
    )
    .await?;
    let (ok, msg) = same_ids("department timeline", &dept, &m.expected_department);
    verdict(status == 200 && ok, msg);
    let (status, tag) = get(
        client,
        &format!("{base}/api/v1/timelines/tag/{}?limit=20", m.tag),
        &m.reader_token,
    )
    .await?;
    let (ok, msg) = same_ids(&format!("hashtag #{}", m.tag), &tag, &m.expected_tag);
    verdict(status == 200 && ok, msg);
    let (status, acct) = get(
        client,
        &format!("{base}/api/v1/accounts/{}/statuses?limit=20", m.poster_id),
        &m.reader_token,
    )
    .await?;
    let (ok, msg) = same_ids("poster's statuses", &acct, &m.expected_poster_statuses);
    verdict(status == 200 && ok, msg);
    let (status, notes) = get(
        client,
        &format!("{base}/api/v1/notifications?limit=20"),
        &m.poster_token,
    )
    .await?;
    let (ok, msg) = same_ids(
        "poster's notifications",
        &notes,
        &m.expected_poster_notifications,
    );
    verdict(status == 200 && ok, msg);
    let (status, s) = get(
        client,
        &format!("{base}/api/v1/statuses/{}", m.status_id),
        &m.reader_token,
    )
    .await?;
    let got = (
        s["replies_count"].as_i64(),
        s["reblogs_count"].as_i64(),
        s["favourites_count"].as_i64(),
    );
    let want = m.status_counts;
    verdict(
        status == 200
            && got
                == (
                    Some(want.replies),
                    Some(want.reblogs),
                    Some(want.favourites),
                ),
        format!(
            "single status replies/boosts/favourites {got:?}, seeded {} / {} / {}",
            want.replies, want.reblogs, want.favourites
        ),
    );
    Ok(out)
}

/// How many statuses wait for fan-out (`home_feed_queue`) as the posting load stops, and
/// how long until none does (at most two minutes).
fn fan_out_backlog(copy: &WorkCopy) -> Result<(i64, f64)> {
    use diesel::{Connection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    const COUNT: &str = "SELECT COUNT(*) AS n FROM home_feed_queue";
    let mut count: Box<dyn FnMut() -> Result<i64>> = match (&copy.path, copy.backend) {
        (Some(path), Backend::Sqlite) => {
            let mut c = diesel::SqliteConnection::establish(&path.display().to_string())?;
            Box::new(move || Ok(diesel::sql_query(COUNT).get_result::<N>(&mut c)?.n))
        }
        _ => {
            let mut c = diesel::PgConnection::establish(&copy.url)?;
            Box::new(move || Ok(diesel::sql_query(COUNT).get_result::<N>(&mut c)?.n))
        }
    };
    let started = Instant::now();
    let left = count()?;
    while count()? > 0 && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((left, started.elapsed().as_secs_f64()))
}

/// How soon a follower sees a new post: post as the poster, then read the reader's home
/// (the reader follows the poster) until the post is on its first page. The time includes
/// the home read itself.
async fn freshness(client: &reqwest::Client, base: &str, m: &Manifest) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    for n in 0..5 {
        let r = client
            .post(format!("{base}/api/v1/statuses"))
            .bearer_auth(&m.poster_token)
            .json(&serde_json::json!({"status": format!("Freshness probe {n}"), "visibility": "public"}))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("posting failed: {}", r.status());
        }
        let id = r.json::<Value>().await?["id"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let posted = Instant::now();
        loop {
            let (_, home) = get(
                client,
                &format!("{base}/api/v1/timelines/home?limit=20"),
                &m.reader_token,
            )
            .await?;
            if ids_of(&home).contains(&id) {
                out.push(posted.elapsed().as_secs_f64() * 1000.0);
                break;
            }
            if posted.elapsed() > Duration::from_secs(30) {
                out.push(f64::INFINITY);
                break;
            }
        }
    }
    Ok(out)
}

pub(crate) fn fmt(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "–".into()
    }
}

/// The results as the Markdown tables of BENCHMARKS.md.
pub fn report(r: &RunResult) -> String {
    let mut s = String::new();
    let mut line = |l: String| {
        s.push_str(&l);
        s.push('\n');
    };
    line(format!(
        "Measured {} on commit `{}`, {} cores, wrk {} ({} threads, {} connections, {} s per run after a warm-up).",
        r.date,
        r.commit,
        r.cores,
        r.wrk.split_whitespace().nth(1).unwrap_or("?"),
        r.threads,
        r.connections,
        r.duration_secs
    ));
    line(String::new());
    for b in &r.backends {
        line(format!(
            "### {} — seed `{}` ({:.2} GB, seeded in {:.0} s); load average {} before, {} after",
            b.backend,
            b.seed,
            b.seed_gb,
            b.seed_seconds,
            b.load_average_before,
            b.load_average_after
        ));
        line(String::new());
        line("| load | req/s | p50 ms | p99 ms | errors / ≥400 | peak RSS MB |".into());
        line("| --- | ---: | ---: | ---: | ---: | ---: |".into());
        let mut notes: Vec<String> = Vec::new();
        let mut row = |l: &Load| {
            let mark = match &l.note {
                Some(note) => {
                    notes.push(format!(
                        "{} {}: {note}.",
                        "†".repeat(notes.len() + 1),
                        l.name
                    ));
                    format!(" {}", "†".repeat(notes.len()))
                }
                None => String::new(),
            };
            format!(
                "| {} ({} conn.){mark} | {} | {} | {} | {} / {}{} | {} |",
                l.name,
                l.connections,
                fmt_rps(l.rps),
                fmt(l.p50_ms, 2),
                fmt(l.p99_ms, 2),
                l.errors,
                l.bad_status,
                status_split(l),
                fmt(l.peak_rss_mb, 0)
            )
        };
        let mut rows = Vec::new();
        for l in &b.loads {
            rows.push(row(l));
        }
        if let Some(h) = &b.home_half_rate {
            rows.push(format!(
                "| home timeline at half of peak, open loop {}/s | {} | {} | {} | {} | {} |",
                fmt_rps(h.target_rps),
                fmt_rps(h.achieved_rps),
                fmt(h.p50_ms, 2),
                fmt(h.p99_ms, 2),
                h.errors,
                fmt(h.peak_rss_mb, 0)
            ));
        }
        for l in [
            &b.home_unloaded,
            &b.home_unloaded_small,
            &b.home_small,
            &b.create,
        ]
        .into_iter()
        .flatten()
        {
            rows.push(row(l));
        }
        for r in rows {
            line(r);
        }
        if !notes.is_empty() {
            line(String::new());
            for n in notes {
                line(n);
            }
        }
        line(String::new());
        let growth = match (&b.home_unloaded, &b.home_unloaded_small) {
            (Some(big), Some(small)) => format!(
                "{}× (p50 {} ms at {} statuses → {} ms at {})",
                fmt(big.p50_ms / small.p50_ms, 1),
                fmt(small.p50_ms, 2),
                b.small_statuses,
                fmt(big.p50_ms, 2),
                b.statuses
            ),
            _ => "not measured".into(),
        };
        line("| other | value |".into());
        line("| --- | --- |".into());
        line(format!(
            "| start to ready (exec → first 200 of /api/v1/instance), seeded | {} ms (median of {:?}) |",
            fmt(median(&b.ready_seeded_ms), 0),
            b.ready_seeded_ms
                .iter()
                .map(|v| v.round())
                .collect::<Vec<_>>()
        ));
        line(format!(
            "| start to ready, empty database (first start: migrations, keys, admin) | {} ms (median of {:?}) |",
            fmt(median(&b.ready_empty_ms), 0),
            b.ready_empty_ms
                .iter()
                .map(|v| v.round())
                .collect::<Vec<_>>()
        ));
        line(format!(
            "| RSS idle: empty database / seeded / after the loads | {} / {} / {} MB |",
            fmt(b.rss_idle_empty_mb, 1),
            fmt(b.rss_idle_seeded_mb, 1),
            fmt(b.rss_after_loads_mb, 1)
        ));
        line(format!(
            "| home latency growth, 1 connection, {} → {} statuses | {growth} |",
            b.small_statuses, b.statuses
        ));
        line(format!(
            "| a new post in a follower's home timeline (POST answered → seen in a home read) | {} ms (max of 5) |",
            fmt(b.freshness_ms.iter().copied().fold(0.0, f64::max), 0)
        ));
        if let Some((left, secs)) = b.fan_out_backlog {
            line(format!(
                "| fan-out backlog when the posting load stopped → none left | {left} statuses → {secs:.2} s |"
            ));
        }
        line(format!(
            "| checks of the answers against the seed | {} of {} ok |",
            b.checks.iter().filter(|c| c.starts_with("ok")).count(),
            b.checks.len()
        ));
        line(format!(
            "| this backend's run | {:.1} min (working copy {:.0} s) |",
            b.seconds / 60.0,
            b.copy_seconds
        ));
        line(String::new());
    }
    s
}

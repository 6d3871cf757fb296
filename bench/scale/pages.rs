//! The employee web pages on the seed: how long the server takes to render each page's HTML
//! for a signed-in employee (and the public pages for a signed-out visitor), over HTTP from
//! the release binary, as a browser asks for them.
//!
//! For each backend, on a copy of the 1M seed:
//!
//! 1. browser sessions are started for `bench_reader` and `bench_poster` through the library
//!    (`sessions::create_session`, as signing in does), and the department's own directory is
//!    stored (`people::store_synced`, what the server's first directory sync does a minute after
//!    it starts), so `/people` lists the 10,000 employees with their interests;
//! 2. each page is fetched once: its status must be 200 and its HTML is measured (bytes);
//! 3. each page under `wrk` with 1 connection (the time one page takes: p50, p90, p99, max) and
//!    then with 32 connections (pages per second, and p99 when 32 browsers ask at once).
//!
//! The goal (the web app issue): server-rendered HTML under 100 ms; no page with over 100 KB
//! of JavaScript (`/static/app.js` is the only script, its size is reported).

use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use diesel::prelude::*;
use serde::Serialize;

use crate::Backends;
use crate::plan::Params;
use crate::run::{self, Load, Server, WorkCopy, fmt, fmt_rps};
use crate::seed::{self, Backend, Store};

#[derive(Debug, Clone, Args)]
pub struct PagesArgs {
    #[arg(long, value_enum, default_value = "both")]
    backend: Backends,
    #[arg(long, default_value_t = 10_000)]
    accounts: usize,
    #[arg(long, default_value_t = 1_000_000)]
    statuses: usize,
    #[arg(long, default_value_t = 1)]
    rng_seed: u64,
    /// Seconds of each measured wrk run (1 connection, then `connections`).
    #[arg(long, default_value_t = 5)]
    duration: u64,
    /// Seconds of warm-up before each page's measured runs (not counted).
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    #[arg(long, default_value_t = 32)]
    connections: u32,
    #[arg(long, default_value_t = 2)]
    threads: u32,
}

/// Who asks for a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
enum Visitor {
    Reader,
    Poster,
    SignedOut,
}

/// One page of the app, its address and who looks at it.
struct Page {
    name: &'static str,
    path: String,
    visitor: Visitor,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageResult {
    pub name: String,
    pub path: String,
    pub visitor: String,
    pub html_bytes: usize,
    pub single: Load,
    pub loaded: Load,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct BackendPages {
    pub backend: String,
    pub seed: String,
    pub load_average_before: String,
    pub load_average_after: String,
    pub pages: Vec<PageResult>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PagesResult {
    pub commit: String,
    pub date: String,
    pub cores: usize,
    pub duration_secs: u64,
    pub connections: u32,
    pub script_bytes: usize,
    pub backends: Vec<BackendPages>,
}

/// The pages measured: every page of the app that shows data of the seed.
fn pages(poster: &str, thread: &str) -> Vec<Page> {
    let page = |name, path: &str, visitor| Page {
        name,
        path: path.to_string(),
        visitor,
    };
    use Visitor::*;
    vec![
        page("home timeline", "/home", Reader),
        page("department timeline", "/local", Reader),
        page("company timeline", "/company", Reader),
        page("hashtag timeline #engineering", "/tags/engineering", Reader),
        page("home, second page", "", Reader),
        page("post with its thread", thread, Reader),
        page("profile (1,000 followers)", &format!("/@{poster}"), Reader),
        page("notifications", "/notifications", Poster),
        page("favourites", "/favourites", Reader),
        page(
            "people who know about #engineering",
            "/people?tag=engineering",
            Reader,
        ),
        page("people, first page", "/people", Reader),
        page("compose", "/compose", Reader),
        page("settings: profile", "/settings/profile", Reader),
        page(
            "public profile (signed out)",
            &format!("/@{poster}"),
            SignedOut,
        ),
        page("public post (signed out)", thread, SignedOut),
        page("sign-in page (signed out)", "/auth/sign_in", SignedOut),
    ]
}

pub fn pages_bench(store: &Store, args: PagesArgs) -> Result<()> {
    if std::process::Command::new("wrk")
        .arg("-v")
        .output()
        .is_err()
    {
        bail!("wrk is not installed: apt-get install -y wrk");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let started = Instant::now();
    let mut result = PagesResult {
        commit: run::commit(),
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        duration_secs: args.duration,
        connections: args.connections,
        script_bytes: 0,
        backends: Vec::new(),
    };
    for backend in args.backend.list() {
        let (b, script) = pages_backend(store, &args, backend, &runtime)?;
        result.script_bytes = script;
        result.backends.push(b);
    }
    let results_dir = store.cache.join("results");
    std::fs::create_dir_all(&results_dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let json = results_dir.join(format!("pages-{stamp}.json"));
    std::fs::write(&json, serde_json::to_vec_pretty(&result)?)?;
    let md = report(&result);
    std::fs::write(results_dir.join(format!("pages-{stamp}.md")), &md)?;
    println!("\n{md}");
    println!(
        "Took {:.1} min; results in {}",
        started.elapsed().as_secs_f64() / 60.0,
        json.display()
    );
    Ok(())
}

/// What the pages need that the seed does not hold: two browser sessions and the
/// department's own directory. Returns the cookies (reader, poster), the poster's username
/// and the address of the single status's page.
fn prepare(copy: &WorkCopy, m: &seed::Manifest) -> Result<(String, String, String, String)> {
    use groundswell::db::schema::{accounts, statuses};
    use groundswell::service::{people, sessions, users};
    let db = groundswell::db::Db::open(&groundswell::config::DatabaseSettings {
        url: groundswell::config::DatabaseUrl::parse(&copy.url)
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        ..Default::default()
    })?;
    let status_id: i64 = m.status_id.parse().context("the seed's status id")?;
    let found = db.write_blocking(move |conn| {
        let reader = users::find_local_user(conn, "bench_reader")?;
        let poster = users::find_local_user(conn, "bench_poster")?;
        let ua = Some("scale benchmark (pages)".to_string());
        let reader_cookie = sessions::create_session(conn, &reader, 24, ua.clone())?;
        let poster_cookie = sessions::create_session(conn, &poster, 24, ua)?;
        let ours = people::all_published(conn)?;
        people::store_synced(conn, crate::plan::DOMAIN, &ours)?;
        let author: String = statuses::table
            .inner_join(accounts::table.on(accounts::id.eq(statuses::account_id)))
            .filter(statuses::id.eq(status_id))
            .select(accounts::username)
            .first(conn)?;
        Ok((
            reader_cookie,
            poster_cookie,
            poster.account.username.clone(),
            format!("/@{author}/{status_id}"),
        ))
    });
    found.map_err(|e| anyhow::anyhow!("{e}"))
}

fn pages_backend(
    store: &Store,
    args: &PagesArgs,
    backend: Backend,
    rt: &tokio::runtime::Runtime,
) -> Result<(BackendPages, usize)> {
    let params = Params {
        accounts: args.accounts,
        statuses: args.statuses,
        rng_seed: args.rng_seed,
    };
    let m = seed::ensure(store, backend, params, false)?;
    let mut r = BackendPages {
        backend: backend.title().to_string(),
        seed: m.key.clone(),
        load_average_before: run::load_average(),
        ..Default::default()
    };
    println!(
        "\n== {} pages ({}), load average {}",
        backend.title(),
        m.key,
        r.load_average_before
    );
    let copy = WorkCopy::make(store, &m, backend)?;
    let (reader, poster, poster_name, thread) = prepare(&copy, &m)?;
    let work = tempfile::Builder::new()
        .prefix("groundswell-pages-")
        .tempdir_in(&store.cache)?;
    let results = store.cache.join("results");
    std::fs::create_dir_all(&results)?;
    let log = results.join(format!("server-pages-{}.log", backend.name()));
    let _ = std::fs::remove_file(&log);
    let (server, _) = Server::start(&copy.url, &work.path().join("data"), &log)?;
    let base = server.base();
    let cookie = |v: Visitor| match v {
        Visitor::Reader => format!("Cookie: gs_session={reader}"),
        Visitor::Poster => format!("Cookie: gs_session={poster}"),
        Visitor::SignedOut => "Accept: text/html".to_string(),
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let fetch = |path: String, header: String| {
        let client = client.clone();
        let url = format!("{base}{path}");
        async move {
            let (name, value) = header.split_once(": ").unwrap_or(("Accept", "text/html"));
            let answer = client.get(&url).header(name, value).send().await?;
            let status = answer.status().as_u16();
            let body = answer.text().await?;
            anyhow::Ok((status, body))
        }
    };
    let (status, script) = rt.block_on(fetch("/static/app.js".into(), String::new()))?;
    if status != 200 {
        bail!("/static/app.js answered {status}");
    }
    // The second page of home: the first page's "Older posts" link.
    let (_, first) = rt.block_on(fetch("/home".into(), cookie(Visitor::Reader)))?;
    let older = first
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.starts_with("/home?max_id="))
        .context("the home page has no link to older posts")?
        .replace("&amp;", "&");
    for mut page in pages(&poster_name, &thread) {
        if page.path.is_empty() {
            page.path = older.clone();
        }
        let header = cookie(page.visitor);
        let (status, html) = rt.block_on(fetch(page.path.clone(), header.clone()))?;
        if status != 200 {
            bail!("{} ({}) answered {status}", page.name, page.path);
        }
        if page.visitor != Visitor::SignedOut && !html.contains("Signed in as") {
            bail!("{} ({}) is not the signed-in page", page.name, page.path);
        }
        let url = format!("{base}{}", page.path);
        server.wait_idle();
        if args.warmup > 0 {
            run::wrk_with(page.name, &url, &header, "get.lua", 1, 1, args.warmup)?;
        }
        let single = run::wrk_with(page.name, &url, &header, "get.lua", 1, 1, args.duration)?;
        server.wait_idle();
        let loaded = run::wrk_with(
            page.name,
            &url,
            &header,
            "get.lua",
            args.threads,
            args.connections,
            args.duration,
        )?;
        println!(
            "  {:<40} {:>7} B  1 conn.: p50 {:>7.2} p99 {:>7.2} ms  {} conn.: {:>6} pages/s p99 {:>8.2} ms  ≥400 {}",
            page.name,
            html.len(),
            single.p50_ms,
            single.p99_ms,
            args.connections,
            fmt_rps(loaded.rps),
            loaded.p99_ms,
            single.bad_status + loaded.bad_status
        );
        r.pages.push(PageResult {
            name: page.name.to_string(),
            path: page.path,
            visitor: format!("{:?}", page.visitor),
            html_bytes: html.len(),
            single,
            loaded,
        });
    }
    server.stop();
    r.load_average_after = run::load_average();
    drop(copy);
    Ok((r, script.len()))
}

fn visitor_label(v: &str) -> &'static str {
    match v {
        "Poster" => "bench_poster",
        "SignedOut" => "signed out",
        _ => "bench_reader",
    }
}

/// The results as the Markdown tables of BENCHMARKS.md.
pub fn report(r: &PagesResult) -> String {
    let mut s = String::new();
    let mut line = |l: String| {
        s.push_str(&l);
        s.push('\n');
    };
    line(format!(
        "Measured {} on commit `{}`, {} cores; each page {} s with 1 connection, then {} s with {} connections (wrk); `/static/app.js` (the only script) is {:.1} KB.",
        r.date,
        r.commit,
        r.cores,
        r.duration_secs,
        r.duration_secs,
        r.connections,
        r.script_bytes as f64 / 1024.0
    ));
    for b in &r.backends {
        line(String::new());
        line(format!(
            "#### {} — seed `{}`; load average {} before, {} after",
            b.backend, b.seed, b.load_average_before, b.load_average_after
        ));
        line(String::new());
        line(format!(
            "| page | as | HTML KB | p50 ms | p90 ms | p99 ms | max ms | pages/s, {} conn. | p99 ms, {} conn. | ≥400 |",
            r.connections, r.connections
        ));
        line("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |".into());
        for p in &b.pages {
            line(format!(
                "| {} (`{}`) | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                p.name,
                p.path,
                visitor_label(&p.visitor),
                fmt(p.html_bytes as f64 / 1024.0, 1),
                fmt(p.single.p50_ms, 2),
                fmt(p.single.p90_ms, 2),
                fmt(p.single.p99_ms, 2),
                fmt(p.single.max_ms, 2),
                fmt_rps(p.loaded.rps),
                fmt(p.loaded.p99_ms, 2),
                p.single.bad_status + p.loaded.bad_status + p.single.errors + p.loaded.errors
            ));
        }
    }
    s
}

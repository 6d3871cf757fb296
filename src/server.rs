//! Starting and stopping the HTTP server.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use actix_web::dev::{ServerHandle, Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{NormalizePath, TrailingSlash};
use actix_web::{App, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::context::AppContext;
use crate::db::{self, Db};
use crate::prometheus::Metrics;
use crate::service;
use crate::service::events::{Event, EventBus};
use tokio::sync::broadcast;

/// How many queued statuses one fan-out transaction takes.
const FAN_OUT_BATCH: i64 = 200;
/// How long the fan-out worker gathers new statuses before it fans them out together.
const FAN_OUT_GATHER: Duration = Duration::from_millis(200);

/// A server that is listening; await [`RunningServer::stopped`] to wait until it stops.
///
/// Everything of the server that holds a database connection on a thread of its own (the
/// delivery worker, the PostgreSQL event listener) ends in [`RunningServer::stopped`]: a
/// process must not exit while one of them is inside libpq (that crashes it).
pub struct RunningServer {
    pub addr: SocketAddr,
    pub handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The federation delivery worker; it stops on the shutdown event.
    worker: tokio::task::JoinHandle<()>,
    events: EventBus,
}

impl RunningServer {
    /// Wait until the server has stopped (after Ctrl-C, SIGTERM or [`ServerHandle::stop`]),
    /// then its delivery worker (send the shutdown event first) and its event listener.
    pub async fn stopped(self) -> anyhow::Result<()> {
        let served = self.task.await;
        let _ = self.worker.await;
        let events = self.events;
        tokio::task::spawn_blocking(move || events.stop_listener()).await?;
        served??;
        Ok(())
    }

    /// Stop now: close the streams, stop accepting, let in-flight requests finish when
    /// `graceful` (up to `http.shutdown_timeout_secs`), and wait for everything to end.
    pub async fn stop(self, graceful: bool) -> anyhow::Result<()> {
        self.events.shutdown();
        self.handle.stop(graceful).await;
        self.stopped().await
    }
}

/// Open the database, apply migrations if configured, and return the application context.
pub async fn prepare(settings: Settings) -> anyhow::Result<AppContext> {
    let db_settings = settings.database.clone();
    let db = tokio::task::spawn_blocking(move || Db::open(&db_settings)).await??;
    if settings.database.auto_migrate {
        let migrating = db.clone();
        let applied = tokio::task::spawn_blocking(move || {
            let mut conn = migrating.get_blocking()?;
            db::run_migrations(&mut conn)
        })
        .await?
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        for version in &applied {
            tracing::info!(version, "migration applied");
        }
    }
    let ctx = AppContext::new(settings, db);
    if ctx.policy.enabled()
        && let Err(e) = crate::apub::init(&ctx).await
    {
        // Typically: migrations not applied yet (`database.auto_migrate = false`). The
        // delivery worker retries; until then federation endpoints answer 503.
        tracing::warn!(error = %e, "federation is not ready yet; retrying in the background");
    }
    Ok(ctx)
}

/// Every route of the application: the layers' own, on the shared extractor settings.
fn routes(cfg: &mut web::ServiceConfig, ctx: &AppContext) {
    crate::http::configure(cfg, &ctx.settings.http);
    cfg.configure(crate::api::configure)
        .configure(crate::web::configure)
        .configure(crate::apub::configure)
        .default_service(web::to(crate::http::not_found));
}

/// Count an answered request for `/metrics`, by its route's template (the pattern that matched
/// once the route table has seen it, e.g. `/api/v1/statuses/{id}`: never the path, which
/// holds ids and usernames), method and status.
fn count_request<B>(
    metrics: &Metrics,
    answer: &Result<ServiceResponse<B>, actix_web::Error>,
    method: &Method,
    started: Instant,
) {
    let (route, status) = match answer {
        Ok(res) => (res.request().match_pattern(), res.status().as_u16()),
        Err(e) => (None, e.as_response_error().status_code().as_u16()),
    };
    let route = route.unwrap_or_else(|| crate::prometheus::UNMATCHED_ROUTE.to_string());
    metrics.observe_request(route, method.as_str(), status, started.elapsed());
}

/// Bind `http.bind` and start serving in the background.
pub fn start(ctx: AppContext) -> anyhow::Result<RunningServer> {
    start_listening(ctx, None)
}

/// Start serving in the background on a socket that is already bound (so a caller can learn
/// its port before it chooses the instance's domain, with no window for another process to
/// take the port).
pub fn start_on(ctx: AppContext, listener: std::net::TcpListener) -> anyhow::Result<RunningServer> {
    start_listening(ctx, Some(listener))
}

fn start_listening(
    ctx: AppContext,
    listener: Option<std::net::TcpListener>,
) -> anyhow::Result<RunningServer> {
    let settings = ctx.settings.clone();
    let events = ctx.events.clone();
    let data = web::Data::new(ctx.clone());
    let ctx_for_worker = ctx.clone();
    let metrics = ctx.metrics.clone();
    let factory_ctx = ctx;
    let mut server = HttpServer::new(move || {
        let metrics = metrics.clone();
        App::new()
            // Clients send `/api/v1/statuses/` as often as `/api/v1/statuses`.
            .wrap(NormalizePath::new(TrailingSlash::Trim))
            .wrap(TracingLogger::default())
            .wrap_fn(move |req, srv| {
                let (metrics, started) = (metrics.clone(), Instant::now());
                let method = req.method().clone();
                let answer = srv.call(req);
                async move {
                    let answer = answer.await;
                    count_request(&metrics, &answer, &method, started);
                    answer
                }
            })
            .app_data(data.clone())
            .configure(|cfg| routes(cfg, &factory_ctx))
    })
    // Signals are handled in `serve`, so that they are caught from the moment we say we serve.
    .disable_signals()
    .shutdown_timeout(settings.http.shutdown_timeout_secs)
    .keep_alive(Duration::from_secs(settings.http.keep_alive_secs))
    .client_request_timeout(Duration::from_secs(30));
    if settings.http.workers > 0 {
        server = server.workers(settings.http.workers);
    }
    let server = match listener {
        Some(listener) => {
            let addr = listener.local_addr()?;
            server
                .listen(listener)
                .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?
        }
        None => server
            .bind(settings.http.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.http.bind))?,
    };
    let addr = server
        .addrs()
        .first()
        .copied()
        .unwrap_or(settings.http.bind);
    let server = server.run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    // Live streams hear the events of every app node (PostgreSQL); stopped in `stopped`.
    events.start_listener(&settings.database.url);
    watch_other_writers(&ctx_for_worker);
    fan_out_queued(&ctx_for_worker);
    publish_scheduled(&ctx_for_worker);
    send_pushes(&ctx_for_worker);
    roll_up_metrics(&ctx_for_worker);
    sync_directory(&ctx_for_worker);
    let worker =
        crate::apub::delivery::spawn(ctx_for_worker, crate::apub::delivery::node_name(addr));
    Ok(RunningServer {
        addr,
        handle,
        task,
        worker,
        events,
    })
}

/// Fan-out: new statuses are queued for their audience's feeds by the request that publishes
/// them, and fanned out here as they come, many per transaction. Ends with the server.
fn fan_out_queued(ctx: &AppContext) {
    let (db, events) = (ctx.db.clone(), ctx.events.clone());
    tokio::spawn(async move {
        let mut heard = events.subscribe();
        loop {
            loop {
                match db
                    .write(|conn| crate::service::feeds::fan_out_queued(conn, FAN_OUT_BATCH))
                    .await
                {
                    Ok(n) if (n as i64) < FAN_OUT_BATCH => break,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot fan out new statuses");
                        break;
                    }
                }
            }
            // Woken by a new status on any node, or once a second in any case; then the
            // statuses of the next moment are gathered, so that they share each follower's
            // feed pages (home pages read the queue meanwhile).
            let wake = tokio::time::sleep(Duration::from_secs(1));
            tokio::pin!(wake);
            loop {
                tokio::select! {
                    event = heard.recv() => match event {
                        Ok(Event::StatusCreated { .. })
                        | Err(broadcast::error::RecvError::Lagged(_)) => break,
                        Ok(Event::Shutdown)
                        | Err(broadcast::error::RecvError::Closed) => return,
                        Ok(_) => {}
                    },
                    _ = &mut wake => break,
                }
            }
            tokio::time::sleep(FAN_OUT_GATHER).await;
        }
    });
}

/// Scheduled posts: published when due (checked every second), by whichever node claims them
/// first. Ends with the server.
fn publish_scheduled(ctx: &AppContext) {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let mut heard = ctx.events.subscribe();
        loop {
            match crate::service::scheduled::publish_due(&ctx).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(posts = n, "published scheduled posts"),
                Err(e) => tracing::warn!(error = %e, "cannot publish scheduled posts"),
            }
            let wake = tokio::time::sleep(Duration::from_secs(1));
            tokio::pin!(wake);
            loop {
                tokio::select! {
                    event = heard.recv() => match event {
                        Ok(Event::Shutdown) | Err(broadcast::error::RecvError::Closed) => return,
                        _ => {}
                    },
                    _ = &mut wake => break,
                }
            }
        }
    });
}

/// The people directory: every `directory.sync_interval_secs`, whichever node holds the
/// lease stores this department's own discoverable employees and fetches every other
/// department's (`GET /directory` there). A department that cannot be read keeps its last
/// complete copy; the failure is noted (`directory_syncs`) and logged.
fn sync_directory(ctx: &AppContext) {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let node = crate::db::ids::next_id().to_string();
        let interval = ctx.settings.directory.sync_interval_secs.max(1);
        let lease_secs = i64::try_from(interval * 2).unwrap_or(i64::MAX);
        let mut heard = ctx.events.subscribe();
        // The first sync a minute after start (or after one interval, if shorter): a server
        // restarted in a hurry, or started only briefly, does not fetch every department.
        let first = tokio::time::Instant::now() + Duration::from_secs(interval.min(60));
        let mut tick = tokio::time::interval_at(first, Duration::from_secs(interval));
        loop {
            tokio::select! {
                event = heard.recv() => {
                    if matches!(
                        event,
                        Ok(Event::Shutdown) | Err(broadcast::error::RecvError::Closed)
                    ) {
                        return;
                    }
                }
                _ = tick.tick() => {
                    if let Err(e) = sync_directory_once(&ctx, &node, lease_secs).await {
                        tracing::warn!(error = %e, "the people directory could not be synced");
                    }
                }
            }
        }
    });
}

async fn sync_directory_once(
    ctx: &AppContext,
    node: &str,
    lease_secs: i64,
) -> crate::error::Result<()> {
    use crate::service::people;
    let node = node.to_string();
    let held = ctx
        .db
        .write(move |conn| service::metrics::lease(conn, "directory_sync", &node, lease_secs))
        .await?;
    if !held {
        return Ok(());
    }
    let own = ctx.settings.instance.domain.as_str().to_string();
    let policy = ctx.policy.current().await?;
    let (ours, departments) = {
        let own = own.clone();
        ctx.db
            .read(move |conn| {
                Ok((
                    people::all_published(conn)?,
                    people::departments(conn, &policy, &own)?,
                ))
            })
            .await?
    };
    {
        let own = own.clone();
        ctx.db
            .write(move |conn| people::store_synced(conn, &own, &ours).map(drop))
            .await?;
    }
    let mut keep = vec![own];
    for domain in departments {
        keep.push(domain.clone());
        let fetched = crate::apub::directory::fetch(ctx, &domain).await;
        let result = ctx
            .db
            .write(move |conn| match fetched {
                Ok(found) => people::store_synced(conn, &domain, &found).map(drop),
                Err(error) => {
                    tracing::warn!(department = %domain, %error, "cannot read a department's directory");
                    people::record_sync(conn, &domain, Err(error))
                }
            })
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "cannot store a department's directory");
        }
    }
    ctx.db
        .write(move |conn| people::forget_departments_except(conn, &keep))
        .await
}

/// Engagement metrics: who this node saw active (and when tokens and sessions were last
/// used) is written every 10 seconds (and when the
/// server stops); every `metrics.rollup_interval_secs` today and yesterday are rolled up by
/// whichever node holds the roll-up's lease, and once an hour the last seven days (questions
/// answered late).
fn roll_up_metrics(ctx: &AppContext) {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let node = crate::db::ids::next_id().to_string();
        let interval = ctx.settings.metrics.rollup_interval_secs.max(1);
        let lease_secs = i64::try_from(interval * 2).unwrap_or(i64::MAX);
        let mut heard = ctx.events.subscribe();
        let mut flush = tokio::time::interval(Duration::from_secs(10));
        let mut rollup = tokio::time::interval(Duration::from_secs(interval));
        let mut ticks: u64 = 0;
        loop {
            tokio::select! {
                event = heard.recv() => {
                    if matches!(
                        event,
                        Ok(Event::Shutdown) | Err(broadcast::error::RecvError::Closed)
                    ) {
                        service::metrics::flush_activity(&ctx).await;
                        return;
                    }
                }
                _ = flush.tick() => service::metrics::flush_activity(&ctx).await,
                _ = rollup.tick() => {
                    service::metrics::flush_activity(&ctx).await;
                    let node = node.clone();
                    let tags = ctx.settings.metrics.question_tags.clone();
                    // Today and yesterday; the last week once an hour (late answers).
                    ticks += 1;
                    let days = if ticks % (3600 / interval).max(1) == 1 { 7 } else { 2 };
                    // The lease in one short write; each day computed in a read and
                    // stored in a short write, so posting never waits on the roll-up.
                    let done: crate::error::Result<bool> = async {
                        let held = ctx
                            .db
                            .write(move |conn| {
                                service::metrics::lease(conn, "metrics_rollup", &node, lease_secs)
                            })
                            .await?;
                        if !held {
                            return Ok(false);
                        }
                        let today = chrono::Utc::now().date_naive();
                        for back in (0..days).rev() {
                            let day = today - chrono::Duration::days(back);
                            let tags = tags.clone();
                            let figures = ctx
                                .db
                                .read(move |conn| service::metrics::compute_day(conn, day, &tags))
                                .await?;
                            ctx.db
                                .write(move |conn| service::metrics::store_day(conn, &figures))
                                .await?;
                        }
                        Ok(true)
                    }
                    .await;
                    match done {
                        Ok(true) => tracing::debug!("rolled up the engagement metrics"),
                        Ok(false) => {}
                        Err(e) => tracing::warn!(error = %e, "cannot roll up the engagement metrics"),
                    }
                }
            }
        }
    });
}

/// Web Push: the pushes queued with new notifications, sent by whichever node claims them
/// (woken by a notification on any node, else once a second). Ends with the server.
fn send_pushes(ctx: &AppContext) {
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let client = match service::push::client(&ctx) {
            Ok(client) => client,
            Err(e) => {
                tracing::error!(error = %e, "cannot build the Web Push client; no pushes are sent");
                return;
            }
        };
        let mut heard = ctx.events.subscribe();
        loop {
            match service::push::send_due(&ctx, &client).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(pushes = n, "sent pushes"),
                Err(e) => tracing::warn!(error = %e, "cannot send pushes"),
            }
            let wake = tokio::time::sleep(Duration::from_secs(1));
            tokio::pin!(wake);
            loop {
                tokio::select! {
                    event = heard.recv() => match event {
                        Ok(Event::Notification { .. })
                        | Err(broadcast::error::RecvError::Lagged(_)) => break,
                        Ok(Event::Shutdown) | Err(broadcast::error::RecvError::Closed) => return,
                        Ok(_) => {}
                    },
                    _ = &mut wake => break,
                }
            }
        }
    });
}

/// SQLite: what another process (the CLI) changed was announced to nobody; when the database
/// changed under this process, its caches are emptied (within a tenth of a second). Ends
/// with the server.
fn watch_other_writers(ctx: &AppContext) {
    if ctx.db.backend() != crate::db::Backend::Sqlite {
        return;
    }
    let (db, caches) = (ctx.db.clone(), ctx.caches.clone());
    let mut events = ctx.events.subscribe();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(100));
        loop {
            tokio::select! {
                _ = every.tick() => {}
                event = events.recv() => match event {
                    Ok(Event::Shutdown) | Err(broadcast::error::RecvError::Closed) => return,
                    _ => continue,
                },
            }
            match db.written_elsewhere().await {
                Ok(true) => caches.clear(),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "cannot tell whether the database changed"),
            }
        }
    });
}

/// `groundswell serve`: prepare, make sure someone can sign in, serve until stopped.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let ctx = prepare(settings).await?;
    // With SSO only, admins come from the provider's admin groups: no password admin.
    let admin = if ctx.settings.auth.oidc.sso_only() {
        None
    } else {
        service::setup::ensure_initial_admin(&ctx.db, &ctx.settings)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
    };
    if let Some(sso) = ctx.sso.as_ref() {
        // Serve anyway (API tokens keep working), but say clearly what is wrong.
        if let Err(problem) = sso.check().await {
            eprintln!("warning: {problem} Sign-in will retry when someone signs in.");
        }
    }
    let running = start(ctx.clone())?;
    let stop_signal = shutdown_signal()?;
    spawn_jobs(&ctx);
    let public = ctx.settings.instance.base_url();
    // Printed, not logged: the one-time password must not end up in log files.
    println!(
        "Groundswell {} serving {} ({} database) on http://{}",
        env!("CARGO_PKG_VERSION"),
        public.as_str().trim_end_matches('/'),
        ctx.db.backend_name(),
        running.addr
    );
    if let Some(admin) = admin {
        println!();
        println!("First start: created the administrator account.");
        println!("  username: {}", admin.username);
        println!("  password: {}", admin.password);
        println!(
            "This password is shown only once. Sign in at {}/auth/sign_in or from any Mastodon app.",
            public.as_str().trim_end_matches('/')
        );
        println!();
    }
    tracing::info!(addr = %running.addr, url = %public, "listening");
    let handle = running.handle.clone();
    let events = ctx.events.clone();
    tokio::spawn(async move {
        let signal = stop_signal.await;
        tracing::info!(signal, "shutting down: finishing in-flight requests");
        events.shutdown();
        // Graceful: stop accepting, let in-flight requests finish (up to shutdown_timeout_secs).
        handle.stop(true).await;
    });
    running.stopped().await?;
    tracing::info!("stopped");
    println!("Groundswell stopped.");
    Ok(())
}

/// Resolves with the signal's name on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed
/// when this is called, not when it is first polled.
pub fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = &'static str>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => "SIGINT",
                _ = terminate.recv() => "SIGTERM",
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        })
    }
}

/// Periodic work of this node: announce polls that ended, remove uploads never attached and
/// temporary upload files a crash left behind.
/// Safe with several nodes: each poll is claimed by one of them, deletes are idempotent.
fn spawn_jobs(ctx: &AppContext) {
    let (db, settings) = (ctx.db.clone(), ctx.settings.clone());
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            match db.write(crate::service::media::remove_orphans).await {
                Ok(folders) if folders.is_empty() => {}
                Ok(folders) => {
                    let settings = settings.clone();
                    let n = folders.len();
                    let _ = tokio::task::spawn_blocking(move || {
                        crate::service::media::delete_folders(&settings, &folders)
                    })
                    .await;
                    tracing::info!(uploads = n, "removed uploads never attached to a post");
                }
                Err(e) => tracing::warn!(error = %e, "cannot remove unattached uploads"),
            }
            let settings = settings.clone();
            let stale = tokio::task::spawn_blocking(move || {
                crate::service::media::remove_stale_uploads(&settings)
            })
            .await
            .unwrap_or(0);
            if stale > 0 {
                tracing::info!(
                    files = stale,
                    "removed temporary upload files left by a crash"
                );
            }
        }
    });
    // Home feeds: build those missing (accounts from before feeds, or after
    // `admin rebuild-feeds`), then keep each near its size. Several nodes may do this at once:
    // building twice and trimming twice give the same feeds.
    let (db, size) = (ctx.db.clone(), ctx.settings.limits.home_feed_size);
    tokio::spawn(async move {
        loop {
            match db
                .write(move |conn| crate::service::feeds::build_missing(conn, size, 1))
                .await
            {
                Ok(0) => break,
                Ok(n) => tracing::info!(feeds = n, "built home feeds"),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot build home feeds");
                    break;
                }
            }
        }
        let mut every = tokio::time::interval(Duration::from_secs(300));
        loop {
            every.tick().await;
            let mut after = 0;
            loop {
                let batch = db
                    .write(move |conn| crate::service::feeds::trim(conn, size, after, 200))
                    .await;
                match batch {
                    Ok(Some(last)) => after = last,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot trim home feeds");
                        break;
                    }
                }
            }
        }
    });
    let db = ctx.db.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(30));
        loop {
            every.tick().await;
            match db.write(crate::service::polls::notify_ended).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(polls = n, "announced ended polls"),
                Err(e) => tracing::warn!(error = %e, "cannot announce ended polls"),
            }
        }
    });
}

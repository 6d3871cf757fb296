//! `groundswell demo`: a company on one machine. Three departments (eng, sales, hr) on
//! loopback ports, each with its own SQLite database, federating with each other; seeded on
//! first start with employees who follow each other across departments and have posted.

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::prelude::*;

use crate::auth::password::Password;
use crate::auth::secrets;
use crate::config::{DatabaseUrl, Domain, Settings};
use crate::context::AppContext;
use crate::db::schema::follows;
use crate::server::{self, RunningServer};
use crate::service::origin::Origin;
use crate::service::policy::Verdict;
use crate::service::relationships::{self, FollowOptions};
use crate::service::statuses::{self, NewPost};
use crate::service::users::{self, Email, NewLocalUser, Role, Username};
use crate::service::visibility::Visibility;

struct Department {
    key: &'static str,
    name: &'static str,
    /// (username, display name, role)
    employees: &'static [(&'static str, &'static str, Role)],
}

const DEPARTMENTS: [Department; 3] = [
    Department {
        key: "eng",
        name: "Engineering",
        employees: &[
            ("alice", "Alice Martin", Role::Admin),
            ("bob", "Bob Chen", Role::User),
        ],
    },
    Department {
        key: "sales",
        name: "Sales",
        employees: &[
            ("carol", "Carol Diaz", Role::Admin),
            ("dave", "Dave Okafor", Role::User),
        ],
    },
    Department {
        key: "hr",
        name: "People & HR",
        employees: &[("erin", "Erin Novak", Role::Admin)],
    },
];

/// An employee of a department: (index in `DEPARTMENTS`, username).
type Employee = (usize, &'static str);

/// Who follows whom.
const FOLLOWS: [(Employee, Employee); 8] = [
    ((1, "carol"), (0, "alice")),
    ((1, "carol"), (2, "erin")),
    ((0, "alice"), (1, "carol")),
    ((1, "dave"), (0, "bob")),
    ((0, "bob"), (1, "dave")),
    ((2, "erin"), (0, "alice")),
    ((2, "erin"), (1, "carol")),
    ((0, "alice"), (2, "erin")),
];

/// (department, username, text, visibility)
const POSTS: [(usize, &str, &str, Visibility); 5] = [
    (
        0,
        "alice",
        "Welcome to Groundswell! Engineering is here — ask us anything about the new build system. #eng",
        Visibility::Public,
    ),
    (
        0,
        "alice",
        "Engineering only: the release branch is cut on Thursday. (Department-only: other departments never see this.)",
        Visibility::Local,
    ),
    (
        1,
        "carol",
        "Sales kickoff is Monday at 10:00. @alice@ENG can your team demo the new dashboard? #kickoff",
        Visibility::Public,
    ),
    (
        1,
        "dave",
        "Closed the Northwind renewal today. Thanks @bob@ENG for the quick fix!",
        Visibility::Public,
    ),
    (
        2,
        "erin",
        "Benefits enrollment opens next week. Questions welcome here. #benefits",
        Visibility::Public,
    ),
];

pub async fn run(
    base: Settings,
    base_port: u16,
    data_dir: PathBuf,
    fresh: bool,
) -> anyhow::Result<()> {
    if fresh && data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)
            .map_err(|e| anyhow::anyhow!("cannot remove {}: {e}", data_dir.display()))?;
    }
    std::fs::create_dir_all(&data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", data_dir.display()))?;
    let listeners = bind_ports(base_port)?;
    let ports = listeners
        .iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect::<std::io::Result<Vec<u16>>>()?;
    let domains: Vec<String> = ports.iter().map(|p| format!("localhost:{p}")).collect();

    let mut running: Vec<(RunningServer, AppContext)> = Vec::new();
    for ((i, dept), listener) in DEPARTMENTS.iter().enumerate().zip(listeners) {
        let settings = department_settings(&base, &data_dir, dept, ports[i], &domains, i)?;
        let ctx = server::prepare(settings).await?;
        let server = server::start_on(ctx.clone(), listener)?;
        running.push((server, ctx));
    }
    let password_file = data_dir.join("passwords.txt");
    let seeded = password_file.exists();
    let password = if seeded {
        std::fs::read_to_string(&password_file)?.trim().to_string()
    } else {
        let password = secrets::new_password();
        seed(&running, &password).await?;
        std::fs::write(&password_file, format!("{password}\n"))?;
        password
    };

    println!();
    println!("Groundswell demo: three departments federating on this machine.");
    println!();
    for (i, dept) in DEPARTMENTS.iter().enumerate() {
        let who: Vec<&str> = dept.employees.iter().map(|e| e.0).collect();
        println!(
            "  {:<12} http://{:<16} employees: {}",
            dept.name,
            domains[i],
            who.join(", ")
        );
    }
    println!();
    println!("  Every employee's password: {password}");
    println!(
        "  Sign in at http://{}/auth/sign_in, or point any Mastodon app at a department's URL.",
        domains[0]
    );
    println!(
        "  Data: {} (start again to keep it, --fresh to start over).",
        data_dir.display()
    );
    println!();
    println!("Press Ctrl-C to stop.");

    let stop = server::shutdown_signal()?;
    let signal = stop.await;
    tracing::info!(signal, "stopping the demo");
    for (server, _ctx) in running {
        server.stop(true).await?;
    }
    println!("Groundswell demo stopped.");
    Ok(())
}

/// One loopback socket per department: `base_port`, the next and the one after, or with
/// `--base-port 0` any free ports (the domains follow the ports; data kept under one port
/// is addressed by it, so keep to fixed ports for a demo you mean to restart).
fn bind_ports(base_port: u16) -> anyhow::Result<Vec<std::net::TcpListener>> {
    (0..DEPARTMENTS.len() as u16)
        .map(|i| {
            let port = if base_port == 0 {
                0
            } else {
                base_port
                    .checked_add(i)
                    .ok_or_else(|| anyhow::anyhow!("--base-port {base_port} is too high"))?
            };
            std::net::TcpListener::bind(("127.0.0.1", port))
                .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))
        })
        .collect()
}

fn department_settings(
    base: &Settings,
    data_dir: &Path,
    dept: &Department,
    port: u16,
    domains: &[String],
    index: usize,
) -> anyhow::Result<Settings> {
    let mut s = base.clone();
    let dir = data_dir.join(dept.key);
    std::fs::create_dir_all(&dir)?;
    s.instance.domain =
        Domain::parse(&domains[index]).map_err(|e| anyhow::anyhow!("demo domain: {e}"))?;
    s.instance.https = Some(false);
    s.instance.name = format!("{} (demo)", dept.name);
    s.instance.description = format!("The {} department of the Groundswell demo.", dept.name);
    s.http.bind = format!("127.0.0.1:{port}").parse()?;
    s.http.workers = 1;
    s.database.url = DatabaseUrl::parse(&format!(
        "sqlite://{}",
        dir.join("groundswell.sqlite3").display()
    ))
    .map_err(|e| anyhow::anyhow!("demo database: {e}"))?;
    s.database.auto_migrate = true;
    s.storage.data_dir = dir;
    s.federation.enabled = true;
    s.federation.allow_http = true;
    s.federation.max_retry_interval_secs = 10;
    s.federation.allowed_domains = domains
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != index)
        .map(|(_, d)| d.clone())
        .collect();
    Ok(s)
}

async fn seed(running: &[(RunningServer, AppContext)], password: &str) -> anyhow::Result<()> {
    for (i, dept) in DEPARTMENTS.iter().enumerate() {
        let ctx = &running[i].1;
        for (username, display_name, role) in dept.employees {
            let prepared = {
                let password = password.to_string();
                let (username, display_name, role, key) =
                    (*username, *display_name, *role, dept.key);
                tokio::task::spawn_blocking(move || {
                    NewLocalUser::prepare(
                        Username::parse(username)?,
                        Email::parse(&format!("{username}@{key}.corp.example"))?,
                        Some(display_name.to_string()),
                        role,
                        Some(&Password::parse(&password)?),
                    )
                })
                .await??
            };
            let instance = ctx.settings.instance.clone();
            ctx.db
                .write(move |conn| users::create_local_user(conn, &instance, prepared))
                .await?;
        }
    }
    for ((from_dept, from), (to_dept, to)) in FOLLOWS {
        let ctx = &running[from_dept].1;
        let target_domain = running[to_dept]
            .1
            .settings
            .instance
            .domain
            .as_str()
            .to_string();
        let target = crate::service::remote::account(ctx, &format!("{to}@{target_domain}")).await?;
        let from = from.to_string();
        let settings = ctx.settings.clone();
        ctx.db
            .write(move |conn| {
                let me = users::find_local_user(conn, &from)?;
                relationships::follow(
                    conn,
                    &settings,
                    &me.account,
                    target.id,
                    FollowOptions::default(),
                    Origin::Local,
                )
            })
            .await?;
    }
    // The follows must be accepted before the posts below, or they would not reach the
    // followers.
    wait_for(running, "the follows to be accepted", |conn| {
        Ok(follows::table
            .filter(follows::accepted.eq(false))
            .count()
            .get_result::<i64>(conn)?)
    })
    .await?;
    for (dept, username, text, visibility) in POSTS {
        let ctx = &running[dept].1;
        let text = text.replace(
            "@ENG",
            &format!("@{}", running[0].1.settings.instance.domain.as_str()),
        );
        let (settings, username) = (ctx.settings.clone(), username.to_string());
        ctx.db
            .write(move |conn| {
                let author = users::find_local_user(conn, &username)?;
                statuses::create(
                    conn,
                    &settings,
                    &author,
                    NewPost {
                        text,
                        visibility: Some(visibility),
                        ..Default::default()
                    },
                    // A demo department starts without policy rules.
                    Verdict::default(),
                )
            })
            .await?;
    }
    // Ready means ready: every post has reached the other departments.
    wait_for(running, "the posts to reach every department", |conn| {
        let queue = crate::service::outbox::stats(conn)?;
        Ok(queue.unprepared + queue.pending)
    })
    .await
}

/// Wait until `outstanding` counts nothing left in any department (a minute at most: on a
/// loaded machine federation takes a while, but it never takes that long).
async fn wait_for(
    running: &[(RunningServer, AppContext)],
    what: &str,
    outstanding: fn(&mut crate::db::DbConnection) -> crate::error::Result<i64>,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let mut left = 0;
        for (_, ctx) in running {
            left += ctx.db.read(outstanding).await?;
        }
        if left == 0 {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!("the demo could not start: timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

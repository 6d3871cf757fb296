//! What the instance says about itself: counts and its contact; and the keys of the
//! instance actor, which signs our fetches of other departments' objects.

use activitypub_federation::http_signatures::generate_actor_keypair;
use chrono::{Duration, Utc};
use diesel::prelude::*;

use std::sync::Arc;

use crate::context::AppContext;
use crate::db::DbConnection;
use crate::db::models::Account;
use crate::db::schema::{accounts, instance_keys, users};
use crate::error::{Error, Result};

/// Where Groundswell's source lives (AGPL-3.0): in the Mastodon API's instance entity and in
/// NodeInfo, so it sits below both.
pub const SOURCE_URL: &str = "https://github.com/groundswell/groundswell";

pub struct InstanceStats {
    pub user_count: i64,
    pub status_count: i64,
    /// Other departments' instances we know accounts of.
    pub domain_count: i64,
    /// Employees who posted in the last 30 / 180 days.
    pub active_month: i64,
    pub active_halfyear: i64,
}

pub fn stats(conn: &mut DbConnection) -> Result<InstanceStats> {
    let user_count = users::table
        .inner_join(accounts::table)
        .filter(accounts::suspended_at.is_null())
        .count()
        .get_result(conn)?;
    // As Mastodon counts it: the employees' own counters (boosts included), not a count of
    // a million rows.
    let status_count: i64 = users::table
        .inner_join(accounts::table)
        .select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "CAST(COALESCE(SUM(accounts.statuses_count), 0) AS BIGINT)",
        ))
        .first(conn)?;
    let domain_count = accounts::table
        .filter(accounts::domain.is_not_null())
        .select(accounts::domain)
        .distinct()
        .count()
        .get_result(conn)?;
    let active_since = |conn: &mut DbConnection, days: i64| -> Result<i64> {
        Ok(users::table
            .inner_join(accounts::table)
            .filter(accounts::suspended_at.is_null())
            .filter(accounts::last_status_at.ge(Utc::now().naive_utc() - Duration::days(days)))
            .count()
            .get_result(conn)?)
    };
    Ok(InstanceStats {
        user_count,
        status_count,
        domain_count,
        active_month: active_since(conn, 30)?,
        active_halfyear: active_since(conn, 180)?,
    })
}

/// What the instance says about itself: its counts and its contact.
pub struct Summary {
    pub stats: InstanceStats,
    pub contact: Option<Account>,
}

/// The instance's [`Summary`], from this node's cache (at most `caches::STATS_TTL` old; a
/// change of role or profile drops it at once).
pub async fn summary(ctx: &AppContext) -> Result<Arc<Summary>> {
    if let Some(summary) = ctx.caches.summary() {
        return Ok(summary);
    }
    let summary = ctx
        .db
        .read(|conn| {
            Ok(Arc::new(Summary {
                stats: stats(conn)?,
                contact: contact_account(conn)?,
            }))
        })
        .await?;
    ctx.caches.keep_summary(summary.clone());
    Ok(summary)
}

/// The oldest active admin: who clients show as the instance's contact.
pub fn contact_account(conn: &mut DbConnection) -> Result<Option<Account>> {
    Ok(users::table
        .inner_join(accounts::table)
        .filter(users::role.eq("admin"))
        .filter(accounts::suspended_at.is_null())
        .order(users::id.asc())
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}

/// The instance actor's key pair (public, private PEM), made on first use.
pub fn actor_keys(conn: &mut DbConnection) -> Result<(String, String)> {
    let existing: Option<(String, String)> = instance_keys::table
        .find("instance_actor")
        .select((
            instance_keys::public_key_pem,
            instance_keys::private_key_pem,
        ))
        .first(conn)
        .optional()?;
    if let Some(keys) = existing {
        return Ok(keys);
    }
    let keypair = generate_actor_keypair().map_err(Error::internal)?;
    diesel::insert_into(instance_keys::table)
        .values((
            instance_keys::name.eq("instance_actor"),
            instance_keys::public_key_pem.eq(&keypair.public_key),
            instance_keys::private_key_pem.eq(&keypair.private_key),
            instance_keys::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok((keypair.public_key, keypair.private_key))
}

/// How many weeks `GET /api/v1/instance/activity` shows (Mastodon's 12, this week first).
pub const ACTIVITY_WEEKS: i64 = 12;
/// How long one node keeps the weekly activity.
pub const ACTIVITY_TTL: std::time::Duration = std::time::Duration::from_secs(600);

/// One week of the department's activity (Mastodon's instance activity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekActivity {
    /// Monday 00:00 UTC that starts the week, in seconds since the epoch.
    pub week: i64,
    /// Posts (and boosts) employees made that week.
    pub statuses: i64,
    /// Employees who signed in or used the department that week; 0 when fewer than
    /// `metrics.min_group_size` did.
    pub logins: i64,
    /// Employees whose account was made that week; 0 when fewer than `metrics.min_group_size`.
    pub registrations: i64,
}

const DAY_MILLIS: i64 = 86_400_000;

/// The week (Monday-based, counted from the epoch, a Thursday) of a day since the epoch.
fn week_of_day(day: i64) -> i64 {
    (day + 3).div_euclid(7)
}

fn week_of(at: chrono::NaiveDateTime) -> i64 {
    week_of_day(at.and_utc().timestamp_millis().div_euclid(DAY_MILLIS))
}

/// The department's weekly activity, this week first, from this node's cache (at most
/// [`ACTIVITY_TTL`] old).
pub async fn activity(ctx: &AppContext) -> Result<Arc<Vec<WeekActivity>>> {
    if let Some(weeks) = ctx.caches.activity.get(&()) {
        return Ok(weeks);
    }
    let min = i64::from(ctx.settings.metrics.min_group_size.max(1));
    let weeks = Arc::new(ctx.db.read(move |conn| weekly_activity(conn, min)).await?);
    ctx.caches.activity.insert((), weeks.clone());
    Ok(weeks)
}

/// The last [`ACTIVITY_WEEKS`] weeks of activity. Posts are counted by their ids (one grouped
/// query over the weeks' range); sign-ins are what is stored of them — when each employee
/// last signed in, and when their apps' tokens and web sessions were made and last used —
/// so a week long past counts the employees whose last such moment fell in it. Counts of
/// people below `min_group_size` are shown as 0, so that no week points at one employee.
pub fn weekly_activity(conn: &mut DbConnection, min_group_size: i64) -> Result<Vec<WeekActivity>> {
    use crate::db::schema::{oauth_access_tokens, web_sessions};
    use std::collections::{HashMap, HashSet};

    let today = Utc::now().timestamp_millis().div_euclid(DAY_MILLIS);
    let this_week = week_of_day(today);
    let first_week = this_week - (ACTIVITY_WEEKS - 1);
    // Monday of the first week, as a day since the epoch.
    let first_day = first_week * 7 - 3;
    let since = chrono::DateTime::from_timestamp_millis(first_day * DAY_MILLIS)
        .map(|t| t.naive_utc())
        .unwrap_or_default();

    #[derive(QueryableByName)]
    struct WeekCount {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        week: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let per_day = DAY_MILLIS << 16;
    let posts: Vec<WeekCount> = diesel::sql_query(format!(
        "SELECT (id / {per_day} + 3) / 7 AS week, COUNT(*) AS n FROM statuses \
         WHERE local = TRUE AND id >= $1 GROUP BY (id / {per_day} + 3) / 7"
    ))
    .bind::<diesel::sql_types::BigInt, _>(crate::db::ids::id_at_millis(first_day * DAY_MILLIS))
    .load(conn)?;
    let posts: HashMap<i64, i64> = posts.into_iter().map(|w| (w.week, w.n)).collect();

    let mut seen: HashSet<(i64, i64)> = HashSet::new();
    let signed_in: Vec<(i64, Option<chrono::NaiveDateTime>)> = users::table
        .filter(users::last_sign_in_at.ge(since))
        .select((users::id, users::last_sign_in_at))
        .load(conn)?;
    seen.extend(
        signed_in
            .into_iter()
            .filter_map(|(user, at)| at.map(|at| (week_of(at), user))),
    );
    let tokens: Vec<(
        Option<i64>,
        chrono::NaiveDateTime,
        Option<chrono::NaiveDateTime>,
    )> = oauth_access_tokens::table
        .filter(oauth_access_tokens::user_id.is_not_null())
        .filter(
            oauth_access_tokens::created_at
                .ge(since)
                .or(oauth_access_tokens::last_used_at.ge(since)),
        )
        .select((
            oauth_access_tokens::user_id,
            oauth_access_tokens::created_at,
            oauth_access_tokens::last_used_at,
        ))
        .load(conn)?;
    let sessions: Vec<(i64, chrono::NaiveDateTime, chrono::NaiveDateTime)> = web_sessions::table
        .filter(
            web_sessions::created_at
                .ge(since)
                .or(web_sessions::last_seen_at.ge(since)),
        )
        .select((
            web_sessions::user_id,
            web_sessions::created_at,
            web_sessions::last_seen_at,
        ))
        .load(conn)?;
    for (user, made, used) in tokens {
        if let Some(user) = user {
            seen.extend(
                std::iter::once(made)
                    .chain(used)
                    .filter(|at| *at >= since)
                    .map(|at| (week_of(at), user)),
            );
        }
    }
    for (user, made, used) in sessions {
        seen.extend(
            [made, used]
                .into_iter()
                .filter(|at| *at >= since)
                .map(|at| (week_of(at), user)),
        );
    }
    let mut logins: HashMap<i64, i64> = HashMap::new();
    for (week, _) in seen {
        *logins.entry(week).or_default() += 1;
    }
    let made: Vec<chrono::NaiveDateTime> = users::table
        .filter(users::created_at.ge(since))
        .select(users::created_at)
        .load(conn)?;
    let mut registrations: HashMap<i64, i64> = HashMap::new();
    for at in made {
        *registrations.entry(week_of(at)).or_default() += 1;
    }
    let shown = |n: i64| if n < min_group_size { 0 } else { n };
    Ok((0..ACTIVITY_WEEKS)
        .map(|back| {
            let week = this_week - back;
            WeekActivity {
                week: (week * 7 - 3) * (DAY_MILLIS / 1000),
                statuses: posts.get(&week).copied().unwrap_or(0),
                logins: shown(logins.get(&week).copied().unwrap_or(0)),
                registrations: shown(registrations.get(&week).copied().unwrap_or(0)),
            }
        })
        .collect())
}

/// The privacy policy shown when `instance.privacy_policy_file` is unset (Markdown).
pub const DEFAULT_PRIVACY_POLICY: &str = "\
# Privacy policy

This is a department of the company's internal social network. It stores:

- **Your account**: your name, username, email address and department as the company's \
sign-in service gives them, your profile, and your settings.
- **What you post and do**: your posts and their edits, media and polls, and who you follow, \
block or mute, your favourites, boosts, bookmarks, lists and filters. Followers-only and \
direct posts are shown only to the people they are meant for; department-only posts never \
leave this department.
- **How you use it**: the apps you signed in with, when you last signed in, and your sessions, \
kept to keep your account safe.

Posts meant for other departments are sent to them. Administrators and moderators of this \
department can see what is needed to enforce its rules, and their actions are recorded. \
Figures about how the network is used are shown only for groups large enough that they \
never point at one employee. Nothing is sent outside the company.
";

/// When [`DEFAULT_PRIVACY_POLICY`] was last changed.
pub const DEFAULT_PRIVACY_POLICY_DATE: (i32, u32, u32) = (2026, 12, 8);

/// The privacy policy: when it last changed and its text as HTML — from
/// `instance.privacy_policy_file` (its modification time), or the default.
pub async fn privacy_policy(
    settings: &crate::config::Settings,
) -> Result<(chrono::NaiveDateTime, String)> {
    let Some(path) = &settings.instance.privacy_policy_file else {
        let (y, m, d) = DEFAULT_PRIVACY_POLICY_DATE;
        let date = chrono::NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        return Ok((
            date,
            crate::service::text::render_markdown(DEFAULT_PRIVACY_POLICY),
        ));
    };
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|e| Error::internal(anyhow::anyhow!("privacy policy {}: {e}", path.display())))?;
    let changed = tokio::fs::metadata(path)
        .await
        .and_then(|m| m.modified())
        .map(|t| chrono::DateTime::<Utc>::from(t).naive_utc())
        .map_err(|e| Error::internal(anyhow::anyhow!("privacy policy {}: {e}", path.display())))?;
    Ok((changed, crate::service::text::render_markdown(&text)))
}

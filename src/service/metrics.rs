//! Engagement metrics: how the department uses the network, per day, without ever naming
//! anyone.
//!
//! A roll-up ([`compute_day`], reads only, then [`store_day`], one short write: running it
//! again, live or as a rebuild, gives the same numbers) turns one day of raw rows (posts, favourites, follows, votes,
//! reports, and who was active) into a few numbers in `metrics_daily`, each with how many
//! distinct people are behind it; dashboards and exports read only those. The job runs on one
//! app node at a time (a lease in `job_leases`), every `metrics.rollup_interval_secs` for today
//! and yesterday; `groundswell metrics rebuild --from DATE` recomputes past days (the same
//! function: a rebuilt day equals the day rolled up live).
//!
//! Privacy, by construction: a number is shown only when at least `metrics.min_group_size`
//! distinct people are behind it; below, it is suppressed — marked as such, never zero. A
//! total over several days or departments adds up only the numbers that are shown (and says
//! when it is therefore a lower bound), so subtracting two overlapping totals never reveals a
//! suppressed day.
//!
//! Activity (who was active on a day) is the one record that knows people: kept in
//! `metrics_active_days` to count daily, weekly and monthly active employees, never exported.
//! Sign-ins and app use are noted there as they happen ([`Activity`]); posting, boosting,
//! favouriting and voting are found by the roll-up.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use serde::{Deserialize, Serialize};

use crate::db::DbConnection;
use crate::db::schema::{job_leases, metrics_active_days, metrics_daily};
use crate::error::{Error, Result};

/// The measures, in the order exports list them. Mastodon's keys where Mastodon has the
/// measure (`active_users`, `new_users`, `interactions`, `opened_reports`,
/// `resolved_reports`); ours otherwise.
pub const MEASURES: &[&str] = &[
    "active_users",
    "new_users",
    "posts",
    "replies",
    "boosts",
    "favourites",
    "follows",
    "poll_votes",
    "interactions",
    "opened_reports",
    "resolved_reports",
    "policy_rule_hits",
    "posts_held",
    "posts_approved",
    "posts_rejected",
    "questions",
    "questions_answered",
    "question_first_reply_p50_secs",
    "question_first_reply_p90_secs",
    "question_first_cross_reply_p50_secs",
    "question_first_cross_reply_p90_secs",
];

/// Measures of a day that do not add up over days (times): their totals are not given.
pub fn adds_up(measure: &str) -> bool {
    !measure.ends_with("_secs")
}

/// Posts with a hashtag, per hashtag (the dimension), by employees here.
pub const HASHTAGS: &str = "hashtags";
/// Employees' posts and replies per language (the dimension: its ISO 639-1 code, `und` for
/// those without one): together they add up to every post and reply of the day, so they are
/// suppressed complementarily ([`complement`]).
pub const LANGUAGES: &str = "languages";

/// Interactions between this department and another, each way (`cross_<kind>_out`: by
/// employees here with the other department; `cross_<kind>_in`: by the other department's
/// people with employees here). Their dimension is the other department's domain.
pub const CROSS_KINDS: &[&str] = &["follows", "replies", "mentions", "boosts", "favourites"];

/// The name of a cross-department measure.
pub fn cross_measure(kind: &str, outgoing: bool) -> String {
    format!("cross_{kind}_{}", if outgoing { "out" } else { "in" })
}

/// Every measure name, the cross-department ones included.
pub fn all_measures() -> Vec<String> {
    let mut all: Vec<String> = MEASURES.iter().map(|m| m.to_string()).collect();
    for kind in CROSS_KINDS {
        all.push(cross_measure(kind, true));
        all.push(cross_measure(kind, false));
    }
    all
}

/// A day as stored: `YYYY-MM-DD` (UTC).
pub fn day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// Parse `YYYY-MM-DD` (or an RFC 3339 time, whose UTC day is taken).
pub fn parse_day(name: &str, raw: &str) -> Result<NaiveDate> {
    let raw = raw.trim();
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(raw)
                .ok()
                .map(|t| t.with_timezone(&Utc).date_naive())
        })
        .ok_or_else(|| {
            Error::unprocessable(format!("{name} must be a date (YYYY-MM-DD), not `{raw}`"))
        })
}

fn bounds(day: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
    let start = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    (start, start + Duration::days(1))
}

#[derive(QueryableByName)]
struct Figure {
    #[diesel(sql_type = BigInt)]
    value: i64,
    #[diesel(sql_type = BigInt)]
    people: i64,
}

#[derive(QueryableByName)]
struct DomainFigure {
    #[diesel(sql_type = Text)]
    domain: String,
    #[diesel(sql_type = BigInt)]
    value: i64,
    #[diesel(sql_type = BigInt)]
    people: i64,
}

/// One day's figure of a query over `[$1, $2)` answering `value, people`.
fn figure(conn: &mut DbConnection, sql: &str, day: NaiveDate) -> Result<(i64, i64)> {
    let (start, end) = bounds(day);
    let row: Figure = diesel::sql_query(sql)
        .bind::<Timestamp, _>(start)
        .bind::<Timestamp, _>(end)
        .get_result(conn)?;
    Ok((row.value, row.people))
}

/// The queries of the department-wide measures (but `active_users`): `value` and the distinct
/// `people` behind it, over `[$1, $2)`. Employees here are the accounts without a domain.
///
/// Every roll-up query must read the day's rows through the `created_at` indexes. SQLite
/// without `ANALYZE` statistics (a server never runs it) takes an equality for the more
/// selective constraint, so it would rather read `reblog_of_id IS NULL` (nine posts in ten)
/// through `statuses_reblog_of`, or every employee's rows through `accounts_domain`
/// (`domain IS NULL`) — seconds each on a year of posts. Hence the unary `+` (SQLite's way
/// to say "not through an index"; a no-op on PostgreSQL) and `CROSS JOIN` (SQLite keeps the
/// order written: the day's rows first, then their account; PostgreSQL plans it as a join).
const QUERIES: &[(&str, &str)] = &[
    (
        "new_users",
        "SELECT COUNT(*) AS value, COUNT(*) AS people FROM users
         WHERE created_at >= $1 AND created_at < $2",
    ),
    (
        "posts",
        "SELECT COUNT(*) AS value, COUNT(DISTINCT account_id) AS people FROM statuses
         WHERE local = TRUE AND +reblog_of_id IS NULL AND +in_reply_to_id IS NULL
           AND deleted_at IS NULL AND held_for_review IS NULL
           AND created_at >= $1 AND created_at < $2",
    ),
    (
        "replies",
        "SELECT COUNT(*) AS value, COUNT(DISTINCT account_id) AS people FROM statuses
         WHERE local = TRUE AND +reblog_of_id IS NULL AND +in_reply_to_id IS NOT NULL
           AND deleted_at IS NULL AND held_for_review IS NULL
           AND created_at >= $1 AND created_at < $2",
    ),
    (
        "boosts",
        "SELECT COUNT(*) AS value, COUNT(DISTINCT account_id) AS people FROM statuses
         WHERE local = TRUE AND +reblog_of_id IS NOT NULL
           AND deleted_at IS NULL AND created_at >= $1 AND created_at < $2",
    ),
    (
        "favourites",
        "SELECT COUNT(*) AS value, COUNT(DISTINCT f.account_id) AS people
         FROM favourites f CROSS JOIN accounts a
         WHERE a.id = f.account_id AND a.domain IS NULL
           AND f.created_at >= $1 AND f.created_at < $2",
    ),
    (
        "follows",
        "SELECT COUNT(*) AS value, COUNT(DISTINCT f.account_id) AS people
         FROM follows f CROSS JOIN accounts a
         WHERE a.id = f.account_id AND a.domain IS NULL
           AND f.created_at >= $1 AND f.created_at < $2",
    ),
    (
        "poll_votes",
        "SELECT COUNT(*) AS value, COUNT(DISTINCT v.account_id) AS people
         FROM poll_votes v CROSS JOIN accounts a
         WHERE a.id = v.account_id AND a.domain IS NULL
           AND v.created_at >= $1 AND v.created_at < $2",
    ),
    // As Mastodon counts it: favourites, boosts and replies received by posts of employees
    // here, from anyone.
    (
        "interactions",
        "SELECT COUNT(*) AS value, COUNT(DISTINCT actor) AS people FROM (
             SELECT f.account_id AS actor FROM favourites f
                 JOIN statuses s ON s.id = f.status_id
             WHERE s.local = TRUE AND f.created_at >= $1 AND f.created_at < $2
             UNION ALL
             SELECT b.account_id FROM statuses b JOIN statuses s ON s.id = b.reblog_of_id
             WHERE s.local = TRUE AND b.deleted_at IS NULL
               AND b.created_at >= $1 AND b.created_at < $2
             UNION ALL
             SELECT r.account_id FROM statuses r JOIN statuses s ON s.id = r.in_reply_to_id
             WHERE s.local = TRUE AND r.deleted_at IS NULL
               AND r.created_at >= $1 AND r.created_at < $2
         ) i",
    ),
    (
        "opened_reports",
        "SELECT COUNT(*) AS value, COUNT(DISTINCT account_id) AS people FROM reports
         WHERE created_at >= $1 AND created_at < $2",
    ),
    (
        "resolved_reports",
        "SELECT COUNT(*) AS value, COUNT(DISTINCT account_id) AS people FROM reports
         WHERE action_taken_at >= $1 AND action_taken_at < $2",
    ),
    // Moderation load: the policy rules' matches in effect (not dry runs), the posts they held
    // for review, and those moderators approved or rejected; `people`: the authors.
    (
        "policy_rule_hits",
        "SELECT COUNT(*) AS value, COUNT(DISTINCT account_id) AS people FROM policy_matches
         WHERE dry_run = FALSE AND created_at >= $1 AND created_at < $2",
    ),
    (
        "posts_held",
        "SELECT COUNT(DISTINCT status_id) AS value, COUNT(DISTINCT account_id) AS people
         FROM policy_matches
         WHERE dry_run = FALSE AND action = 'hold' AND status_id IS NOT NULL
           AND created_at >= $1 AND created_at < $2",
    ),
    (
        "posts_approved",
        "SELECT COUNT(*) AS value, COUNT(DISTINCT s.account_id) AS people
         FROM audit_log a JOIN statuses s ON s.id = CAST(a.target_id AS BIGINT)
         WHERE a.action = 'status.approve' AND a.created_at >= $1 AND a.created_at < $2",
    ),
    (
        "posts_rejected",
        "SELECT COUNT(*) AS value, COUNT(DISTINCT s.account_id) AS people
         FROM audit_log a JOIN statuses s ON s.id = CAST(a.target_id AS BIGINT)
         WHERE a.action = 'status.reject' AND a.created_at >= $1 AND a.created_at < $2",
    ),
];

/// Cross-department interactions over `[$1, $2)` by the other department: `kind`, whether
/// outgoing, and the query answering `domain, value, people` (`people`: the fewer of the
/// distinct people on either side, so a number never points at one person on either).
fn cross_query(kind: &str, outgoing: bool) -> String {
    // (actor, the one acted on) for each kind, over the day.
    let pairs = match kind {
        "follows" => {
            "SELECT f.account_id AS actor, f.target_account_id AS target FROM follows f
             WHERE f.created_at >= $1 AND f.created_at < $2"
        }
        "replies" => {
            "SELECT r.account_id AS actor, r.in_reply_to_account_id AS target FROM statuses r
             WHERE +r.in_reply_to_account_id IS NOT NULL AND +r.reblog_of_id IS NULL
               AND r.deleted_at IS NULL AND r.created_at >= $1 AND r.created_at < $2"
        }
        "mentions" => {
            "SELECT s.account_id AS actor, m.account_id AS target FROM mentions m
                 JOIN statuses s ON s.id = m.status_id
             WHERE s.deleted_at IS NULL AND s.created_at >= $1 AND s.created_at < $2"
        }
        "boosts" => {
            "SELECT b.account_id AS actor, o.account_id AS target FROM statuses b
                 JOIN statuses o ON o.id = b.reblog_of_id
             WHERE b.deleted_at IS NULL AND b.created_at >= $1 AND b.created_at < $2"
        }
        _ => {
            "SELECT f.account_id AS actor, s.account_id AS target FROM favourites f
                 JOIN statuses s ON s.id = f.status_id
             WHERE f.created_at >= $1 AND f.created_at < $2"
        }
    };
    // Outgoing: the actor is here, the target in the other department; incoming: reversed.
    // The day's pairs first, then their accounts (`CROSS JOIN`: see `QUERIES`).
    let (here, there) = if outgoing {
        ("actor", "target")
    } else {
        ("target", "actor")
    };
    format!(
        "SELECT t.domain AS domain, COUNT(*) AS value,
             CASE WHEN COUNT(DISTINCT p.{here}) < COUNT(DISTINCT p.{there})
                  THEN COUNT(DISTINCT p.{here}) ELSE COUNT(DISTINCT p.{there}) END AS people
         FROM ({pairs}) p CROSS JOIN accounts h CROSS JOIN accounts t
         WHERE h.id = p.{here} AND t.id = p.{there}
           AND h.domain IS NULL AND t.domain IS NOT NULL
         GROUP BY t.domain"
    )
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Who was active on `day` by posting, boosting, favouriting or voting (sign-ins and app
/// use are noted as they happen).
fn active_by_content(conn: &mut DbConnection, day: NaiveDate) -> Result<Vec<i64>> {
    let (start, end) = bounds(day);
    let found: Vec<Id> = diesel::sql_query(
        "SELECT s.account_id AS id FROM statuses s
         WHERE s.local = TRUE AND s.created_at >= $1 AND s.created_at < $2
         UNION
         SELECT f.account_id FROM favourites f CROSS JOIN accounts ac
         WHERE ac.id = f.account_id AND ac.domain IS NULL
           AND f.created_at >= $1 AND f.created_at < $2
         UNION
         SELECT v.account_id FROM poll_votes v CROSS JOIN accounts ac
         WHERE ac.id = v.account_id AND ac.domain IS NULL
           AND v.created_at >= $1 AND v.created_at < $2",
    )
    .bind::<Timestamp, _>(start)
    .bind::<Timestamp, _>(end)
    .load(conn)?;
    Ok(found.into_iter().map(|r| r.id).collect())
}

/// Whether a post's text asks a question: a `?` outside links, or one of `tags` (without
/// `#`, any case) as a hashtag.
pub fn asks(text: &str, tags: &[String]) -> bool {
    text.split_whitespace().any(|word| {
        if word.starts_with("http://") || word.starts_with("https://") {
            return false;
        }
        if let Some(tag) = word.strip_prefix('#') {
            let tag: String = tag
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
                return true;
            }
        }
        word.contains('?')
    })
}

/// The nearest-rank percentile `p` (0–100) of sorted `values`.
fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[derive(QueryableByName)]
struct Question {
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = Text)]
    text: String,
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamp>)]
    first_reply: Option<NaiveDateTime>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamp>)]
    first_cross_reply: Option<NaiveDateTime>,
}

/// The question measures of a day (questions asked that day, however late their answer):
/// how many, how many were answered (a reply by someone else), and the time to the first
/// reply and to the first reply from another department (median and 90th percentile,
/// nearest rank, in seconds; `people`: the askers behind them).
fn questions(
    conn: &mut DbConnection,
    day: NaiveDate,
    tags: &[String],
) -> Result<(Vec<Measured>, Vec<FirstReply>)> {
    let (start, end) = bounds(day);
    let posts: Vec<Question> = diesel::sql_query(
        "SELECT q.account_id AS account_id, COALESCE(q.source_text, q.content) AS text,
             q.created_at AS created_at,
             (SELECT MIN(r.created_at) FROM statuses r
              WHERE r.in_reply_to_id = q.id AND r.account_id <> q.account_id
                AND r.deleted_at IS NULL) AS first_reply,
             (SELECT MIN(r.created_at) FROM statuses r JOIN accounts ra ON ra.id = r.account_id
              WHERE r.in_reply_to_id = q.id AND ra.domain IS NOT NULL
                AND r.deleted_at IS NULL) AS first_cross_reply
         FROM statuses q
         WHERE q.local = TRUE AND +q.reblog_of_id IS NULL AND +q.in_reply_to_id IS NULL
           AND q.deleted_at IS NULL AND q.held_for_review IS NULL
           AND q.created_at >= $1 AND q.created_at < $2",
    )
    .bind::<Timestamp, _>(start)
    .bind::<Timestamp, _>(end)
    .load(conn)?;
    let asked: Vec<&Question> = posts
        .iter()
        .filter(|q| asks(&crate::service::text::plain_text(&q.text), tags))
        .collect();
    let people = |qs: &[&Question]| -> i64 {
        let mut askers: Vec<i64> = qs.iter().map(|q| q.account_id).collect();
        askers.sort_unstable();
        askers.dedup();
        askers.len() as i64
    };
    let mut out = vec![("questions".to_string(), asked.len() as i64, people(&asked))];
    let answered: Vec<&Question> = asked
        .iter()
        .copied()
        .filter(|q| q.first_reply.is_some())
        .collect();
    out.push((
        "questions_answered".to_string(),
        answered.len() as i64,
        people(&answered),
    ));
    type First = fn(&Question) -> Option<NaiveDateTime>;
    let firsts: [(&str, First); 2] = [
        ("question_first_reply", |q| q.first_reply),
        ("question_first_cross_reply", |q| q.first_cross_reply),
    ];
    let mut times = Vec::new();
    for (cross, (name, first)) in firsts.into_iter().enumerate() {
        let with: Vec<&Question> = asked
            .iter()
            .copied()
            .filter(|q| first(q).is_some())
            .collect();
        let mut secs: Vec<i64> = Vec::new();
        for q in &with {
            if let Some(t) = first(q) {
                let s = (t - q.created_at).num_seconds().max(0);
                secs.push(s);
                times.push(FirstReply {
                    account_id: q.account_id,
                    cross: cross == 1,
                    secs: s,
                });
            }
        }
        secs.sort_unstable();
        for p in [50, 90] {
            if let Some(value) = percentile(&secs, p) {
                out.push((format!("{name}_p{p}_secs"), value, people(&with)));
            }
        }
    }
    Ok((out, times))
}

/// A measure of the day: (name, value, people).
type Measured = (String, i64, i64);

/// One answered question of a day: who asked (only to count people), whether the answer
/// counted is the first from another department, and how long it took.
#[derive(Debug, Clone)]
struct FirstReply {
    account_id: i64,
    cross: bool,
    secs: i64,
}

/// One day's figures, computed from the raw rows ([`compute_day`]) and not yet stored
/// ([`store_day`]).
#[derive(Debug, Clone)]
pub struct DayFigures {
    day: NaiveDate,
    /// Who posted, boosted, favourited or voted.
    active: Vec<i64>,
    /// (measure, dimension, value, people), `active_users` aside.
    rows: Vec<(String, String, i64, i64)>,
    /// The answered questions' times to their first reply.
    first_replies: Vec<FirstReply>,
}

/// Compute one day's figures: reads only, so the live job does it outside any write
/// transaction and holds the write lock just for [`store_day`].
pub fn compute_day(
    conn: &mut DbConnection,
    day: NaiveDate,
    question_tags: &[String],
) -> Result<DayFigures> {
    let active = active_by_content(conn, day)?;
    let mut rows: Vec<(String, String, i64, i64)> = Vec::new();
    for (measure, sql) in QUERIES {
        let (value, people) = figure(conn, sql, day)?;
        rows.push((measure.to_string(), String::new(), value, people));
    }
    let (asked, first_replies) = questions(conn, day, question_tags)?;
    for (measure, value, people) in asked {
        rows.push((measure, String::new(), value, people));
    }
    let (start, end) = bounds(day);
    let tags: Vec<DomainFigure> = diesel::sql_query(
        "SELECT t.name AS domain, COUNT(*) AS value, COUNT(DISTINCT s.account_id) AS people
         FROM status_tags st JOIN statuses s ON s.id = st.status_id JOIN tags t ON t.id = st.tag_id
         WHERE s.local = TRUE AND +s.reblog_of_id IS NULL AND s.deleted_at IS NULL
           AND s.held_for_review IS NULL AND s.created_at >= $1 AND s.created_at < $2
         GROUP BY t.name",
    )
    .bind::<Timestamp, _>(start)
    .bind::<Timestamp, _>(end)
    .load(conn)?;
    rows.extend(
        tags.into_iter()
            .map(|t| (HASHTAGS.to_string(), t.domain, t.value, t.people)),
    );
    let languages: Vec<DomainFigure> = diesel::sql_query(
        "SELECT COALESCE(language, 'und') AS domain, COUNT(*) AS value,
             COUNT(DISTINCT account_id) AS people
         FROM statuses
         WHERE local = TRUE AND +reblog_of_id IS NULL AND deleted_at IS NULL
           AND held_for_review IS NULL
           AND created_at >= $1 AND created_at < $2
         GROUP BY COALESCE(language, 'und')",
    )
    .bind::<Timestamp, _>(start)
    .bind::<Timestamp, _>(end)
    .load(conn)?;
    rows.extend(
        languages
            .into_iter()
            .map(|l| (LANGUAGES.to_string(), l.domain, l.value, l.people)),
    );
    for kind in CROSS_KINDS {
        for outgoing in [true, false] {
            let found: Vec<DomainFigure> = diesel::sql_query(cross_query(kind, outgoing))
                .bind::<Timestamp, _>(start)
                .bind::<Timestamp, _>(end)
                .load(conn)?;
            let measure = cross_measure(kind, outgoing);
            rows.extend(
                found
                    .into_iter()
                    .map(|f| (measure.clone(), f.domain, f.value, f.people)),
            );
        }
    }
    Ok(DayFigures {
        day,
        active,
        rows,
        first_replies,
    })
}

/// Store one day's figures in place of what was rolled up before.
pub fn store_day(conn: &mut DbConnection, figures: &DayFigures) -> Result<()> {
    let key = day_key(figures.day);
    note_seen(conn, &key, &figures.active)?;
    let active: i64 = metrics_active_days::table
        .filter(metrics_active_days::day.eq(&key))
        .count()
        .get_result(conn)?;
    diesel::delete(metrics_daily::table.filter(metrics_daily::day.eq(&key))).execute(conn)?;
    let active_row = ("active_users".to_string(), String::new(), active, active);
    let all = std::iter::once(&active_row).chain(figures.rows.iter());
    // A few dozen rows a day (one statement each: both backends take it).
    for (measure, dimension, value, people) in all {
        diesel::insert_into(metrics_daily::table)
            .values((
                metrics_daily::day.eq(&key),
                metrics_daily::measure.eq(measure),
                metrics_daily::dimension.eq(dimension),
                metrics_daily::value.eq(value),
                metrics_daily::people.eq(people),
            ))
            .execute(conn)?;
    }
    diesel::sql_query("DELETE FROM metrics_first_replies WHERE day = $1")
        .bind::<Text, _>(&key)
        .execute(conn)?;
    for r in &figures.first_replies {
        diesel::sql_query(
            "INSERT INTO metrics_first_replies (day, account_id, cross_department, secs)
             VALUES ($1, $2, $3, $4)",
        )
        .bind::<Text, _>(&key)
        .bind::<BigInt, _>(r.account_id)
        .bind::<diesel::sql_types::Bool, _>(r.cross)
        .bind::<BigInt, _>(r.secs)
        .execute(conn)?;
    }
    Ok(())
}

/// Time to first reply over a range: median and 90th percentile (nearest rank, seconds) of
/// the questions asked in it, overall and counting only replies from another department.
/// `None`: suppressed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstReplies {
    pub p50_secs: Option<i64>,
    pub p90_secs: Option<i64>,
    pub cross_p50_secs: Option<i64>,
    pub cross_p90_secs: Option<i64>,
    /// Some day's questions were left out (fewer than the threshold asked them).
    pub partial: bool,
}

#[derive(QueryableByName)]
struct FirstReplyRow {
    #[diesel(sql_type = Text)]
    day: String,
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    cross_department: bool,
    #[diesel(sql_type = BigInt)]
    secs: i64,
}

/// [`FirstReplies`] from `start` to `end`, by the rule of totals: only the days whose own
/// figure is shown (at least `min_group` askers that day) count, so a range never moves
/// because of a suppressed day and two overlapping ranges cannot be differenced into one.
pub fn first_replies(
    conn: &mut DbConnection,
    start: NaiveDate,
    end: NaiveDate,
    min_group: u32,
) -> Result<FirstReplies> {
    let rows: Vec<FirstReplyRow> = diesel::sql_query(
        "SELECT day, account_id, cross_department, secs FROM metrics_first_replies
         WHERE day >= $1 AND day <= $2",
    )
    .bind::<Text, _>(day_key(start))
    .bind::<Text, _>(day_key(end))
    .load(conn)?;
    let min = usize::try_from(min_group.max(1)).unwrap_or(usize::MAX);
    let mut out = FirstReplies::default();
    for cross in [false, true] {
        let mut by_day: std::collections::BTreeMap<&str, (HashSet<i64>, Vec<i64>)> =
            Default::default();
        for r in rows.iter().filter(|r| r.cross_department == cross) {
            let (people, secs) = by_day.entry(r.day.as_str()).or_default();
            people.insert(r.account_id);
            secs.push(r.secs);
        }
        let mut secs: Vec<i64> = Vec::new();
        for (people, day_secs) in by_day.values() {
            if people.len() >= min {
                secs.extend(day_secs);
            } else {
                out.partial = true;
            }
        }
        secs.sort_unstable();
        let (p50, p90) = (percentile(&secs, 50), percentile(&secs, 90));
        if cross {
            (out.cross_p50_secs, out.cross_p90_secs) = (p50, p90);
        } else {
            (out.p50_secs, out.p90_secs) = (p50, p90);
        }
    }
    Ok(out)
}

/// Take (or keep) the lease of job `name` for `node` for `secs`: whether this node runs it.
pub fn lease(conn: &mut DbConnection, name: &str, node: &str, secs: i64) -> Result<bool> {
    let now = Utc::now().naive_utc();
    let until = now + Duration::seconds(secs);
    let taken = diesel::update(
        job_leases::table.filter(job_leases::name.eq(name)).filter(
            job_leases::node
                .eq(node)
                .or(job_leases::leased_until.lt(now)),
        ),
    )
    .set((
        job_leases::node.eq(node),
        job_leases::leased_until.eq(until),
    ))
    .execute(conn)?;
    if taken > 0 {
        return Ok(true);
    }
    let exists: bool = diesel::select(diesel::dsl::exists(
        job_leases::table.filter(job_leases::name.eq(name)),
    ))
    .get_result(conn)?;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(job_leases::table)
        .values((
            job_leases::name.eq(name),
            job_leases::node.eq(node),
            job_leases::leased_until.eq(until),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Who was active today, as this app node saw them sign in or use an app: noted once a day
/// each (an in-memory set); and when each app token and browser session was last used,
/// noted at most once a minute each. Written in batches by [`flush_activity`].
#[derive(Default)]
pub struct Activity {
    seen: Mutex<(String, HashSet<i64>, Vec<i64>)>,
    used: Mutex<Uses>,
}

/// Last uses not written yet, and when each was last noted (to note each at most once a
/// minute).
#[derive(Default)]
struct Uses {
    tokens: HashMap<i64, NaiveDateTime>,
    sessions: HashMap<i64, NaiveDateTime>,
    noted: HashMap<(bool, i64), NaiveDateTime>,
}

/// What [`Activity::take`] hands over to be written.
#[derive(Debug, Default)]
pub struct Pending {
    pub day: String,
    pub accounts: Vec<i64>,
    /// (token id, last used)
    pub tokens: Vec<(i64, NaiveDateTime)>,
    /// (browser session id, last seen)
    pub sessions: Vec<(i64, NaiveDateTime)>,
}

/// How often one token's or session's last use is noted at most.
const LAST_USE_GRAIN_SECS: i64 = 60;

impl Activity {
    /// An employee (account `account_id`) is active now.
    pub fn seen(&self, account_id: i64) {
        let today = day_key(Utc::now().date_naive());
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        let (day, set, pending) = &mut *seen;
        if *day != today {
            *day = today;
            set.clear();
        }
        if set.insert(account_id) {
            pending.push(account_id);
        }
    }

    /// An app used access token `token_id` (of `account_id`'s, for a user token).
    pub fn token_used(&self, token_id: i64, account_id: Option<i64>) {
        if let Some(account) = account_id {
            self.seen(account);
        }
        self.used(false, token_id);
    }

    /// A browser used its session `session_id` (of `account_id`).
    pub fn session_used(&self, session_id: i64, account_id: i64) {
        self.seen(account_id);
        self.used(true, session_id);
    }

    fn used(&self, session: bool, id: i64) {
        let now = Utc::now().naive_utc();
        let Ok(mut used) = self.used.lock() else {
            return;
        };
        if let Some(at) = used.noted.get(&(session, id))
            && (now - *at).num_seconds() < LAST_USE_GRAIN_SECS
        {
            return;
        }
        used.noted.insert((session, id), now);
        let pending = if session {
            &mut used.sessions
        } else {
            &mut used.tokens
        };
        pending.insert(id, now);
    }

    /// What was noted since the last call.
    pub fn take(&self) -> Option<Pending> {
        let mut out = Pending::default();
        if let Ok(mut seen) = self.seen.lock() {
            let (day, _, pending) = &mut *seen;
            out.day = day.clone();
            out.accounts = std::mem::take(pending);
        }
        if let Ok(mut used) = self.used.lock() {
            out.tokens = used.tokens.drain().collect();
            out.sessions = used.sessions.drain().collect();
            let now = Utc::now().naive_utc();
            used.noted
                .retain(|_, at| (now - *at).num_seconds() < LAST_USE_GRAIN_SECS);
        }
        (!(out.accounts.is_empty() && out.tokens.is_empty() && out.sessions.is_empty()))
            .then_some(out)
    }
}

/// Write what this node noted of who was active and of when tokens and sessions were last
/// used (every 10 seconds, and when the server stops).
pub async fn flush_activity(ctx: &crate::context::AppContext) {
    let Some(pending) = ctx.activity.take() else {
        return;
    };
    let result = ctx
        .db
        .write(move |conn| write_pending(conn, &pending))
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot note who was active");
    }
}

fn write_pending(conn: &mut DbConnection, pending: &Pending) -> Result<()> {
    use crate::db::schema::{oauth_access_tokens, web_sessions};
    if !pending.accounts.is_empty() {
        note_seen(conn, &pending.day, &pending.accounts)?;
    }
    // Another node may have noted a later use: only ever move forward.
    for (id, at) in &pending.tokens {
        diesel::update(
            oauth_access_tokens::table
                .filter(oauth_access_tokens::id.eq(id))
                .filter(
                    oauth_access_tokens::last_used_at
                        .is_null()
                        .or(oauth_access_tokens::last_used_at.lt(at)),
                ),
        )
        .set(oauth_access_tokens::last_used_at.eq(at))
        .execute(conn)?;
    }
    for (id, at) in &pending.sessions {
        diesel::update(
            web_sessions::table
                .filter(web_sessions::id.eq(id))
                .filter(web_sessions::last_seen_at.lt(at)),
        )
        .set(web_sessions::last_seen_at.eq(at))
        .execute(conn)?;
    }
    Ok(())
}

/// Write what [`Activity::take`] gave (each account once a day).
pub fn note_seen(conn: &mut DbConnection, day: &str, accounts: &[i64]) -> Result<()> {
    for chunk in accounts.chunks(500) {
        let known: Vec<i64> = metrics_active_days::table
            .filter(metrics_active_days::day.eq(day))
            .filter(metrics_active_days::account_id.eq_any(chunk))
            .select(metrics_active_days::account_id)
            .load(conn)?;
        for account in chunk.iter().filter(|a| !known.contains(a)) {
            diesel::insert_into(metrics_active_days::table)
                .values((
                    metrics_active_days::day.eq(day),
                    metrics_active_days::account_id.eq(account),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// One cell of an export: a measure on a day (for one department, when it has a dimension).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub date: String,
    pub measure: String,
    /// The other department, for the cross-department measures; empty otherwise.
    pub dimension: String,
    /// `None`: suppressed (fewer than `metrics.min_group_size` people behind it).
    pub value: Option<i64>,
}

/// Every cell from `start` to `end` (inclusive), day by day, every measure (a department-wide
/// measure with no row counts 0 people: suppressed too), below `min_group` suppressed.
pub fn cells(
    conn: &mut DbConnection,
    start: NaiveDate,
    end: NaiveDate,
    min_group: u32,
) -> Result<Vec<Cell>> {
    let rows: Vec<(String, String, String, i64, i64)> = metrics_daily::table
        .filter(metrics_daily::day.ge(day_key(start)))
        .filter(metrics_daily::day.le(day_key(end)))
        .order((
            metrics_daily::day.asc(),
            metrics_daily::measure.asc(),
            metrics_daily::dimension.asc(),
        ))
        .select((
            metrics_daily::day,
            metrics_daily::measure,
            metrics_daily::dimension,
            metrics_daily::value,
            metrics_daily::people,
        ))
        .load(conn)?;
    let min = i64::from(min_group.max(1));
    let shown = |people: i64, value: i64| (people >= min).then_some(value);
    let mut out = Vec::new();
    let mut day = start;
    while day <= end {
        let key = day_key(day);
        let of_day: Vec<&(String, String, String, i64, i64)> =
            rows.iter().filter(|r| r.0 == key).collect();
        for measure in MEASURES {
            let found = of_day.iter().find(|r| r.1 == *measure && r.2.is_empty());
            out.push(Cell {
                date: key.clone(),
                measure: measure.to_string(),
                dimension: String::new(),
                value: found.and_then(|r| shown(r.4, r.3)),
            });
        }
        let first = out.len();
        for r in of_day.iter().filter(|r| !r.2.is_empty()) {
            out.push(Cell {
                date: key.clone(),
                measure: r.1.clone(),
                dimension: r.2.clone(),
                value: shown(r.4, r.3),
            });
        }
        // Languages add up to the day's posts and replies (those with a language): one
        // suppressed language would be their difference with the shown ones.
        let languages: Vec<(usize, i64)> = of_day
            .iter()
            .filter(|r| !r.2.is_empty())
            .enumerate()
            .filter(|(_, r)| r.1 == LANGUAGES)
            .map(|(i, r)| (first + i, r.4))
            .collect();
        let mut group: Vec<(Option<i64>, i64)> = languages
            .iter()
            .map(|(i, people)| (out[*i].value, *people))
            .collect();
        complement(&mut group, min);
        for ((i, _), (value, _)) in languages.iter().zip(group) {
            out[*i].value = value;
        }
        day += Duration::days(1);
    }
    Ok(out)
}

/// Complementary suppression over cells that add up to a shown total (`(value, people)`,
/// `None` suppressed): when any is suppressed, the smallest shown ones are suppressed too
/// until at least two are and the people behind the suppressed ones reach `min` — so the
/// total minus the shown cells never gives one suppressed cell, nor a sum behind fewer
/// than `min` people.
pub fn complement(cells: &mut [(Option<i64>, i64)], min: i64) {
    let suppressed = |cells: &[(Option<i64>, i64)]| -> (usize, i64) {
        cells
            .iter()
            .filter(|c| c.0.is_none())
            .fold((0, 0), |(n, people), c| (n + 1, people + c.1))
    };
    loop {
        let (n, people) = suppressed(cells);
        if n == 0 || (n >= 2 && people >= min) {
            return;
        }
        let smallest = cells
            .iter_mut()
            .filter(|c| c.0.is_some())
            .min_by_key(|c| (c.0, c.1));
        match smallest {
            Some(c) => c.0 = None,
            None => return,
        }
    }
}

#[cfg(test)]
mod complement_tests {
    use super::complement;

    #[test]
    fn one_suppressed_cell_takes_the_smallest_shown_with_it() {
        let mut cells = vec![(Some(9), 6), (None, 1), (Some(3), 5), (Some(40), 20)];
        complement(&mut cells, 5);
        assert_eq!(
            cells,
            vec![(Some(9), 6), (None, 1), (None, 5), (Some(40), 20)]
        );
    }

    #[test]
    fn suppressed_cells_together_must_stand_for_enough_people() {
        let mut cells = vec![(None, 1), (None, 1), (Some(7), 5), (Some(8), 6)];
        complement(&mut cells, 5);
        assert_eq!(cells, vec![(None, 1), (None, 1), (None, 5), (Some(8), 6)]);
        let mut nothing = vec![(Some(7), 5), (Some(8), 6)];
        complement(&mut nothing, 5);
        assert_eq!(nothing, vec![(Some(7), 5), (Some(8), 6)]);
    }
}

/// A measure over a range: the shown days added up, and whether some day was suppressed
/// (the total is then a lower bound).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Total {
    pub total: i64,
    pub partial: bool,
}

/// Add up `cells` of `measure` (and `dimension`) by the rule above.
pub fn total(cells: &[Cell], measure: &str, dimension: &str) -> Total {
    let of: Vec<&Cell> = cells
        .iter()
        .filter(|c| c.measure == measure && c.dimension == dimension)
        .collect();
    Total {
        total: of.iter().filter_map(|c| c.value).sum(),
        partial: of.iter().any(|c| c.value.is_none()),
    }
}

/// Distinct employees active from `start` to `end` (inclusive): shown when at least
/// `min_group`.
pub fn active_between(
    conn: &mut DbConnection,
    start: NaiveDate,
    end: NaiveDate,
    min_group: u32,
) -> Result<Option<i64>> {
    let n: i64 = metrics_active_days::table
        .filter(metrics_active_days::day.ge(day_key(start)))
        .filter(metrics_active_days::day.le(day_key(end)))
        .select(diesel::dsl::count(metrics_active_days::account_id).aggregate_distinct())
        .get_result(conn)?;
    Ok((n >= i64::from(min_group.max(1))).then_some(n))
}

/// The range a request asks for (`start`, `end`: dates, blank ones as not given): `end`
/// today unless given, `start` 29 days before `end` unless given; checked.
pub fn range(start: Option<&str>, end: Option<&str>) -> Result<(NaiveDate, NaiveDate)> {
    let end = match end.filter(|s| !s.trim().is_empty()) {
        Some(raw) => parse_day("end", raw)?,
        None => Utc::now().date_naive(),
    };
    let start = match start.filter(|s| !s.trim().is_empty()) {
        Some(raw) => parse_day("start", raw)?,
        None => end - Duration::days(29),
    };
    check_range(start, end)?;
    Ok((start, end))
}

/// The longest range an export covers, in days.
pub const MAX_RANGE_DAYS: i64 = 366;

/// Check a range: `start` ≤ `end`, at most [`MAX_RANGE_DAYS`].
pub fn check_range(start: NaiveDate, end: NaiveDate) -> Result<()> {
    if end < start {
        return Err(Error::unprocessable("end must not be before start"));
    }
    if (end - start).num_days() >= MAX_RANGE_DAYS {
        return Err(Error::unprocessable(format!(
            "A range covers at most {MAX_RANGE_DAYS} days"
        )));
    }
    Ok(())
}

/// One cohort of Mastodon's retention report: the employees who joined in `period` and, for
/// each period from it to the end, how many of them were active then.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cohort {
    /// The first day of the period the cohort joined in.
    pub period: NaiveDate,
    /// How many joined then (`None`: fewer than the threshold — the whole cohort is then
    /// suppressed).
    pub size: Option<i64>,
    /// Per period from the cohort's own: its first day, and how many of the cohort were
    /// active (`None`: suppressed).
    pub data: Vec<(NaiveDate, Option<i64>)>,
}

/// Whether retention is reported by day or by month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Day,
    Month,
}

impl Frequency {
    pub fn parse(raw: Option<&str>) -> Result<Frequency> {
        match raw.map(str::trim).unwrap_or("day") {
            "" | "day" => Ok(Frequency::Day),
            "month" => Ok(Frequency::Month),
            other => Err(Error::unprocessable(format!(
                "frequency must be day or month, not `{other}`"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Day => "day",
            Frequency::Month => "month",
        }
    }

    /// The first day of the period `day` is in.
    fn start_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Frequency::Day => day,
            Frequency::Month => day.with_day(1).unwrap_or(day),
        }
    }

    fn next(self, period: NaiveDate) -> NaiveDate {
        match self {
            Frequency::Day => period + Duration::days(1),
            Frequency::Month => period
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(period + Duration::days(31)),
        }
    }
}

/// Retention as Mastodon's admin API reports it: cohorts of the employees who joined in each
/// period from `start` to `end`, and how many of each were active in each later period up to
/// `end`. A cohort or a count of fewer than `min_group` people is suppressed.
pub fn retention(
    conn: &mut DbConnection,
    start: NaiveDate,
    end: NaiveDate,
    frequency: Frequency,
    min_group: u32,
) -> Result<Vec<Cohort>> {
    use crate::db::schema::users;
    let min = i64::from(min_group.max(1));
    let (from, _) = bounds(frequency.start_of(start));
    let (_, until) = bounds(end);
    let joined: Vec<(i64, NaiveDateTime)> = users::table
        .filter(users::created_at.ge(from))
        .filter(users::created_at.lt(until))
        .select((users::account_id, users::created_at))
        .load(conn)?;
    let ids: Vec<i64> = joined.iter().map(|(id, _)| *id).collect();
    let mut active: Vec<(i64, String)> = Vec::new();
    for chunk in ids.chunks(500) {
        active.extend(
            metrics_active_days::table
                .filter(metrics_active_days::account_id.eq_any(chunk))
                .filter(metrics_active_days::day.ge(day_key(frequency.start_of(start))))
                .filter(metrics_active_days::day.le(day_key(end)))
                .select((metrics_active_days::account_id, metrics_active_days::day))
                .load::<(i64, String)>(conn)?,
        );
    }
    let period_of = |day: NaiveDate| frequency.start_of(day);
    // Each employee's active periods.
    let mut periods: std::collections::HashMap<i64, HashSet<NaiveDate>> = Default::default();
    for (id, day) in &active {
        if let Ok(d) = NaiveDate::parse_from_str(day, "%Y-%m-%d") {
            periods.entry(*id).or_default().insert(period_of(d));
        }
    }
    let mut cohorts = Vec::new();
    let mut period = frequency.start_of(start);
    while period <= end {
        let members: Vec<i64> = joined
            .iter()
            .filter(|(_, at)| period_of(at.date()) == period)
            .map(|(id, _)| *id)
            .collect();
        let size = members.len() as i64;
        let shown = |n: i64| (n >= min).then_some(n);
        let mut data = Vec::new();
        let mut later = period;
        while later <= end {
            let n = members
                .iter()
                .filter(|id| periods.get(id).is_some_and(|p| p.contains(&later)))
                .count() as i64;
            data.push((later, shown(size).and(shown(n))));
            later = frequency.next(later);
        }
        cohorts.push(Cohort {
            period,
            size: shown(size),
            data,
        });
        period = frequency.next(period);
    }
    Ok(cohorts)
}

/// One entry of a dimension: its key and its total over the range (the shown days only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DimensionEntry {
    pub key: String,
    pub value: i64,
}

/// The entries of a dimension over `cells`, the largest first (at most `limit`): `languages`,
/// `hashtags` (their measure's dimension), or `servers` (the other departments, by all
/// their interactions with this one, both ways). Entries whose every day is suppressed are
/// left out.
pub fn dimension(cells: &[Cell], key: &str, limit: usize) -> Vec<DimensionEntry> {
    let mut totals: std::collections::BTreeMap<String, i64> = Default::default();
    for c in cells {
        let Some(value) = c.value else { continue };
        let counts = match key {
            "servers" => c.measure.starts_with("cross_"),
            k => c.measure == k,
        };
        if counts && !c.dimension.is_empty() {
            *totals.entry(c.dimension.clone()).or_default() += value;
        }
    }
    let mut entries: Vec<DimensionEntry> = totals
        .into_iter()
        .map(|(key, value)| DimensionEntry { key, value })
        .collect();
    entries.sort_by(|a, b| b.value.cmp(&a.value).then(a.key.cmp(&b.key)));
    entries.truncate(limit);
    entries
}

/// The dimensions [`dimension`] knows.
pub const DIMENSIONS: &[&str] = &["languages", "servers", "hashtags"];

/// A cell as exports write it: its dimension named (the other department, the hashtag or
/// the language), `value` `None` when suppressed.
#[derive(Debug, Clone, Serialize)]
pub struct Record<'a> {
    pub date: &'a str,
    pub measure: &'a str,
    pub department: Option<&'a str>,
    pub hashtag: Option<&'a str>,
    pub language: Option<&'a str>,
    pub value: Option<i64>,
    pub suppressed: bool,
}

/// What a measure's dimension is: `department`, `hashtag` or `language`.
pub fn dimension_kind(measure: &str) -> &'static str {
    match measure {
        HASHTAGS => "hashtag",
        LANGUAGES => "language",
        _ => "department",
    }
}

impl Cell {
    pub fn record(&self) -> Record<'_> {
        let dimension = (!self.dimension.is_empty()).then_some(self.dimension.as_str());
        let kind = dimension_kind(&self.measure);
        Record {
            date: &self.date,
            measure: &self.measure,
            department: dimension.filter(|_| kind == "department"),
            hashtag: dimension.filter(|_| kind == "hashtag"),
            language: dimension.filter(|_| kind == "language"),
            value: self.value,
            suppressed: self.value.is_none(),
        }
    }
}

/// The columns of the CSV export.
pub const CSV_HEADER: &str = "date,measure,department,hashtag,language,value,suppressed";

/// Cells as CSV (RFC 4180, a header row; a suppressed value empty).
pub fn to_csv(cells: &[Cell]) -> String {
    use crate::service::audit::csv_field;
    let mut out = format!("{CSV_HEADER}\r\n");
    for c in cells {
        let r = c.record();
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\r\n",
            r.date,
            csv_field(r.measure),
            csv_field(r.department.unwrap_or_default()),
            csv_field(r.hashtag.unwrap_or_default()),
            csv_field(r.language.unwrap_or_default()),
            r.value.map(|v| v.to_string()).unwrap_or_default(),
            r.suppressed
        ));
    }
    out
}

/// Cells as NDJSON (one record a line).
pub fn to_ndjson(cells: &[Cell]) -> String {
    let mut out = String::new();
    for c in cells {
        if let Ok(line) = serde_json::to_string(&c.record()) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// A measure's total over a range, as exports give it: the shown days added up, with its
/// dimension named, and `lower_bound` when some day was suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotalRecord {
    pub measure: String,
    pub department: Option<String>,
    pub hashtag: Option<String>,
    pub language: Option<String>,
    pub total: i64,
    pub lower_bound: bool,
}

impl TotalRecord {
    /// The total, or `None` when nothing of it is shown (every day suppressed).
    pub fn shown(&self) -> Option<i64> {
        (!(self.total == 0 && self.lower_bound)).then_some(self.total)
    }
}

/// A department's figures over a range: what the JSON export gives besides the days, and
/// what the company report collects from every department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The department's domain.
    pub department: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub min_group_size: u32,
    /// Distinct employees active over the range (`None`: suppressed).
    pub active_users: Option<i64>,
    pub active_users_suppressed: bool,
    /// Time to first reply over the range.
    pub first_reply: FirstReplies,
    /// Every measure that adds up, per dimension.
    pub totals: Vec<TotalRecord>,
}

impl Summary {
    /// The total of `measure` (with `dimension`, or `""` for the department-wide one).
    pub fn total(&self, measure: &str, dimension: &str) -> Option<&TotalRecord> {
        self.totals.iter().find(|t| {
            t.measure == measure
                && [&t.department, &t.hashtag, &t.language]
                    .iter()
                    .find_map(|d| d.as_deref())
                    .unwrap_or_default()
                    == dimension
        })
    }
}

/// Read a department's figures from `start` to `end`: its [`Summary`] and every day's cells.
pub fn summarize(
    conn: &mut DbConnection,
    department: &str,
    start: NaiveDate,
    end: NaiveDate,
    min_group: u32,
) -> Result<(Summary, Vec<Cell>)> {
    let cells = cells(conn, start, end, min_group)?;
    let active = active_between(conn, start, end, min_group)?;
    let first_reply = first_replies(conn, start, end, min_group)?;
    let mut keys: Vec<(&str, &str)> = cells
        .iter()
        .filter(|c| adds_up(&c.measure))
        .map(|c| (c.measure.as_str(), c.dimension.as_str()))
        .collect();
    keys.sort();
    keys.dedup();
    let totals = keys
        .iter()
        .map(|(measure, value)| {
            let t = total(&cells, measure, value);
            let kind = dimension_kind(measure);
            let named = |k: &str| (kind == k && !value.is_empty()).then(|| value.to_string());
            TotalRecord {
                measure: measure.to_string(),
                department: named("department"),
                hashtag: named("hashtag"),
                language: named("language"),
                total: t.total,
                lower_bound: t.partial,
            }
        })
        .collect();
    let summary = Summary {
        department: department.to_string(),
        start,
        end,
        min_group_size: min_group,
        active_users: active,
        active_users_suppressed: active.is_none(),
        first_reply,
        totals,
    };
    Ok((summary, cells))
}

/// The JSON export: the [`Summary`]'s fields and every day's `cells`.
pub fn to_json(summary: &Summary, cells: &[Cell]) -> serde_json::Value {
    let mut body = serde_json::to_value(summary).unwrap_or_default();
    body["cells"] = cells
        .iter()
        .map(|c| serde_json::to_value(c.record()).unwrap_or_default())
        .collect();
    body
}

//! What follows a verdict: every match recorded, the moderators told of flags and holds, and
//! the held posts they approve or refuse.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::{Account, Status};
use crate::db::schema::{accounts, statuses, users};
use crate::error::{Error, Result};
use crate::service::audit::{self, Actor};
use crate::service::notifications;
use crate::service::policy::matcher::Verdict;
use crate::service::policy::store::{self, RecordedMatch, Target};
use crate::service::statuses::{self as posting, HELD_EDIT, HELD_POST};
use crate::service::users::Role;
use crate::service::warnings;

/// Notification kinds of the policy engine (Groundswell's; Mastodon apps skip kinds they do
/// not know). Moderators: a post waits for review, a post was flagged. Its author: the held
/// post was approved (a refusal is a Mastodon `moderation_warning`).
pub const HOLD_NOTIFICATION: &str = "admin.policy_hold";
pub const FLAG_NOTIFICATION: &str = "admin.policy_flag";
pub const APPROVED_NOTIFICATION: &str = "policy.approved";

fn actor(moderator: Option<i64>) -> Actor {
    moderator.map(Actor::Account).unwrap_or(Actor::Cli)
}

/// The department's moderators and administrators (local, not suspended).
pub fn moderators(conn: &mut DbConnection) -> Result<Vec<i64>> {
    Ok(users::table
        .inner_join(accounts::table)
        .filter(users::role.eq_any([Role::Moderator.as_str(), Role::Admin.as_str()]))
        .filter(accounts::suspended_at.is_null())
        .select(accounts::id)
        .load(conn)?)
}

/// A status was stored with this verdict: record its matches, and tell the moderators of a
/// hold (the post is named, not shown: only its author may see it) or of a flag.
pub(crate) fn judged(conn: &mut DbConnection, verdict: &Verdict, status: &Status) -> Result<()> {
    if verdict.matches.is_empty() {
        return Ok(());
    }
    let target = Target {
        status_id: Some(status.id),
        account_id: Some(status.account_id),
        object_uri: None,
    };
    store::record(conn, verdict, target)?;
    let held = verdict.held_by().is_some();
    let flagged = verdict
        .acting()
        .any(|m| m.action == crate::service::policy::Action::Flag);
    if !held && !flagged {
        return Ok(());
    }
    let (kind, status_id) = if held {
        (HOLD_NOTIFICATION, None)
    } else {
        (FLAG_NOTIFICATION, Some(status.id))
    };
    for moderator in moderators(conn)? {
        let about = notifications::About {
            status_id,
            ..Default::default()
        };
        notifications::tell(conn, moderator, status.account_id, kind, about)?;
    }
    Ok(())
}

/// A held status, for moderators: what it says, who wrote it, why it is held.
#[derive(Debug, Clone)]
pub struct Held {
    pub status: Status,
    pub account: Account,
    /// `post` (never published) or `edit` (published, then held by an edit).
    pub held: String,
    pub matches: Vec<RecordedMatch>,
}

/// The statuses waiting for review, newest first.
pub fn held(conn: &mut DbConnection, max_id: Option<i64>, limit: i64) -> Result<Vec<Held>> {
    let mut q = statuses::table
        .inner_join(accounts::table)
        .filter(statuses::held_for_review.is_not_null())
        .filter(statuses::deleted_at.is_null())
        .select((Status::as_select(), Account::as_select()))
        .into_boxed();
    if let Some(max) = max_id {
        q = q.filter(statuses::id.lt(max));
    }
    let rows: Vec<(Status, Account)> = q
        .order(statuses::id.desc())
        .limit(limit.clamp(1, 200))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|(s, _)| s.id).collect();
    let mut matches = store::matches_of_statuses(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(status, account)| Held {
            held: status.held_for_review.clone().unwrap_or_default(),
            matches: matches.remove(&status.id).unwrap_or_default(),
            status,
            account,
        })
        .collect())
}

/// One held status.
pub fn find_held(conn: &mut DbConnection, id: i64) -> Result<Held> {
    let (status, account): (Status, Account) = statuses::table
        .inner_join(accounts::table)
        .filter(statuses::id.eq(id))
        .filter(statuses::held_for_review.is_not_null())
        .filter(statuses::deleted_at.is_null())
        .select((Status::as_select(), Account::as_select()))
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            Error::new(
                crate::error::ErrorKind::NotFound,
                "No held post with this id",
            )
        })?;
    let matches = store::matches_of_status(conn, status.id)?;
    Ok(Held {
        held: status.held_for_review.clone().unwrap_or_default(),
        status,
        account,
        matches,
    })
}

/// A moderator approves a held status: it is published now (a held post as if just posted,
/// a held edit as if just made), and its author is told.
#[tracing::instrument(skip(conn), fields(status_id = id))]
pub fn approve(conn: &mut DbConnection, moderator: Option<i64>, id: i64) -> Result<Status> {
    let Held { status, held, .. } = find_held(conn, id)?;
    let status: Status = diesel::update(statuses::table.find(status.id))
        .set(statuses::held_for_review.eq(None::<String>))
        .returning(statuses::all_columns)
        .get_result(conn)?;
    let ours = status.local;
    match held.as_str() {
        HELD_EDIT => posting::release_edit(conn, &status, ours, None)?,
        HELD_POST => posting::release(conn, &status, ours)?,
        other => {
            return Err(Error::internal(anyhow::anyhow!(
                "status {id} is held as `{other}`"
            )));
        }
    }
    if ours {
        notifications::tell(
            conn,
            status.account_id,
            moderator.unwrap_or(status.account_id),
            APPROVED_NOTIFICATION,
            notifications::About {
                status_id: Some(status.id),
                ..Default::default()
            },
        )?;
    }
    audit::record(
        conn,
        &actor(moderator),
        "status.approve",
        audit::Target::new("status", id, format!("held {held} {id}")),
        "",
        serde_json::json!({ "author_account_id": status.account_id.to_string() }),
    )?;
    tracing::info!(status_id = id, ?moderator, "held status approved");
    Ok(status)
}

/// A moderator refuses a held status: it is taken down (from the other departments too, for
/// an edit of a post that had left), and its author receives the reason as a moderation
/// warning.
#[tracing::instrument(skip(conn, reason), fields(status_id = id))]
pub fn reject(
    conn: &mut DbConnection,
    moderator: Option<i64>,
    id: i64,
    reason: &str,
) -> Result<Status> {
    let reason = warnings::reason(reason, "the post is refused")?;
    let reason = reason.as_str();
    let Held { status, .. } = find_held(conn, id)?;
    posting::remove(conn, &status, status.local)?;
    if status.local {
        warnings::warn(
            conn,
            status.account_id,
            moderator,
            warnings::WarningAction::DeleteStatuses,
            reason,
            &[status.id],
        )?;
    }
    audit::record(
        conn,
        &actor(moderator),
        "status.reject",
        audit::Target::new("status", id, format!("held post {id}")),
        reason,
        serde_json::json!({ "author_account_id": status.account_id.to_string() }),
    )?;
    tracing::info!(status_id = id, ?moderator, "held status refused");
    Ok(status)
}

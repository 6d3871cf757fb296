//! What an employee features on their profile: accounts they endorse and hashtags they
//! feature (Mastodon's endorsements and featured tags).
//! <https://docs.joinmastodon.org/methods/endorsements/>,
//! <https://docs.joinmastodon.org/methods/featured_tags/>

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::models::{Account, Tag};
use crate::db::schema::{
    accounts, endorsements, featured_tags, follows, status_tags, statuses, tags,
};
use crate::db::{DbConnection, ids};
use crate::error::{Error, Result};
use crate::service::pagination::Page;
use crate::service::tags::TagName;

/// Most accounts one employee endorses.
pub const MAX_ENDORSEMENTS: i64 = 40;
/// Most hashtags one employee features (Mastodon's limit).
pub const MAX_FEATURED_TAGS: i64 = 10;

fn find_account(conn: &mut DbConnection, id: i64) -> Result<Account> {
    crate::service::accounts::find(conn, id)
}

/// Endorse (feature) an account `me` follows, or stop.
pub fn endorse(conn: &mut DbConnection, me: i64, target_id: i64, on: bool) -> Result<()> {
    let target = find_account(conn, target_id)?;
    let existing = endorsements::table
        .filter(endorsements::account_id.eq(me))
        .filter(endorsements::target_account_id.eq(target.id));
    let exists: bool = diesel::select(diesel::dsl::exists(existing)).get_result(conn)?;
    if !on {
        diesel::delete(existing).execute(conn)?;
        return Ok(());
    }
    if exists {
        return Ok(());
    }
    let following: bool = diesel::select(diesel::dsl::exists(
        follows::table
            .filter(follows::account_id.eq(me))
            .filter(follows::target_account_id.eq(target.id))
            .filter(follows::accepted.eq(true)),
    ))
    .get_result(conn)?;
    if !following {
        return Err(Error::unprocessable(
            "Validation failed: You must be following the account to endorse it",
        ));
    }
    let count: i64 = endorsements::table
        .filter(endorsements::account_id.eq(me))
        .count()
        .get_result(conn)?;
    if count >= MAX_ENDORSEMENTS {
        return Err(Error::unprocessable(format!(
            "Validation failed: You can endorse at most {MAX_ENDORSEMENTS} accounts"
        )));
    }
    diesel::insert_into(endorsements::table)
        .values((
            endorsements::id.eq(ids::next_id()),
            endorsements::account_id.eq(me),
            endorsements::target_account_id.eq(target.id),
            endorsements::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forget an endorsement (when the follow ends).
pub fn forget_endorsement(conn: &mut DbConnection, me: i64, target: i64) -> Result<()> {
    diesel::delete(
        endorsements::table
            .filter(endorsements::account_id.eq(me))
            .filter(endorsements::target_account_id.eq(target)),
    )
    .execute(conn)?;
    Ok(())
}

/// The accounts `account_id` endorses, newest endorsement first, paged by the endorsement
/// (suspended accounts left out).
pub fn endorsed(
    conn: &mut DbConnection,
    account_id: i64,
    page: &Page,
) -> Result<Vec<(i64, Account)>> {
    let mut q = endorsements::table
        .inner_join(accounts::table.on(accounts::id.eq(endorsements::target_account_id)))
        .filter(endorsements::account_id.eq(account_id))
        .filter(accounts::suspended_at.is_null())
        .select((endorsements::id, Account::as_select()))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(endorsements::id.lt(max));
    }
    if let Some(since) = page.since_id.or(page.min_id) {
        q = q.filter(endorsements::id.gt(since));
    }
    Ok(q.order(endorsements::id.desc())
        .limit(page.limit)
        .load(conn)?)
}

/// Which of `ids` `me` endorses.
pub fn endorsing(conn: &mut DbConnection, me: i64, ids: &[i64]) -> Result<Vec<i64>> {
    Ok(endorsements::table
        .filter(endorsements::account_id.eq(me))
        .filter(endorsements::target_account_id.eq_any(ids))
        .select(endorsements::target_account_id)
        .load(conn)?)
}

/// A featured hashtag with how the employee uses it.
#[derive(Debug, Clone)]
pub struct FeaturedTag {
    pub id: i64,
    pub tag: Tag,
    /// The employee's public and unlisted posts with it.
    pub statuses_count: i64,
    pub last_status_at: Option<NaiveDateTime>,
}

/// The hashtags `account_id` features, oldest first, with their use. Two queries.
pub fn featured_tags(conn: &mut DbConnection, account_id: i64) -> Result<Vec<FeaturedTag>> {
    let rows: Vec<(i64, Tag)> = featured_tags::table
        .inner_join(tags::table)
        .filter(featured_tags::account_id.eq(account_id))
        .order(featured_tags::id.asc())
        .select((featured_tags::id, Tag::as_select()))
        .load(conn)?;
    let tag_ids: Vec<i64> = rows.iter().map(|(_, t)| t.id).collect();
    let usage: HashMap<i64, (i64, Option<NaiveDateTime>)> = if tag_ids.is_empty() {
        HashMap::new()
    } else {
        status_tags::table
            .inner_join(statuses::table)
            .filter(status_tags::tag_id.eq_any(&tag_ids))
            .filter(statuses::account_id.eq(account_id))
            .filter(statuses::deleted_at.is_null())
            .filter(statuses::held_for_review.is_null())
            .filter(statuses::visibility.eq_any(["public", "unlisted"]))
            .group_by(status_tags::tag_id)
            .select((
                status_tags::tag_id,
                diesel::dsl::count_star(),
                diesel::dsl::max(statuses::created_at),
            ))
            .load::<(i64, i64, Option<NaiveDateTime>)>(conn)?
            .into_iter()
            .map(|(tag, n, last)| (tag, (n, last)))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|(id, tag)| {
            let (statuses_count, last_status_at) = usage.get(&tag.id).copied().unwrap_or((0, None));
            FeaturedTag {
                id,
                tag,
                statuses_count,
                last_status_at,
            }
        })
        .collect())
}

/// Feature a hashtag (once; at most [`MAX_FEATURED_TAGS`]).
pub fn feature_tag(conn: &mut DbConnection, me: i64, name: &str) -> Result<FeaturedTag> {
    let name = TagName::parse(name)
        .map_err(|_| Error::unprocessable("Validation failed: Tag is not a valid hashtag name"))?;
    let tag_id = crate::service::statuses::upsert_tags(conn, &[name.as_str().to_string()])?
        .pop()
        .ok_or_else(Error::not_found)?;
    let already: bool = diesel::select(diesel::dsl::exists(
        featured_tags::table
            .filter(featured_tags::account_id.eq(me))
            .filter(featured_tags::tag_id.eq(tag_id)),
    ))
    .get_result(conn)?;
    if already {
        return Err(Error::unprocessable(
            "Validation failed: Tag has already been featured",
        ));
    }
    let count: i64 = featured_tags::table
        .filter(featured_tags::account_id.eq(me))
        .count()
        .get_result(conn)?;
    if count >= MAX_FEATURED_TAGS {
        return Err(Error::unprocessable(format!(
            "Validation failed: You can feature at most {MAX_FEATURED_TAGS} hashtags"
        )));
    }
    let id = ids::next_id();
    diesel::insert_into(featured_tags::table)
        .values((
            featured_tags::id.eq(id),
            featured_tags::account_id.eq(me),
            featured_tags::tag_id.eq(tag_id),
            featured_tags::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    featured_tags(conn, me)?
        .into_iter()
        .find(|f| f.id == id)
        .ok_or_else(Error::not_found)
}

/// Stop featuring one of my hashtags.
pub fn unfeature_tag(conn: &mut DbConnection, me: i64, id: i64) -> Result<()> {
    let removed = diesel::delete(
        featured_tags::table
            .filter(featured_tags::id.eq(id))
            .filter(featured_tags::account_id.eq(me)),
    )
    .execute(conn)?;
    if removed == 0 {
        return Err(Error::not_found());
    }
    Ok(())
}

/// Hashtags `me` used most in their recent posts and does not feature yet (at most 10).
pub fn suggested_tags(conn: &mut DbConnection, me: i64) -> Result<Vec<Tag>> {
    let featured = featured_tags::table
        .filter(featured_tags::account_id.eq(me))
        .select(featured_tags::tag_id);
    let used: Vec<(i64, i64)> = status_tags::table
        .inner_join(statuses::table)
        .filter(statuses::account_id.eq(me))
        .filter(statuses::deleted_at.is_null())
        .filter(diesel::dsl::not(status_tags::tag_id.eq_any(featured)))
        .group_by(status_tags::tag_id)
        .select((status_tags::tag_id, diesel::dsl::count_star()))
        .order(diesel::dsl::count_star().desc())
        .limit(10)
        .load(conn)?;
    let ids: Vec<i64> = used.iter().map(|(t, _)| *t).collect();
    let mut found: HashMap<i64, Tag> = tags::table
        .filter(tags::id.eq_any(&ids))
        .select(Tag::as_select())
        .load(conn)?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

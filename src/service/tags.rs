//! Hashtags as things to follow: an employee who follows a hashtag gets public posts with it
//! in their home timeline (`timelines::home`). <https://docs.joinmastodon.org/methods/tags/>

use std::sync::LazyLock;

use chrono::Utc;
use diesel::prelude::*;
use regex::Regex;

use crate::config::Settings;
use crate::db::models::Tag;
use crate::db::schema::{tag_follows, tags};
use crate::db::{DbConnection, ids, is_unique_violation};
use crate::error::{Error, Result};
use crate::service::feeds;
use crate::service::pagination::Page;

/// The hashtag rule of `text::scan`: word characters with at least one letter or `_`.
static TAG_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\w*[\p{Alphabetic}_]\w*$").expect("valid hashtag name regex"));

/// A hashtag name as typed (`Rust`, `#Rust`), checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagName(String);

impl TagName {
    /// Anything that could not be a hashtag names nothing: not found.
    pub fn parse(input: &str) -> Result<TagName> {
        let name = input.trim().trim_start_matches('#');
        if name.chars().count() > 100 || !TAG_NAME.is_match(name) {
            return Err(Error::not_found());
        }
        Ok(TagName(name.to_string()))
    }

    /// How it is stored and matched: lowercase.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A hashtag as an employee sees it: the stored tag if anyone used or followed it, and
/// whether they follow it (`None` when nobody is signed in).
#[derive(Debug, Clone)]
pub struct TagView {
    pub tag: Option<Tag>,
    /// The name to show: as first typed, or as asked for if the tag is new.
    pub display_name: String,
    pub name: String,
    pub following: Option<bool>,
}

fn find(conn: &mut DbConnection, name: &TagName) -> Result<Option<Tag>> {
    Ok(tags::table
        .filter(tags::name.eq(name.normalized()))
        .select(Tag::as_select())
        .first(conn)
        .optional()?)
}

fn follows(conn: &mut DbConnection, me: i64, tag_id: i64) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        tag_follows::table
            .filter(tag_follows::account_id.eq(me))
            .filter(tag_follows::tag_id.eq(tag_id)),
    ))
    .get_result(conn)?)
}

fn view(tag: Option<Tag>, name: &TagName, following: Option<bool>) -> TagView {
    TagView {
        display_name: tag
            .as_ref()
            .map_or_else(|| name.as_str().to_string(), |t| t.display_name.clone()),
        name: name.normalized(),
        tag,
        following,
    }
}

/// A hashtag, known or not (a valid name that nobody used yet is shown empty, as on Mastodon).
pub fn show(conn: &mut DbConnection, viewer: Option<i64>, name: &TagName) -> Result<TagView> {
    let tag = find(conn, name)?;
    let following = match (viewer, &tag) {
        (None, _) => None,
        (Some(_), None) => Some(false),
        (Some(me), Some(t)) => Some(follows(conn, me, t.id)?),
    };
    Ok(view(tag, name, following))
}

/// Follow a hashtag (creating it if new). Following it again changes nothing.
#[tracing::instrument(skip(conn))]
pub fn follow(
    conn: &mut DbConnection,
    settings: &Settings,
    me: i64,
    name: &TagName,
) -> Result<TagView> {
    let ids_found = crate::service::statuses::upsert_tags(conn, &[name.as_str().to_string()])?;
    let tag_id = ids_found.first().copied().ok_or_else(Error::not_found)?;
    if !follows(conn, me, tag_id)? {
        // A savepoint, so that a concurrent follow of the same tag does not abort us.
        let inserted = conn.transaction(|c| {
            diesel::insert_into(tag_follows::table)
                .values((
                    tag_follows::id.eq(ids::next_id()),
                    tag_follows::account_id.eq(me),
                    tag_follows::tag_id.eq(tag_id),
                    tag_follows::created_at.eq(Utc::now().naive_utc()),
                ))
                .execute(c)
        });
        match inserted {
            Ok(_) => {
                let source = feeds::Source::Tag(tag_id);
                feeds::bring_in(conn, me, source, settings.limits.home_feed_size)?;
            }
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let tag = find(conn, name)?;
    Ok(view(tag, name, Some(true)))
}

/// Stop following a hashtag (not following it is fine).
#[tracing::instrument(skip(conn))]
pub fn unfollow(conn: &mut DbConnection, me: i64, name: &TagName) -> Result<TagView> {
    let tag = find(conn, name)?;
    if let Some(t) = &tag {
        diesel::delete(
            tag_follows::table
                .filter(tag_follows::account_id.eq(me))
                .filter(tag_follows::tag_id.eq(t.id)),
        )
        .execute(conn)?;
    }
    Ok(view(tag, name, Some(false)))
}

/// Which of these hashtags `me` follows.
pub fn followed_among(
    conn: &mut DbConnection,
    me: i64,
    tag_ids: &[i64],
) -> Result<std::collections::HashSet<i64>> {
    Ok(tag_follows::table
        .filter(tag_follows::account_id.eq(me))
        .filter(tag_follows::tag_id.eq_any(tag_ids))
        .select(tag_follows::tag_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}

/// The hashtags `me` follows, most recently followed first, paged by the follow.
pub fn followed(conn: &mut DbConnection, me: i64, page: &Page) -> Result<Vec<(i64, Tag)>> {
    let mut q = tag_follows::table
        .inner_join(tags::table)
        .filter(tag_follows::account_id.eq(me))
        .select((tag_follows::id, Tag::as_select()))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(tag_follows::id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(tag_follows::id.gt(since));
    }
    if let Some(min) = page.min_id {
        let mut rows: Vec<(i64, Tag)> = q
            .filter(tag_follows::id.gt(min))
            .order(tag_follows::id.asc())
            .limit(page.limit)
            .load(conn)?;
        rows.reverse();
        return Ok(rows);
    }
    Ok(q.order(tag_follows::id.desc())
        .limit(page.limit)
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtag_names() {
        assert_eq!(TagName::parse("#Rust").unwrap().normalized(), "rust");
        assert!(TagName::parse("rust_2024").is_ok());
        assert!(
            TagName::parse("2024").is_err(),
            "digits only is not a hashtag"
        );
        assert!(TagName::parse("no-dash").is_err());
        assert!(TagName::parse("").is_err());
    }
}

//! Search across accounts, hashtags and the statuses an employee may see.

use std::collections::HashSet;

use diesel::prelude::*;

use crate::config::Settings;
use crate::context::AppContext;
use crate::db::models::{Account, Status, Tag};
use crate::db::schema::{statuses, tags};
use crate::db::{DbConnection, lower};
use crate::error::Result;
use crate::service::accounts;
use crate::service::remote::{self, Found};
use crate::service::tags::followed_among;
use crate::service::views::{self, StatusView};
use crate::service::visibility::visible_to;

#[derive(Debug, Default)]
pub struct Query {
    pub text: String,
    pub accounts: bool,
    pub hashtags: bool,
    pub statuses: bool,
    pub limit: i64,
    pub offset: i64,
    pub following: bool,
    pub account_id: Option<i64>,
    /// A post fetched from another department for this search (its URL was the query).
    pub resolved_status: Option<i64>,
}

#[derive(Default)]
pub struct Results {
    pub accounts: Vec<Account>,
    pub statuses: Vec<StatusView>,
    pub hashtags: Vec<Tag>,
    /// Which of `hashtags` the searching employee follows.
    pub followed_hashtags: HashSet<i64>,
}

fn like_pattern(text: &str, leading: bool) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    if leading {
        format!("%{escaped}%")
    } else {
        format!("{escaped}%")
    }
}

pub fn search(
    conn: &mut DbConnection,
    settings: &Settings,
    me: Option<i64>,
    q: &Query,
) -> Result<Results> {
    let text = q.text.trim();
    let mut out = Results::default();
    if q.accounts {
        // An exact `user@domain` first, then prefix matches.
        if text.contains('@')
            && let Ok(exact) = accounts::lookup(conn, settings, text)
        {
            out.accounts.push(exact);
        }
        for a in accounts::search(conn, me, text, q.following, q.limit, q.offset)? {
            if !out.accounts.iter().any(|x| x.id == a.id) {
                out.accounts.push(a);
            }
        }
        out.accounts.truncate(q.limit as usize);
    }
    if q.hashtags {
        let name = text.trim_start_matches('#').to_lowercase();
        if !name.is_empty() {
            out.hashtags = tags::table
                .filter(tags::name.like(like_pattern(&name, false)).escape('\\'))
                .order(tags::name.asc())
                .limit(q.limit)
                .offset(q.offset)
                .select(Tag::as_select())
                .load(conn)?;
            if let Some(me) = me {
                let ids: Vec<i64> = out.hashtags.iter().map(|t| t.id).collect();
                out.followed_hashtags = followed_among(conn, me, &ids)?;
            }
        }
    }
    if q.statuses
        && let Some(id) = q.resolved_status
        && let Ok(status) = crate::service::visibility::find_visible(conn, me, id)
    {
        out.statuses = views::hydrate(conn, me, vec![status])?;
        return Ok(out);
    }
    if q.statuses && !text.is_empty() {
        let mut query = statuses::table
            .filter(visible_to(me))
            .filter(statuses::reblog_of_id.is_null())
            .filter(
                lower(statuses::content)
                    .like(like_pattern(&text.to_lowercase(), true))
                    .escape('\\'),
            )
            .select(Status::as_select())
            .into_boxed();
        if let Some(author) = q.account_id {
            query = query.filter(statuses::account_id.eq(author));
        }
        let rows = query
            .order(statuses::id.desc())
            .limit(q.limit)
            .offset(q.offset)
            .load(conn)?;
        out.statuses = views::hydrate(conn, me, rows)?;
    }
    Ok(out)
}

/// Fetch what a search names from another department (allowed ones only): a post's or
/// account's URL, or `user@domain`. Failures leave the search to what we already know.
/// Returns the id of a post found by its URL.
pub async fn resolve_remote(ctx: &AppContext, q: &str) -> Option<i64> {
    if let Ok(url) = url::Url::parse(q)
        && matches!(url.scheme(), "http" | "https")
    {
        return match remote::url(ctx, &url).await {
            Ok(Found::Status(status)) => Some(status.id),
            Ok(Found::Account(_)) => None,
            Err(e) => {
                tracing::debug!(error = %e, "cannot resolve the searched URL");
                None
            }
        };
    }
    let acct = q.trim_start_matches('@');
    if let Some((_, domain)) = acct.rsplit_once('@')
        && !domain.eq_ignore_ascii_case(ctx.settings.instance.domain.as_str())
        && let Err(e) = remote::account(ctx, acct).await
    {
        tracing::debug!(error = %e, acct, "cannot resolve the searched account");
    }
    None
}

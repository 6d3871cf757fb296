//! Direct conversations: the threads holding direct messages an employee wrote or was
//! mentioned in, newest activity first. <https://docs.joinmastodon.org/methods/conversations/>
//!
//! A conversation is identified by its thread's root status id and computed from the statuses
//! (through `visible_to`), so it is always in step with posts, edits and deletions.
//! `account_conversations` only keeps each employee's own state: what they read, and what they
//! removed from their list (a newer message brings the conversation back, as on Mastodon).

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use diesel::dsl::{exists, max, not};
use diesel::prelude::*;

use crate::db::models::{Account, AccountConversation, Status};
use crate::db::schema::{account_conversations, accounts, mentions, statuses};
use crate::db::{DbConnection, ids, is_unique_violation};
use crate::error::{Error, Result};
use crate::service::pagination::Page;
use crate::service::views::{self, StatusView};
use crate::service::visibility::{StatusFilter, visible_to};

/// A conversation as `me` sees it.
#[derive(Debug, Clone)]
pub struct ConversationView {
    /// The thread's root status id.
    pub id: i64,
    /// Everyone else who wrote or was mentioned in its direct messages.
    pub accounts: Vec<Account>,
    pub last_status: StatusView,
    /// The newest message is someone else's and `me` has not read it.
    pub unread: bool,
}

/// Direct messages (not boosts) `me` wrote or was mentioned in, that `me` may see.
fn direct_with(me: i64) -> StatusFilter {
    Box::new(
        visible_to(Some(me))
            .and(statuses::visibility.eq("direct"))
            .and(statuses::reblog_of_id.is_null())
            .and(statuses::thread_root_id.is_not_null())
            .and(
                statuses::account_id.eq(me).or(statuses::id.eq_any(
                    mentions::table
                        .filter(mentions::account_id.eq(me))
                        .select(mentions::status_id),
                )),
            ),
    )
}

/// ... and not removed by `me` from their list.
fn listed_for(me: i64) -> StatusFilter {
    Box::new(
        direct_with(me).and(not(exists(
            account_conversations::table
                .filter(account_conversations::account_id.eq(me))
                .filter(
                    account_conversations::conversation_id
                        .nullable()
                        .eq(statuses::thread_root_id),
                )
                .filter(
                    account_conversations::removed_through_status_id.ge(statuses::id.nullable()),
                ),
        ))),
    )
}

type Grouped = (Option<i64>, Option<i64>);

/// (root id, newest status id) of `me`'s listed conversations, newest activity first, paged
/// by the newest status id.
fn page_of_threads(conn: &mut DbConnection, me: i64, page: &Page) -> Result<Vec<(i64, i64)>> {
    let upper = page.max_id.unwrap_or(i64::MAX);
    let lower = page.since_id.or(page.min_id).unwrap_or(i64::MIN);
    let query = statuses::table
        .filter(listed_for(me))
        .group_by(statuses::thread_root_id)
        .select((statuses::thread_root_id, max(statuses::id)))
        .having(max(statuses::id).lt(upper).and(max(statuses::id).gt(lower)));
    let rows: Vec<Grouped> = if page.min_id.is_some() {
        let mut rows: Vec<Grouped> = query
            .order(max(statuses::id).asc())
            .limit(page.limit)
            .load(conn)?;
        rows.reverse();
        rows
    } else {
        query
            .order(max(statuses::id).desc())
            .limit(page.limit)
            .load(conn)?
    };
    Ok(rows
        .into_iter()
        .filter_map(|(root, last)| Some((root?, last?)))
        .collect())
}

/// Build the views of these (root, newest status) pairs in a fixed number of queries.
fn build(
    conn: &mut DbConnection,
    me: i64,
    threads: Vec<(i64, i64)>,
) -> Result<Vec<ConversationView>> {
    if threads.is_empty() {
        return Ok(Vec::new());
    }
    let roots: Vec<i64> = threads.iter().map(|(root, _)| *root).collect();
    let last_ids: Vec<i64> = threads.iter().map(|(_, last)| *last).collect();
    let last_rows: Vec<Status> = statuses::table
        .filter(statuses::id.eq_any(&last_ids))
        .select(Status::as_select())
        .load(conn)?;
    let mut last_views: HashMap<i64, StatusView> = views::hydrate(conn, Some(me), last_rows)?
        .into_iter()
        .map(|v| (v.status.id, v))
        .collect();

    // Participants: authors and mentioned accounts of the threads' direct messages.
    let messages: Vec<(Option<i64>, i64, i64)> = statuses::table
        .filter(direct_with(me))
        .filter(statuses::thread_root_id.eq_any(roots.iter().map(|r| Some(*r))))
        .select((statuses::thread_root_id, statuses::id, statuses::account_id))
        .load(conn)?;
    let root_of: HashMap<i64, i64> = messages
        .iter()
        .filter_map(|(root, id, _)| Some((*id, (*root)?)))
        .collect();
    let mut people: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut add = |root: i64, account: i64| {
        let list = people.entry(root).or_default();
        if account != me && !list.contains(&account) {
            list.push(account);
        }
    };
    for (root, _, author) in &messages {
        if let Some(root) = root {
            add(*root, *author);
        }
    }
    let message_ids: Vec<i64> = root_of.keys().copied().collect();
    for (status_id, account) in mentions::table
        .filter(mentions::status_id.eq_any(&message_ids))
        .order(mentions::id.asc())
        .select((mentions::status_id, mentions::account_id))
        .load::<(i64, i64)>(conn)?
    {
        if let Some(root) = root_of.get(&status_id) {
            add(*root, account);
        }
    }
    let account_ids: HashSet<i64> = people.values().flatten().copied().collect();
    let account_ids: Vec<i64> = account_ids.into_iter().collect();
    let accounts_by_id: HashMap<i64, Account> = accounts::table
        .filter(accounts::id.eq_any(&account_ids))
        .filter(accounts::suspended_at.is_null())
        .select(Account::as_select())
        .load(conn)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();

    let read_up_to: HashMap<i64, i64> = account_conversations::table
        .filter(account_conversations::account_id.eq(me))
        .filter(account_conversations::conversation_id.eq_any(&roots))
        .select((
            account_conversations::conversation_id,
            account_conversations::last_read_status_id,
        ))
        .load::<(i64, Option<i64>)>(conn)?
        .into_iter()
        .filter_map(|(root, read)| Some((root, read?)))
        .collect();

    Ok(threads
        .into_iter()
        .filter_map(|(root, last)| {
            let last_status = last_views.remove(&last)?;
            let unread = last_status.status.account_id != me
                && read_up_to.get(&root).is_none_or(|read| *read < last);
            Some(ConversationView {
                id: root,
                accounts: people
                    .get(&root)
                    .map(|ids| {
                        ids.iter()
                            .filter_map(|id| accounts_by_id.get(id).cloned())
                            .collect()
                    })
                    .unwrap_or_default(),
                last_status,
                unread,
            })
        })
        .collect())
}

/// `me`'s conversations, newest activity first. Returns (newest status id for paging, view).
pub fn list(conn: &mut DbConnection, me: i64, page: &Page) -> Result<Vec<(i64, ConversationView)>> {
    let threads = page_of_threads(conn, me, page)?;
    Ok(build(conn, me, threads)?
        .into_iter()
        .map(|c| (c.last_status.status.id, c))
        .collect())
}

/// The newest message of one of `me`'s listed conversations; others are not found.
fn newest(conn: &mut DbConnection, me: i64, id: i64) -> Result<i64> {
    statuses::table
        .filter(listed_for(me))
        .filter(statuses::thread_root_id.eq(id))
        .select(max(statuses::id))
        .first::<Option<i64>>(conn)?
        .ok_or_else(Error::not_found)
}

/// Set `me`'s state of a conversation, creating the row if needed.
fn set_state(
    conn: &mut DbConnection,
    me: i64,
    id: i64,
    read: Option<i64>,
    removed: Option<i64>,
) -> Result<()> {
    let now = Utc::now().naive_utc();
    let existing: Option<AccountConversation> = account_conversations::table
        .filter(account_conversations::account_id.eq(me))
        .filter(account_conversations::conversation_id.eq(id))
        .select(AccountConversation::as_select())
        .first(conn)
        .optional()?;
    if let Some(row) = existing {
        diesel::update(account_conversations::table.find(row.id))
            .set((
                account_conversations::last_read_status_id.eq(read.or(row.last_read_status_id)),
                account_conversations::removed_through_status_id
                    .eq(removed.or(row.removed_through_status_id)),
                account_conversations::updated_at.eq(now),
            ))
            .execute(conn)?;
        return Ok(());
    }
    let row = AccountConversation {
        id: ids::next_id(),
        account_id: me,
        conversation_id: id,
        last_read_status_id: read,
        removed_through_status_id: removed,
        created_at: now,
        updated_at: now,
    };
    // A savepoint: if another request created the row meanwhile, update that one instead.
    match conn.transaction(|c| {
        diesel::insert_into(account_conversations::table)
            .values(&row)
            .execute(c)
    }) {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => set_state(conn, me, id, read, removed),
        Err(e) => Err(e.into()),
    }
}

/// Mark one of `me`'s conversations read up to its newest message.
#[tracing::instrument(skip(conn))]
pub fn mark_read(conn: &mut DbConnection, me: i64, id: i64) -> Result<ConversationView> {
    let last = newest(conn, me, id)?;
    set_state(conn, me, id, Some(last), None)?;
    build(conn, me, vec![(id, last)])?
        .pop()
        .ok_or_else(Error::not_found)
}

/// Remove one of `me`'s conversations from their list (for `me` only; a newer message brings
/// it back).
#[tracing::instrument(skip(conn))]
pub fn remove(conn: &mut DbConnection, me: i64, id: i64) -> Result<()> {
    let last = newest(conn, me, id)?;
    set_state(conn, me, id, Some(last), Some(last))
}

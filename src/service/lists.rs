//! Lists: an employee groups accounts they follow and reads their posts as a separate
//! timeline (`timelines::list`). A list belongs to its owner alone: to anyone else it does not
//! exist. <https://docs.joinmastodon.org/methods/lists/>

use std::fmt;
use std::str::FromStr;

use chrono::Utc;
use diesel::prelude::*;

use crate::db::models::{Account, List};
use crate::db::schema::{accounts, follows, list_accounts, lists};
use crate::db::{DbConnection, ids, is_unique_violation};
use crate::error::{Error, Result};
use crate::service::pagination::Page;

/// Most lists one employee may have (Mastodon's limit).
pub const MAX_LISTS: i64 = 50;
/// Longest list title, in characters.
pub const MAX_TITLE_CHARS: usize = 256;

/// Which replies to accounts other than the author show in a list timeline. Replies to
/// oneself and to the list's owner always show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepliesPolicy {
    /// Replies to anyone the owner follows.
    Followed,
    /// Replies to other members of the list.
    List,
    /// No replies to others.
    None,
}

impl RepliesPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            RepliesPolicy::Followed => "followed",
            RepliesPolicy::List => "list",
            RepliesPolicy::None => "none",
        }
    }
}

impl FromStr for RepliesPolicy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "followed" => Ok(RepliesPolicy::Followed),
            "list" => Ok(RepliesPolicy::List),
            "none" => Ok(RepliesPolicy::None),
            other => Err(Error::unprocessable(format!(
                "'{other}' is not a valid replies_policy"
            ))),
        }
    }
}

impl fmt::Display for RepliesPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A list's title: not blank, at most [`MAX_TITLE_CHARS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListTitle(String);

impl ListTitle {
    pub fn parse(input: &str) -> Result<ListTitle> {
        let title = input.trim();
        if title.is_empty() {
            return Err(Error::unprocessable(
                "Validation failed: Title can't be blank",
            ));
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(Error::unprocessable(format!(
                "Validation failed: Title is too long (maximum is {MAX_TITLE_CHARS} characters)"
            )));
        }
        Ok(ListTitle(title.to_string()))
    }
}

/// What a client sends to create or change a list; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ListChanges {
    pub title: Option<ListTitle>,
    pub replies_policy: Option<RepliesPolicy>,
    pub exclusive: Option<bool>,
}

/// `me`'s lists, oldest first.
pub fn all(conn: &mut DbConnection, me: i64) -> Result<Vec<List>> {
    Ok(lists::table
        .filter(lists::account_id.eq(me))
        .order(lists::id.asc())
        .select(List::as_select())
        .load(conn)?)
}

/// One of `me`'s lists; another employee's list is not found.
pub fn find(conn: &mut DbConnection, me: i64, id: i64) -> Result<List> {
    lists::table
        .filter(lists::id.eq(id))
        .filter(lists::account_id.eq(me))
        .select(List::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(Error::not_found)
}

#[tracing::instrument(skip(conn, changes), fields(account_id = me))]
pub fn create(conn: &mut DbConnection, me: i64, changes: ListChanges) -> Result<List> {
    let title = changes
        .title
        .ok_or_else(|| Error::unprocessable("Validation failed: Title can't be blank"))?;
    let count: i64 = lists::table
        .filter(lists::account_id.eq(me))
        .count()
        .get_result(conn)?;
    if count >= MAX_LISTS {
        return Err(Error::unprocessable(format!(
            "Validation failed: You have reached the maximum of {MAX_LISTS} lists"
        )));
    }
    let now = Utc::now().naive_utc();
    let row = List {
        id: ids::next_id(),
        account_id: me,
        title: title.0,
        replies_policy: changes
            .replies_policy
            .unwrap_or(RepliesPolicy::List)
            .as_str()
            .to_string(),
        exclusive: changes.exclusive.unwrap_or(false),
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(lists::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

#[tracing::instrument(skip(conn, changes), fields(account_id = me))]
pub fn update(conn: &mut DbConnection, me: i64, id: i64, changes: ListChanges) -> Result<List> {
    let list = find(conn, me, id)?;
    Ok(diesel::update(lists::table.find(list.id))
        .set((
            lists::title.eq(changes.title.map(|t| t.0).unwrap_or(list.title)),
            lists::replies_policy.eq(changes
                .replies_policy
                .map(|p| p.as_str().to_string())
                .unwrap_or(list.replies_policy)),
            lists::exclusive.eq(changes.exclusive.unwrap_or(list.exclusive)),
            lists::updated_at.eq(Utc::now().naive_utc()),
        ))
        .returning(lists::all_columns)
        .get_result(conn)?)
}

#[tracing::instrument(skip(conn))]
pub fn delete(conn: &mut DbConnection, me: i64, id: i64) -> Result<()> {
    let list = find(conn, me, id)?;
    diesel::delete(list_accounts::table.filter(list_accounts::list_id.eq(list.id)))
        .execute(conn)?;
    diesel::delete(lists::table.find(list.id)).execute(conn)?;
    Ok(())
}

/// The members of one of `me`'s lists, newest account first, paged by account id; `None`
/// returns them all.
pub fn members(
    conn: &mut DbConnection,
    me: i64,
    id: i64,
    page: Option<&Page>,
) -> Result<Vec<Account>> {
    let list = find(conn, me, id)?;
    let mut q = accounts::table
        .filter(
            accounts::id.eq_any(
                list_accounts::table
                    .filter(list_accounts::list_id.eq(list.id))
                    .select(list_accounts::account_id),
            ),
        )
        .filter(accounts::suspended_at.is_null())
        .select(Account::as_select())
        .into_boxed();
    let Some(page) = page else {
        return Ok(q.order(accounts::id.desc()).load(conn)?);
    };
    if let Some(max) = page.max_id {
        q = q.filter(accounts::id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(accounts::id.gt(since));
    }
    if let Some(min) = page.min_id {
        let mut rows: Vec<Account> = q
            .filter(accounts::id.gt(min))
            .order(accounts::id.asc())
            .limit(page.limit)
            .load(conn)?;
        rows.reverse();
        return Ok(rows);
    }
    Ok(q.order(accounts::id.desc()).limit(page.limit).load(conn)?)
}

/// Add accounts to one of `me`'s lists: each must exist and be followed by `me` (or have a
/// pending follow request), and not be in the list yet. All or nothing.
#[tracing::instrument(skip(conn))]
pub fn add_members(conn: &mut DbConnection, me: i64, id: i64, account_ids: &[i64]) -> Result<()> {
    let list = find(conn, me, id)?;
    if account_ids.is_empty() {
        return Err(Error::unprocessable(
            "Validation failed: account_ids can't be blank",
        ));
    }
    let now = Utc::now().naive_utc();
    for &account_id in account_ids {
        crate::service::accounts::find(conn, account_id)?;
        let follows_them: bool = diesel::select(diesel::dsl::exists(
            follows::table
                .filter(follows::account_id.eq(me))
                .filter(follows::target_account_id.eq(account_id)),
        ))
        .get_result(conn)?;
        if !follows_them {
            return Err(Error::not_found());
        }
        let taken = || Error::unprocessable("Validation failed: Account has already been taken");
        let already: bool = diesel::select(diesel::dsl::exists(
            list_accounts::table
                .filter(list_accounts::list_id.eq(list.id))
                .filter(list_accounts::account_id.eq(account_id)),
        ))
        .get_result(conn)?;
        if already {
            return Err(taken());
        }
        diesel::insert_into(list_accounts::table)
            .values((
                list_accounts::id.eq(ids::next_id()),
                list_accounts::list_id.eq(list.id),
                list_accounts::account_id.eq(account_id),
                list_accounts::created_at.eq(now),
            ))
            .execute(conn)
            .map_err(|e| {
                if is_unique_violation(&e) {
                    taken()
                } else {
                    e.into()
                }
            })?;
    }
    Ok(())
}

/// Remove accounts from one of `me`'s lists (accounts not in it are ignored).
#[tracing::instrument(skip(conn))]
pub fn remove_members(
    conn: &mut DbConnection,
    me: i64,
    id: i64,
    account_ids: &[i64],
) -> Result<()> {
    let list = find(conn, me, id)?;
    diesel::delete(
        list_accounts::table
            .filter(list_accounts::list_id.eq(list.id))
            .filter(list_accounts::account_id.eq_any(account_ids)),
    )
    .execute(conn)?;
    Ok(())
}

/// `me`'s lists that contain `account_id`.
pub fn containing(conn: &mut DbConnection, me: i64, account_id: i64) -> Result<Vec<List>> {
    crate::service::accounts::find(conn, account_id)?;
    Ok(lists::table
        .filter(lists::account_id.eq(me))
        .filter(
            lists::id.eq_any(
                list_accounts::table
                    .filter(list_accounts::account_id.eq(account_id))
                    .select(list_accounts::list_id),
            ),
        )
        .order(lists::id.asc())
        .select(List::as_select())
        .load(conn)?)
}

/// A follow ended: `target` leaves all of `owner`'s lists (only followed accounts are members).
pub fn forget_member(conn: &mut DbConnection, owner: i64, target: i64) -> Result<()> {
    diesel::delete(
        list_accounts::table
            .filter(list_accounts::account_id.eq(target))
            .filter(
                list_accounts::list_id.eq_any(
                    lists::table
                        .filter(lists::account_id.eq(owner))
                        .select(lists::id),
                ),
            ),
    )
    .execute(conn)?;
    Ok(())
}

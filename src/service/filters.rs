//! Content filters: an employee's keywords and statuses to warn about or hide.
//! <https://docs.joinmastodon.org/methods/filters/>
//!
//! A filter (Mastodon's v2 filter) has a title, the contexts it applies in, an action and an
//! optional expiry, and matches statuses by keyword or by id. Mastodon's v1 filters are the
//! keywords of these filters, one v1 filter per keyword.
//!
//! Applying them: [`active`] loads the viewer's unexpired filters once per request (three
//! queries, or one when there are none) and compiles their keywords; `views::hydrate` then
//! matches every status in memory and records the [`FilterMatch`]es in
//! `StatusView::filtered` (the Status entity's `filtered`), for statuses by others in any
//! context, as Mastodon does: the app decides by the filter's context. Timelines leave out
//! statuses that a `hide` filter for their context matches ([`drop_hidden`]).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use regex::Regex;

use crate::db::models::{Filter, FilterKeyword, FilterStatus, Status};
use crate::db::schema::{filter_keywords, filter_statuses, filters};
use crate::db::{DbConnection, ids};
use crate::error::{Error, Result};
// `service::inbound` still names it here; the one implementation is in `text`.
use crate::service::views::{NotificationView, StatusView};
use crate::service::visibility::find_visible;

/// Where a filter applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterContext {
    /// The home timeline and lists.
    Home,
    Notifications,
    /// The public and hashtag timelines.
    Public,
    /// Conversations (a status with its thread).
    Thread,
    /// Profiles.
    Account,
}

impl FilterContext {
    pub fn as_str(self) -> &'static str {
        match self {
            FilterContext::Home => "home",
            FilterContext::Notifications => "notifications",
            FilterContext::Public => "public",
            FilterContext::Thread => "thread",
            FilterContext::Account => "account",
        }
    }
}

impl FromStr for FilterContext {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "home" => Ok(FilterContext::Home),
            "notifications" => Ok(FilterContext::Notifications),
            "public" => Ok(FilterContext::Public),
            "thread" => Ok(FilterContext::Thread),
            "account" => Ok(FilterContext::Account),
            _ => Err(Error::unprocessable(
                "Validation failed: Context None or invalid context supplied",
            )),
        }
    }
}

impl fmt::Display for FilterContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The contexts stored in a filter row.
pub fn contexts_of(filter: &Filter) -> Vec<FilterContext> {
    filter
        .context
        .split(',')
        .filter_map(|c| c.parse().ok())
        .collect()
}

/// What happens to matching statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterAction {
    /// Shown behind a warning naming the filter.
    Warn,
    /// Left out.
    Hide,
}

impl FilterAction {
    pub fn as_str(self) -> &'static str {
        match self {
            FilterAction::Warn => "warn",
            FilterAction::Hide => "hide",
        }
    }
}

impl FromStr for FilterAction {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "warn" => Ok(FilterAction::Warn),
            "hide" => Ok(FilterAction::Hide),
            other => Err(Error::unprocessable(format!(
                "'{other}' is not a valid filter_action"
            ))),
        }
    }
}

/// When a filter stops applying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Never,
    /// This many seconds from now.
    In(i64),
}

impl Expiry {
    fn at(self, now: NaiveDateTime) -> Result<Option<NaiveDateTime>> {
        match self {
            Expiry::Never => Ok(None),
            Expiry::In(secs) if secs > 0 => Ok(Some(now + Duration::seconds(secs))),
            Expiry::In(_) => Err(Error::unprocessable(
                "Validation failed: Expires in must be greater than 0",
            )),
        }
    }
}

/// A keyword as a client sends it inside a filter (`keywords_attributes[]`): a new one
/// (no `id`), a change to an existing one, or its removal (`_destroy`).
#[derive(Debug, Clone, Default)]
pub struct KeywordChange {
    pub id: Option<i64>,
    pub keyword: Option<String>,
    pub whole_word: Option<bool>,
    pub destroy: bool,
}

/// What a client sends to create or change a filter; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct FilterChanges {
    pub title: Option<String>,
    pub context: Option<Vec<String>>,
    pub action: Option<FilterAction>,
    pub expires: Option<Expiry>,
    pub keywords: Vec<KeywordChange>,
}

/// A filter with its keywords and statuses (the Filter entity).
#[derive(Debug, Clone)]
pub struct FilterRules {
    pub filter: Filter,
    pub keywords: Vec<FilterKeyword>,
    pub statuses: Vec<FilterStatus>,
}

fn check_title(title: &str) -> Result<String> {
    let title = title.trim();
    if title.is_empty() {
        return Err(Error::unprocessable(
            "Validation failed: Title can't be blank",
        ));
    }
    Ok(title.to_string())
}

fn check_contexts(raw: &[String]) -> Result<String> {
    if raw.iter().all(|c| c.trim().is_empty()) {
        return Err(Error::unprocessable(
            "Validation failed: Context can't be blank, Context None or invalid context supplied",
        ));
    }
    let mut out: Vec<FilterContext> = Vec::new();
    for c in raw {
        let c: FilterContext = c.parse()?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(","))
}

fn check_keyword(keyword: &str) -> Result<String> {
    if keyword.trim().is_empty() {
        return Err(Error::unprocessable(
            "Validation failed: Keyword can't be blank",
        ));
    }
    Ok(keyword.to_string())
}

/// One of `me`'s filters; another employee's is not found.
pub fn find(conn: &mut DbConnection, me: i64, id: i64) -> Result<Filter> {
    filters::table
        .filter(filters::id.eq(id))
        .filter(filters::account_id.eq(me))
        .select(Filter::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(Error::not_found)
}

/// Filters with their keywords and statuses, in three queries.
fn with_rules(conn: &mut DbConnection, rows: Vec<Filter>) -> Result<Vec<FilterRules>> {
    let ids: Vec<i64> = rows.iter().map(|f| f.id).collect();
    let mut keywords: HashMap<i64, Vec<FilterKeyword>> = HashMap::new();
    for k in filter_keywords::table
        .filter(filter_keywords::filter_id.eq_any(&ids))
        .order(filter_keywords::id.asc())
        .select(FilterKeyword::as_select())
        .load(conn)?
    {
        keywords.entry(k.filter_id).or_default().push(k);
    }
    let mut statuses: HashMap<i64, Vec<FilterStatus>> = HashMap::new();
    for s in filter_statuses::table
        .filter(filter_statuses::filter_id.eq_any(&ids))
        .order(filter_statuses::id.asc())
        .select(FilterStatus::as_select())
        .load(conn)?
    {
        statuses.entry(s.filter_id).or_default().push(s);
    }
    Ok(rows
        .into_iter()
        .map(|filter| FilterRules {
            keywords: keywords.remove(&filter.id).unwrap_or_default(),
            statuses: statuses.remove(&filter.id).unwrap_or_default(),
            filter,
        })
        .collect())
}

/// All of `me`'s filters, expired ones included, oldest first.
pub fn all(conn: &mut DbConnection, me: i64) -> Result<Vec<FilterRules>> {
    let rows = filters::table
        .filter(filters::account_id.eq(me))
        .order(filters::id.asc())
        .select(Filter::as_select())
        .load(conn)?;
    with_rules(conn, rows)
}

pub fn get(conn: &mut DbConnection, me: i64, id: i64) -> Result<FilterRules> {
    let filter = find(conn, me, id)?;
    with_rules(conn, vec![filter])?
        .pop()
        .ok_or_else(Error::not_found)
}

fn insert_keyword(
    conn: &mut DbConnection,
    filter_id: i64,
    keyword: String,
    whole_word: bool,
) -> Result<FilterKeyword> {
    let now = Utc::now().naive_utc();
    let row = FilterKeyword {
        id: ids::next_id(),
        filter_id,
        keyword,
        whole_word,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(filter_keywords::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

/// Apply `keywords_attributes` to a filter: add, change or remove its keywords. An `id` that
/// is not one of this filter's keywords is not found.
fn apply_keyword_changes(
    conn: &mut DbConnection,
    filter_id: i64,
    changes: Vec<KeywordChange>,
) -> Result<()> {
    for change in changes {
        match change.id {
            None if change.destroy => {}
            None => {
                let keyword = check_keyword(change.keyword.as_deref().unwrap_or(""))?;
                insert_keyword(conn, filter_id, keyword, change.whole_word.unwrap_or(true))?;
            }
            Some(id) => {
                let existing: FilterKeyword = filter_keywords::table
                    .filter(filter_keywords::id.eq(id))
                    .filter(filter_keywords::filter_id.eq(filter_id))
                    .select(FilterKeyword::as_select())
                    .first(conn)
                    .optional()?
                    .ok_or_else(Error::not_found)?;
                if change.destroy {
                    diesel::delete(filter_keywords::table.find(existing.id)).execute(conn)?;
                } else {
                    let keyword = match change.keyword {
                        Some(k) => check_keyword(&k)?,
                        None => existing.keyword,
                    };
                    diesel::update(filter_keywords::table.find(existing.id))
                        .set((
                            filter_keywords::keyword.eq(keyword),
                            filter_keywords::whole_word
                                .eq(change.whole_word.unwrap_or(existing.whole_word)),
                            filter_keywords::updated_at.eq(Utc::now().naive_utc()),
                        ))
                        .execute(conn)?;
                }
            }
        }
    }
    Ok(())
}

#[tracing::instrument(skip(conn, changes), fields(account_id = me))]
pub fn create(conn: &mut DbConnection, me: i64, changes: FilterChanges) -> Result<FilterRules> {
    let title = check_title(changes.title.as_deref().unwrap_or(""))?;
    let context = check_contexts(changes.context.as_deref().unwrap_or(&[]))?;
    // On creation there is nothing to change or remove (Mastodon answers 404 to ids too).
    if changes.keywords.iter().any(|k| k.id.is_some()) {
        return Err(Error::not_found());
    }
    let now = Utc::now().naive_utc();
    let row = Filter {
        id: ids::next_id(),
        account_id: me,
        title,
        context,
        filter_action: changes
            .action
            .unwrap_or(FilterAction::Warn)
            .as_str()
            .to_string(),
        expires_at: changes.expires.map(|e| e.at(now)).transpose()?.flatten(),
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(filters::table)
        .values(&row)
        .execute(conn)?;
    apply_keyword_changes(conn, row.id, changes.keywords)?;
    get(conn, me, row.id)
}

#[tracing::instrument(skip(conn, changes), fields(account_id = me))]
pub fn update(
    conn: &mut DbConnection,
    me: i64,
    id: i64,
    changes: FilterChanges,
) -> Result<FilterRules> {
    let filter = find(conn, me, id)?;
    let now = Utc::now().naive_utc();
    let title = match changes.title {
        Some(t) => check_title(&t)?,
        None => filter.title,
    };
    let context = match changes.context {
        Some(c) => check_contexts(&c)?,
        None => filter.context,
    };
    let expires_at = match changes.expires {
        Some(e) => e.at(now)?,
        None => filter.expires_at,
    };
    diesel::update(filters::table.find(filter.id))
        .set((
            filters::title.eq(title),
            filters::context.eq(context),
            filters::filter_action.eq(changes
                .action
                .map(|a| a.as_str().to_string())
                .unwrap_or(filter.filter_action)),
            filters::expires_at.eq(expires_at),
            filters::updated_at.eq(now),
        ))
        .execute(conn)?;
    apply_keyword_changes(conn, filter.id, changes.keywords)?;
    get(conn, me, filter.id)
}

#[tracing::instrument(skip(conn))]
pub fn delete(conn: &mut DbConnection, me: i64, id: i64) -> Result<()> {
    let filter = find(conn, me, id)?;
    diesel::delete(filter_keywords::table.filter(filter_keywords::filter_id.eq(filter.id)))
        .execute(conn)?;
    diesel::delete(filter_statuses::table.filter(filter_statuses::filter_id.eq(filter.id)))
        .execute(conn)?;
    diesel::delete(filters::table.find(filter.id)).execute(conn)?;
    Ok(())
}

/// The keywords of one of `me`'s filters.
pub fn keywords(conn: &mut DbConnection, me: i64, filter_id: i64) -> Result<Vec<FilterKeyword>> {
    Ok(get(conn, me, filter_id)?.keywords)
}

pub fn add_keyword(
    conn: &mut DbConnection,
    me: i64,
    filter_id: i64,
    keyword: Option<String>,
    whole_word: Option<bool>,
) -> Result<FilterKeyword> {
    let filter = find(conn, me, filter_id)?;
    let keyword = check_keyword(keyword.as_deref().unwrap_or(""))?;
    insert_keyword(conn, filter.id, keyword, whole_word.unwrap_or(true))
}

/// One keyword of one of `me`'s filters, with its filter.
pub fn keyword(conn: &mut DbConnection, me: i64, id: i64) -> Result<(FilterKeyword, Filter)> {
    filter_keywords::table
        .inner_join(filters::table)
        .filter(filter_keywords::id.eq(id))
        .filter(filters::account_id.eq(me))
        .select((FilterKeyword::as_select(), Filter::as_select()))
        .first(conn)
        .optional()?
        .ok_or_else(Error::not_found)
}

pub fn update_keyword(
    conn: &mut DbConnection,
    me: i64,
    id: i64,
    keyword: Option<String>,
    whole_word: Option<bool>,
) -> Result<FilterKeyword> {
    let (existing, _) = self::keyword(conn, me, id)?;
    let keyword = match keyword {
        Some(k) => check_keyword(&k)?,
        None => existing.keyword,
    };
    Ok(diesel::update(filter_keywords::table.find(existing.id))
        .set((
            filter_keywords::keyword.eq(keyword),
            filter_keywords::whole_word.eq(whole_word.unwrap_or(existing.whole_word)),
            filter_keywords::updated_at.eq(Utc::now().naive_utc()),
        ))
        .returning(filter_keywords::all_columns)
        .get_result(conn)?)
}

pub fn delete_keyword(conn: &mut DbConnection, me: i64, id: i64) -> Result<()> {
    let (existing, _) = keyword(conn, me, id)?;
    diesel::delete(filter_keywords::table.find(existing.id)).execute(conn)?;
    Ok(())
}

/// The statuses of one of `me`'s filters.
pub fn statuses(conn: &mut DbConnection, me: i64, filter_id: i64) -> Result<Vec<FilterStatus>> {
    Ok(get(conn, me, filter_id)?.statuses)
}

/// Add a status `me` can see to one of `me`'s filters, once.
pub fn add_status(
    conn: &mut DbConnection,
    me: i64,
    filter_id: i64,
    status_id: i64,
) -> Result<FilterStatus> {
    let filter = find(conn, me, filter_id)?;
    let status = find_visible(conn, Some(me), status_id)?;
    let already: bool = diesel::select(diesel::dsl::exists(
        filter_statuses::table
            .filter(filter_statuses::filter_id.eq(filter.id))
            .filter(filter_statuses::status_id.eq(status.id)),
    ))
    .get_result(conn)?;
    if already {
        return Err(Error::unprocessable(
            "Validation failed: Status has already been taken",
        ));
    }
    let row = FilterStatus {
        id: ids::next_id(),
        filter_id: filter.id,
        status_id: status.id,
        created_at: Utc::now().naive_utc(),
    };
    diesel::insert_into(filter_statuses::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

/// One status entry of one of `me`'s filters.
pub fn status(conn: &mut DbConnection, me: i64, id: i64) -> Result<FilterStatus> {
    filter_statuses::table
        .inner_join(filters::table)
        .filter(filter_statuses::id.eq(id))
        .filter(filters::account_id.eq(me))
        .select(FilterStatus::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(Error::not_found)
}

pub fn delete_status(conn: &mut DbConnection, me: i64, id: i64) -> Result<()> {
    let entry = status(conn, me, id)?;
    diesel::delete(filter_statuses::table.find(entry.id)).execute(conn)?;
    Ok(())
}

// Mastodon's v1 filters: each keyword of a filter is one v1 filter, with its filter's
// context, expiry and action (`irreversible` = hide).

/// What a v1 client sends; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct V1Changes {
    pub phrase: Option<String>,
    pub context: Option<Vec<String>>,
    pub irreversible: Option<bool>,
    pub whole_word: Option<bool>,
    pub expires: Option<Expiry>,
}

fn check_phrase(phrase: &str) -> Result<String> {
    if phrase.trim().is_empty() {
        return Err(Error::unprocessable(
            "Validation failed: Phrase can't be blank",
        ));
    }
    Ok(phrase.to_string())
}

fn action_of(irreversible: bool) -> FilterAction {
    if irreversible {
        FilterAction::Hide
    } else {
        FilterAction::Warn
    }
}

/// Every keyword of `me`'s filters, as v1 filters, oldest first.
pub fn v1_all(conn: &mut DbConnection, me: i64) -> Result<Vec<(FilterKeyword, Filter)>> {
    Ok(filter_keywords::table
        .inner_join(filters::table)
        .filter(filters::account_id.eq(me))
        .order(filter_keywords::id.asc())
        .select((FilterKeyword::as_select(), Filter::as_select()))
        .load(conn)?)
}

/// A v1 filter: a filter with this one keyword, titled by it.
#[tracing::instrument(skip(conn, changes), fields(account_id = me))]
pub fn v1_create(
    conn: &mut DbConnection,
    me: i64,
    changes: V1Changes,
) -> Result<(FilterKeyword, Filter)> {
    let phrase = check_phrase(changes.phrase.as_deref().unwrap_or(""))?;
    let rules = create(
        conn,
        me,
        FilterChanges {
            title: Some(phrase.clone()),
            context: Some(changes.context.unwrap_or_default()),
            action: Some(action_of(changes.irreversible.unwrap_or(false))),
            expires: changes.expires,
            keywords: vec![KeywordChange {
                keyword: Some(phrase),
                whole_word: Some(changes.whole_word.unwrap_or(false)),
                ..Default::default()
            }],
        },
    )?;
    let keyword = rules
        .keywords
        .into_iter()
        .next()
        .ok_or_else(|| Error::internal(anyhow::anyhow!("v1 filter created without keyword")))?;
    Ok((keyword, rules.filter))
}

/// Change a v1 filter. The phrase and `whole_word` are the keyword's own; context,
/// `irreversible` and expiry belong to its filter and may only change when the filter has no
/// other keyword (as on Mastodon).
#[tracing::instrument(skip(conn, changes), fields(account_id = me))]
pub fn v1_update(
    conn: &mut DbConnection,
    me: i64,
    id: i64,
    changes: V1Changes,
) -> Result<(FilterKeyword, Filter)> {
    let (keyword, filter) = self::keyword(conn, me, id)?;
    let phrase = changes.phrase.as_deref().map(check_phrase).transpose()?;
    let context = changes.context.as_deref().map(check_contexts).transpose()?;
    let action = changes.irreversible.map(action_of);
    let now = Utc::now().naive_utc();
    let expires_at = changes.expires.map(|e| e.at(now)).transpose()?;
    let filter_changes = context.as_ref().is_some_and(|c| *c != filter.context)
        || action.is_some_and(|a| a.as_str() != filter.filter_action)
        || expires_at.is_some_and(|e| e != filter.expires_at);
    let siblings: i64 = filter_keywords::table
        .filter(filter_keywords::filter_id.eq(filter.id))
        .count()
        .get_result(conn)?;
    if filter_changes && siblings > 1 {
        return Err(Error::unprocessable(
            "These parameters cannot be changed from this application because they apply to \
             more than one filter keyword. Use a more recent application or the web interface.",
        ));
    }
    let keyword = update_keyword(conn, me, keyword.id, phrase.clone(), changes.whole_word)?;
    // A one-keyword filter is titled by its keyword, as v1 created it.
    let title = match phrase {
        Some(p) if siblings == 1 => p,
        _ => filter.title,
    };
    let filter: Filter = diesel::update(filters::table.find(filter.id))
        .set((
            filters::title.eq(title),
            filters::context.eq(context.unwrap_or(filter.context)),
            filters::filter_action.eq(action
                .map(|a| a.as_str().to_string())
                .unwrap_or(filter.filter_action)),
            filters::expires_at.eq(expires_at.unwrap_or(filter.expires_at)),
            filters::updated_at.eq(now),
        ))
        .returning(filters::all_columns)
        .get_result(conn)?;
    Ok((keyword, filter))
}

/// Deleting a v1 filter deletes only its keyword (the filter stays, as on Mastodon).
pub fn v1_delete(conn: &mut DbConnection, me: i64, id: i64) -> Result<()> {
    delete_keyword(conn, me, id)
}

/// A filter matched a status: by these keywords and/or these status ids.
#[derive(Debug, Clone)]
pub struct FilterMatch {
    pub filter: Arc<Filter>,
    pub keyword_matches: Vec<String>,
    pub status_matches: Vec<i64>,
}

impl FilterMatch {
    /// Whether the status is left out where `context` is shown.
    pub fn hides_in(&self, context: FilterContext) -> bool {
        self.filter.filter_action == FilterAction::Hide.as_str()
            && contexts_of(&self.filter).contains(&context)
    }
}

struct CompiledFilter {
    filter: Arc<Filter>,
    keywords: Vec<(String, Regex)>,
    status_ids: HashSet<i64>,
}

/// A viewer's unexpired filters, ready to match statuses.
#[derive(Default)]
pub struct ActiveFilters {
    filters: Vec<CompiledFilter>,
}

/// Mastodon's keyword rule: case-insensitive; a whole-word keyword must start and end at word
/// boundaries where it starts or ends with a word character.
fn keyword_regex(keyword: &str, whole_word: bool) -> Result<Regex> {
    let escaped = regex::escape(keyword);
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let pattern = if whole_word {
        let start = if word(keyword.chars().next()) {
            r"\b"
        } else {
            ""
        };
        let end = if word(keyword.chars().last()) {
            r"\b"
        } else {
            ""
        };
        format!("(?i){start}{escaped}{end}")
    } else {
        format!("(?i){escaped}")
    };
    Regex::new(&pattern).map_err(Error::internal)
}

/// Load and compile `me`'s unexpired filters.
pub fn active(conn: &mut DbConnection, me: i64) -> Result<ActiveFilters> {
    let now = Utc::now().naive_utc();
    let rows: Vec<Filter> = filters::table
        .filter(filters::account_id.eq(me))
        .filter(
            filters::expires_at
                .is_null()
                .or(filters::expires_at.gt(now)),
        )
        .order(filters::id.asc())
        .select(Filter::as_select())
        .load(conn)?;
    if rows.is_empty() {
        return Ok(ActiveFilters::default());
    }
    let mut compiled = Vec::with_capacity(rows.len());
    for rules in with_rules(conn, rows)? {
        let keywords = rules
            .keywords
            .iter()
            .map(|k| Ok((k.keyword.clone(), keyword_regex(&k.keyword, k.whole_word)?)))
            .collect::<Result<Vec<_>>>()?;
        compiled.push(CompiledFilter {
            filter: Arc::new(rules.filter),
            keywords,
            status_ids: rules.statuses.iter().map(|s| s.status_id).collect(),
        });
    }
    Ok(ActiveFilters { filters: compiled })
}

impl ActiveFilters {
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// The filters matching `shown` (a status or a boost) whose content is `proper` (the
    /// status itself, or the boosted one).
    pub fn matches(&self, shown: &Status, proper: &Status) -> Vec<FilterMatch> {
        if self.filters.is_empty() {
            return Vec::new();
        }
        let text = searchable_text(proper);
        self.filters
            .iter()
            .filter_map(|f| {
                let keyword_matches: Vec<String> = f
                    .keywords
                    .iter()
                    .filter(|(_, re)| re.is_match(&text))
                    .map(|(k, _)| k.clone())
                    .collect();
                let mut status_matches: Vec<i64> = Vec::new();
                for id in [shown.id, proper.id] {
                    if f.status_ids.contains(&id) && !status_matches.contains(&id) {
                        status_matches.push(id);
                    }
                }
                (!keyword_matches.is_empty() || !status_matches.is_empty()).then(|| FilterMatch {
                    filter: f.filter.clone(),
                    keyword_matches,
                    status_matches,
                })
            })
            .collect()
    }
}

/// What keywords are matched against: the content warning and the text of the post.
fn searchable_text(status: &Status) -> String {
    format!(
        "{}\n\n{}",
        status.spoiler_text,
        crate::service::text::plain_text(&status.content)
    )
}

/// Whether a `hide` filter for `context` matched.
pub fn hidden_in(matches: &[FilterMatch], context: FilterContext) -> bool {
    matches.iter().any(|m| m.hides_in(context))
}

/// Leave out the statuses a `hide` filter for `context` matched.
pub fn drop_hidden(views: Vec<StatusView>, context: FilterContext) -> Vec<StatusView> {
    views
        .into_iter()
        .filter(|v| !hidden_in(&v.filtered, context))
        .collect()
}

/// Leave out notifications about statuses a `hide` filter for notifications matched.
pub fn drop_hidden_notifications(views: Vec<NotificationView>) -> Vec<NotificationView> {
    views
        .into_iter()
        .filter(|n| {
            !n.status
                .as_ref()
                .is_some_and(|s| hidden_in(&s.filtered, FilterContext::Notifications))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_respect_boundaries_and_case() {
        let re = keyword_regex("rust", true).unwrap();
        assert!(re.is_match("I like Rust."));
        assert!(!re.is_match("trusty"));
        let re = keyword_regex("rust", false).unwrap();
        assert!(re.is_match("trusty"));
        // A keyword that starts with punctuation needs no boundary there.
        let re = keyword_regex("#launch", true).unwrap();
        assert!(re.is_match("see #Launch now"));
        let re = keyword_regex("a.b", true).unwrap();
        assert!(!re.is_match("axb"), "keywords are literal, not patterns");
    }
}

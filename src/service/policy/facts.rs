//! Gathering [`Facts`]: what the rules are told about an author, a post's mentions and its
//! media, from the rows the use cases already load.

use std::collections::BTreeSet;

use chrono::Utc;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::{Account, MediaAttachment, Status};
use crate::db::schema::{accounts, media_attachments, mentions, status_tags, tags, users};
use crate::error::Result;
use crate::service::inbound::RemoteMedia;
use crate::service::policy::matcher::{AuthorFacts, Facts, MediaFacts, Subject};
use crate::service::policy::rules::Direction;
use crate::service::text;
use crate::service::users::{LocalUser, Role};
use crate::service::visibility::Visibility;

/// The author as the rules see them: an employee here (role and department from their sign-in
/// data), or an account of another department (no role, its own domain).
pub fn author(conn: &mut DbConnection, account: &Account, own_domain: &str) -> Result<AuthorFacts> {
    if !account.is_local() {
        return Ok(AuthorFacts {
            role: None,
            department: None,
            created_at: account.created_at,
            domain: account
                .domain
                .clone()
                .unwrap_or_default()
                .to_ascii_lowercase(),
        });
    }
    let user: Option<(String, Option<String>)> = users::table
        .filter(users::account_id.eq(account.id))
        .select((users::role, users::department))
        .first(conn)
        .optional()?;
    let (role, department) = match user {
        Some((role, department)) => (role.parse().unwrap_or(Role::User), department),
        None => (Role::User, None),
    };
    Ok(AuthorFacts {
        role: Some(role),
        department,
        created_at: account.created_at,
        domain: own_domain.to_ascii_lowercase(),
    })
}

/// An employee here as the rules see them, from their sign-in data.
pub fn author_here(user: &LocalUser, own_domain: &str) -> AuthorFacts {
    AuthorFacts {
        role: Some(user.role()),
        department: user.user.department.clone(),
        created_at: user.account.created_at,
        domain: own_domain.to_ascii_lowercase(),
    }
}

/// The department of each account: `None` for this one's.
pub fn mention_domains(
    conn: &mut DbConnection,
    account_ids: &[i64],
) -> Result<Vec<Option<String>>> {
    if account_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(accounts::table
        .filter(accounts::id.eq_any(account_ids))
        .select(accounts::domain)
        .load::<Option<String>>(conn)?
        .into_iter()
        .map(|d| d.map(|d| d.to_ascii_lowercase()))
        .collect())
}

pub fn media_of_uploads(uploads: &[MediaAttachment]) -> Vec<MediaFacts> {
    uploads
        .iter()
        .map(|m| MediaFacts {
            kind: m.kind.clone(),
            content_type: m.content_type.clone(),
            bytes: u64::try_from(m.file_size).unwrap_or(0),
        })
        .collect()
}

pub fn media_of_remote(media: &[RemoteMedia]) -> Vec<MediaFacts> {
    media
        .iter()
        .map(|m| MediaFacts {
            kind: crate::service::inbound::media_kind(&m.content_type).to_string(),
            content_type: m.content_type.clone(),
            bytes: 0,
        })
        .collect()
}

/// The ways an employee's post goes: here, and out when it does not stay in the department.
pub fn local_directions(visibility: Visibility, local_only: bool) -> BTreeSet<Direction> {
    let mut directions = BTreeSet::from([Direction::Local]);
    if visibility != Visibility::Local && !local_only {
        directions.insert(Direction::Outbound);
    }
    directions
}

/// What another department sends.
pub fn inbound() -> BTreeSet<Direction> {
    BTreeSet::from([Direction::Inbound])
}

/// A stored status as the rules see it, for an activity about it (a boost, a like) by
/// `actor`: its text, hashtags, mentions and media, with `actor` as the one who acts.
pub fn of_status(
    conn: &mut DbConnection,
    status: &Status,
    subject: Subject,
    actor: AuthorFacts,
    directions: BTreeSet<Direction>,
) -> Result<Facts> {
    let hashtags: Vec<String> = status_tags::table
        .inner_join(tags::table)
        .filter(status_tags::status_id.eq(status.id))
        .select(tags::name)
        .load(conn)?;
    let mentioned: Vec<i64> = mentions::table
        .filter(mentions::status_id.eq(status.id))
        .select(mentions::account_id)
        .load(conn)?;
    let media: Vec<MediaAttachment> = media_attachments::table
        .filter(media_attachments::status_id.eq(status.id))
        .select(MediaAttachment::as_select())
        .load(conn)?;
    Ok(Facts {
        subject,
        directions,
        text: text::plain_text(&status.content),
        spoiler_text: status.spoiler_text.clone(),
        hashtags,
        mentions: mention_domains(conn, &mentioned)?,
        media: media_of_uploads(&media),
        link_hosts: text::link_hosts_in_html(&status.content),
        visibility: status.visibility.parse().ok(),
        author: actor,
        now: Utc::now().naive_utc(),
    })
}

/// An activity with no post (a follow), by `actor`.
pub fn of_actor(subject: Subject, actor: AuthorFacts) -> Facts {
    Facts {
        subject,
        directions: inbound(),
        text: String::new(),
        spoiler_text: String::new(),
        hashtags: Vec::new(),
        mentions: Vec::new(),
        media: Vec::new(),
        link_hosts: Vec::new(),
        visibility: None,
        author: actor,
        now: Utc::now().naive_utc(),
    }
}

//! Live streams: which event goes to which subscriber, as Mastodon's streaming API does.
//! <https://docs.joinmastodon.org/methods/streaming/>

use crate::db::DbConnection;
use crate::error::{Error, Result};
use crate::service::caches::StatusPartsCache;
use crate::service::events::Event;
use crate::service::filters::{self, FilterContext};
use crate::service::timelines::{self, Origin};
use crate::service::views::{self, NotificationView, StatusView};
use crate::service::visibility::find_visible;

/// A stream a client can subscribe to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stream {
    User,
    UserNotification,
    Public,
    PublicLocal,
    PublicRemote,
    Hashtag(Tag),
    HashtagLocal(Tag),
    /// One of the subscriber's lists, by id.
    List(i64),
}

/// A hashtag as the client wrote it (echoed back in `stream`), matched case-insensitively.
#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub as_sent: String,
}

impl PartialEq for Tag {
    fn eq(&self, other: &Tag) -> bool {
        self.name == other.name
    }
}

impl Eq for Tag {}

impl Stream {
    /// From Mastodon's stream names (`user`, `public:local`, `hashtag` + `tag`, …).
    pub fn parse(name: &str, tag: Option<&str>) -> Result<Stream> {
        Self::parse_with_list(name, tag, None)
    }

    /// Like [`Stream::parse`], with the `list` parameter of the `list` stream.
    pub fn parse_with_list(name: &str, tag: Option<&str>, list: Option<&str>) -> Result<Stream> {
        let tag = || {
            tag.map(|t| t.trim().trim_start_matches('#').to_string())
                .filter(|t| !t.is_empty())
                .map(|t| Tag {
                    name: t.to_lowercase(),
                    as_sent: t,
                })
                .ok_or_else(|| Error::bad_request("The hashtag stream needs a tag"))
        };
        Ok(match name {
            "user" => Stream::User,
            "user:notification" => Stream::UserNotification,
            "public" => Stream::Public,
            "public:local" => Stream::PublicLocal,
            "public:remote" => Stream::PublicRemote,
            "hashtag" => Stream::Hashtag(tag()?),
            "hashtag:local" => Stream::HashtagLocal(tag()?),
            "list" => Stream::List(
                list.and_then(|l| l.trim().parse().ok())
                    .ok_or_else(|| Error::bad_request("The list stream needs a list id"))?,
            ),
            other => {
                return Err(Error::bad_request(format!("Unknown stream type `{other}`")));
            }
        })
    }

    /// The `stream` array of websocket messages: `["user"]`, `["hashtag", "rust"]`.
    pub fn wire_name(&self) -> Vec<String> {
        match self {
            Stream::User => vec!["user".into()],
            Stream::UserNotification => vec!["user:notification".into()],
            Stream::Public => vec!["public".into()],
            Stream::PublicLocal => vec!["public:local".into()],
            Stream::PublicRemote => vec!["public:remote".into()],
            Stream::Hashtag(t) => vec!["hashtag".into(), t.as_sent.clone()],
            Stream::HashtagLocal(t) => vec!["hashtag:local".into(), t.as_sent.clone()],
            Stream::List(id) => vec!["list".into(), id.to_string()],
        }
    }

    /// The OAuth scope a client needs for this stream.
    pub fn scope(&self) -> &'static str {
        match self {
            Stream::UserNotification => "read:notifications",
            _ => "read:statuses",
        }
    }
}

/// What to send a subscriber.
#[derive(Debug)]
pub enum Delivery {
    Update(Box<StatusView>),
    StatusUpdate(Box<StatusView>),
    Delete(i64),
    Notification(Box<NotificationView>),
    /// An announcement published or changed.
    Announcement(Box<crate::service::announcements::Shown>),
    AnnouncementDelete(i64),
    /// A reaction's new count.
    AnnouncementReaction {
        announcement_id: i64,
        name: String,
        count: i64,
    },
    /// The employee's access ended: close the connection.
    Close,
}

fn belongs(conn: &mut DbConnection, me: i64, stream: &Stream, status_id: i64) -> Result<bool> {
    match stream {
        Stream::User => timelines::home_contains(conn, me, status_id),
        Stream::UserNotification => Ok(false),
        Stream::Public => timelines::public_contains(conn, Some(me), Origin::All, status_id),
        Stream::PublicLocal => timelines::public_contains(conn, Some(me), Origin::Local, status_id),
        Stream::PublicRemote => {
            timelines::public_contains(conn, Some(me), Origin::Remote, status_id)
        }
        Stream::Hashtag(tag) => {
            timelines::tag_contains(conn, Some(me), &tag.name, false, status_id)
        }
        Stream::HashtagLocal(tag) => {
            timelines::tag_contains(conn, Some(me), &tag.name, true, status_id)
        }
        Stream::List(id) => timelines::list_contains(conn, me, *id, status_id),
    }
}

/// The filter context a stream feeds.
fn context_of(stream: &Stream) -> FilterContext {
    match stream {
        Stream::User | Stream::List(_) => FilterContext::Home,
        Stream::UserNotification => FilterContext::Notifications,
        _ => FilterContext::Public,
    }
}

/// What `event` means for employee `me` subscribed to `stream`, if anything.
pub fn route(
    conn: &mut DbConnection,
    cache: &StatusPartsCache,
    me: i64,
    stream: &Stream,
    event: &Event,
) -> Result<Option<Delivery>> {
    match event {
        Event::Shutdown => Ok(Some(Delivery::Close)),
        Event::AccessRevoked { account_id } if *account_id == me => Ok(Some(Delivery::Close)),
        Event::AccessRevoked { .. }
        | Event::AccountChanged { .. }
        | Event::TokenRevoked { .. }
        | Event::PolicyChanged
        | Event::UsagePolicyPublished { .. }
        | Event::FederationPolicyChanged
        | Event::OutboxReady => Ok(None),
        // Announcements go to every employee's user stream, as on Mastodon.
        Event::AnnouncementChanged { .. }
        | Event::AnnouncementDeleted { .. }
        | Event::AnnouncementReaction { .. }
            if !matches!(stream, Stream::User) =>
        {
            Ok(None)
        }
        Event::AnnouncementChanged { announcement_id } => Ok(
            crate::service::announcements::current_one(conn, me, *announcement_id)?
                .map(|shown| Delivery::Announcement(Box::new(shown))),
        ),
        Event::AnnouncementDeleted { announcement_id } => {
            Ok(Some(Delivery::AnnouncementDelete(*announcement_id)))
        }
        Event::AnnouncementReaction {
            announcement_id,
            name,
        } => Ok(Some(Delivery::AnnouncementReaction {
            announcement_id: *announcement_id,
            name: name.clone(),
            count: crate::service::announcements::reaction_count(conn, *announcement_id, name)?,
        })),
        Event::StatusDeleted { status_id } => Ok(match stream {
            Stream::UserNotification => None,
            _ => Some(Delivery::Delete(*status_id)),
        }),
        Event::Notification {
            account_id,
            notification_id,
        } => {
            if *account_id != me || !matches!(stream, Stream::User | Stream::UserNotification) {
                return Ok(None);
            }
            let Ok(n) = crate::service::notifications::get(conn, me, *notification_id) else {
                return Ok(None);
            };
            Ok(views::hydrate_notifications(conn, cache, me, vec![n])?
                .pop()
                .map(|v| Delivery::Notification(Box::new(v))))
        }
        Event::StatusCreated { status_id } | Event::StatusUpdated { status_id } => {
            if !belongs(conn, me, stream, *status_id)? {
                return Ok(None);
            }
            let Ok(status) = find_visible(conn, Some(me), *status_id) else {
                return Ok(None);
            };
            let Some(view) = views::hydrate_cached(conn, cache, Some(me), vec![status])?.pop()
            else {
                return Ok(None);
            };
            let view = Box::new(view);
            // `hide` filters apply to streams as to the timelines they feed.
            if filters::hidden_in(&view.filtered, context_of(stream)) {
                return Ok(None);
            }
            Ok(Some(match event {
                Event::StatusCreated { .. } => Delivery::Update(view),
                _ => Delivery::StatusUpdate(view),
            }))
        }
    }
}

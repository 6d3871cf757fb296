//! Web Push (Mastodon's push API): an app subscribes one of its access tokens to pushes, and
//! every notification of the token's employee that the subscription asks for is encrypted for
//! the app and POSTed to its push service.
//!
//! Durable and sent once: a push is queued (`push_deliveries`) in the transaction that makes
//! the notification, so nobody is pushed a notification that rolled back and none is lost to
//! a crash. Whichever app node claims a queued push (a lease, `claimed_until`) sends it;
//! failures are retried with backoff a bounded number of times. A push service that answers
//! that the subscription is gone (404, 410) or unusable (400, 401, 403) has it removed.
//!
//! The encryption (RFC 8291 `aes128gcm`, or the older `aesgcm` draft Mastodon used before
//! 4.4 for subscriptions without `standard`) and the VAPID signature (RFC 8292) are the
//! `web-push` crate's; the request is ours (reqwest: bounded timeouts, no redirects, and
//! non-public addresses refused unless `push.allow_private_endpoints`).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use futures_util::StreamExt;
use serde::Serialize;
use url::Url;

use crate::config::PushSettings;
use crate::context::AppContext;
use crate::db::models::Notification;
use crate::db::schema::{
    accounts, follows, instance_keys, notifications, oauth_access_tokens, push_deliveries,
    push_subscriptions, statuses, users,
};
use crate::db::{DbConnection, ids};
use crate::error::{Error, ErrorKind, Result};

/// The notification types a subscription may ask for (`data[alerts][…]`), in the order the
/// entity lists them: Mastodon's, then Groundswell's own (moderation warnings, the policy
/// rules' held and flagged posts, a held post approved).
pub const ALERTS: &[&str] = &[
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
    "moderation_warning",
    "admin.policy_hold",
    "admin.policy_flag",
    "policy.approved",
];

/// Who may cause a push (`data[policy]`).
pub const POLICIES: &[&str] = &["all", "followed", "follower", "none"];

/// Most push subscriptions one employee may have (one per access token: an app on each of
/// their devices); more are refused with 422.
pub const MAX_PER_ACCOUNT: i64 = 50;
/// Longest endpoint URL accepted.
pub const MAX_ENDPOINT_CHARS: usize = 2048;
/// How long a push service keeps a push for a device that is offline (Mastodon: 48 hours);
/// a push not sent within that time is dropped.
const TTL_SECS: i64 = 48 * 3600;
/// Attempts at one push before it is given up (the first and five retries, as Mastodon).
const MAX_ATTEMPTS: i32 = 6;
/// The wait after the first failure; it doubles after each one.
const FIRST_RETRY_SECS: i64 = 30;
/// Queued pushes one node claims at a time.
const BATCH: i64 = 32;
/// Longest body of a push (the start of the post or the note), in characters (Mastodon's).
const BODY_CHARS: usize = 140;

/// The department's VAPID key pair (P-256), made at first start and kept in the database
/// (`instance_keys`, name `vapid`) so every app node signs with the same key.
#[derive(Clone)]
pub struct VapidKeys {
    /// The uncompressed public point, base64url without padding (`server_key`).
    pub public_key: String,
    /// The private scalar, base64url without padding.
    private_key: String,
}

impl std::fmt::Debug for VapidKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKeys")
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

const VAPID_KEY_NAME: &str = "vapid";

fn read_vapid(conn: &mut DbConnection) -> Result<Option<VapidKeys>> {
    Ok(instance_keys::table
        .find(VAPID_KEY_NAME)
        .select((
            instance_keys::public_key_pem,
            instance_keys::private_key_pem,
        ))
        .first::<(String, String)>(conn)
        .optional()?
        .map(|(public_key, private_key)| VapidKeys {
            public_key,
            private_key,
        }))
}

/// A fresh key pair: 32 random bytes are a P-256 private key unless they are zero or not
/// below the group order (about one chance in 2^32), in which case new bytes are drawn.
fn generate_vapid() -> Result<VapidKeys> {
    for _ in 0..8 {
        let private_key = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        if let Ok(builder) = web_push::VapidSignatureBuilder::from_base64_no_sub(&private_key) {
            return Ok(VapidKeys {
                public_key: URL_SAFE_NO_PAD.encode(builder.get_public_key()),
                private_key,
            });
        }
    }
    Err(Error::internal(anyhow::anyhow!(
        "cannot make a VAPID key pair"
    )))
}

/// The VAPID key pair, made now if there is none. Safe with several nodes starting at once:
/// the key is inserted in a savepoint, and a node that loses the race reads the winner's.
pub fn vapid_keys(conn: &mut DbConnection) -> Result<VapidKeys> {
    if let Some(keys) = read_vapid(conn)? {
        return Ok(keys);
    }
    let keys = generate_vapid()?;
    let inserted = conn.transaction::<_, diesel::result::Error, _>(|conn| {
        diesel::insert_into(instance_keys::table)
            .values((
                instance_keys::name.eq(VAPID_KEY_NAME),
                instance_keys::public_key_pem.eq(&keys.public_key),
                instance_keys::private_key_pem.eq(&keys.private_key),
                instance_keys::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(keys),
        Err(e) => read_vapid(conn)?.ok_or_else(|| Error::internal(e)),
    }
}

/// The VAPID key pair of this department, read once per process.
pub async fn vapid(ctx: &AppContext) -> Result<&VapidKeys> {
    ctx.vapid
        .get_or_try_init(|| async { ctx.db.write(vapid_keys).await })
        .await
}

/// A subscription as the app sees it.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: i64,
    pub endpoint: String,
    pub standard: bool,
    /// Every type of [`ALERTS`], pushed or not.
    pub alerts: BTreeMap<&'static str, bool>,
    pub policy: String,
}

/// What an app asks to be pushed: the types (others are not) and from whom.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// `data[alerts]` as given: known types with a truthy value are pushed; others ignored.
    pub alerts: BTreeMap<String, serde_json::Value>,
    /// `data[policy]`; none means `all`.
    pub policy: Option<String>,
}

/// Where and how to push, as the app gives it (`subscription[…]`).
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub endpoint: Option<String>,
    pub p256dh: Option<String>,
    pub auth: Option<String>,
    pub standard: bool,
}

/// Rails' boolean cast, as Mastodon reads `alerts`: only false-like values are false.
fn truthy(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::Null => false,
        serde_json::Value::Number(n) => n.as_f64() != Some(0.0),
        serde_json::Value::String(s) => !matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "" | "0" | "f" | "false" | "off" | "no" | "n"
        ),
        _ => true,
    }
}

struct Checked {
    alerts: String,
    policy: String,
}

fn check_wanted(wanted: &Wanted) -> Result<Checked> {
    let policy = wanted.policy.as_deref().map(str::trim).unwrap_or("all");
    let policy = if policy.is_empty() { "all" } else { policy };
    if !POLICIES.contains(&policy) {
        return Err(Error::unprocessable(format!(
            "Validation failed: Policy must be one of {}",
            POLICIES.join(", ")
        )));
    }
    let alerts: Vec<&str> = ALERTS
        .iter()
        .copied()
        .filter(|kind| wanted.alerts.get(*kind).is_some_and(truthy))
        .collect();
    Ok(Checked {
        alerts: alerts.join(" "),
        policy: policy.to_string(),
    })
}

/// Whether `ip` is an address on the public internet (not loopback, private, link-local,
/// shared, documentation, multicast or unspecified).
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// An endpoint an app may give: an absolute `https` URL (`http` with
/// `push.allow_http_endpoints`) without credentials, and not naming a non-public address
/// unless `push.allow_private_endpoints` (names are checked again when connecting).
fn check_endpoint(raw: &str, settings: &PushSettings) -> Result<String> {
    let invalid = |why: &str| Error::unprocessable(format!("Validation failed: Endpoint {why}"));
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(invalid("can't be blank"));
    }
    if raw.chars().count() > MAX_ENDPOINT_CHARS {
        return Err(invalid(&format!(
            "is too long (at most {MAX_ENDPOINT_CHARS} characters)"
        )));
    }
    let url = Url::parse(raw).map_err(|_| invalid("is not a valid URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if settings.allow_http_endpoints => {}
        _ => return Err(invalid("must be an https URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not contain credentials"));
    }
    let private = match url.host() {
        None => return Err(invalid("is not a valid URL")),
        Some(url::Host::Ipv4(ip)) => !is_public(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => !is_public(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.');
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    if private && !settings.allow_private_endpoints {
        return Err(invalid("must be on a public address"));
    }
    Ok(url.to_string())
}

/// Base64 as apps send it: URL-safe or standard alphabet, padded or not (Mastodon.py sends
/// standard base64 with padding, browsers URL-safe without).
fn decode_base64(raw: &str) -> Option<Vec<u8>> {
    let unpadded = raw.trim().trim_end_matches('=');
    let normal: String = unpadded
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    STANDARD_NO_PAD.decode(normal).ok()
}

/// The app's keys, checked and stored as base64url without padding: `p256dh` an uncompressed
/// point on P-256 (65 bytes), `auth` 16 bytes.
fn check_keys(p256dh: Option<&str>, auth: Option<&str>) -> Result<(String, String)> {
    let p256dh = p256dh
        .and_then(decode_base64)
        .filter(|bytes| bytes.len() == 65 && bytes[0] == 4)
        .filter(|bytes| p256::PublicKey::from_sec1_bytes(bytes).is_ok())
        .ok_or_else(|| {
            Error::unprocessable(
                "Validation failed: Keys p256dh must be an uncompressed P-256 public key (65 bytes, base64url)",
            )
        })?;
    let auth = auth
        .and_then(decode_base64)
        .filter(|bytes| bytes.len() == 16)
        .ok_or_else(|| {
            Error::unprocessable("Validation failed: Keys auth must be 16 bytes (base64url)")
        })?;
    Ok((URL_SAFE_NO_PAD.encode(p256dh), URL_SAFE_NO_PAD.encode(auth)))
}

type Row = (i64, String, bool, String, String);

fn columns() -> (
    push_subscriptions::id,
    push_subscriptions::endpoint,
    push_subscriptions::standard,
    push_subscriptions::alerts,
    push_subscriptions::policy,
) {
    (
        push_subscriptions::id,
        push_subscriptions::endpoint,
        push_subscriptions::standard,
        push_subscriptions::alerts,
        push_subscriptions::policy,
    )
}

fn from_row((id, endpoint, standard, alerts, policy): Row) -> Subscription {
    let on: Vec<&str> = alerts.split_whitespace().collect();
    Subscription {
        id,
        endpoint,
        standard,
        alerts: ALERTS.iter().map(|k| (*k, on.contains(k))).collect(),
        policy,
    }
}

fn no_subscription() -> Error {
    Error::new(ErrorKind::NotFound, "Record not found")
}

/// The subscription of an access token.
pub fn find(conn: &mut DbConnection, token_id: i64) -> Result<Subscription> {
    push_subscriptions::table
        .filter(push_subscriptions::access_token_id.eq(token_id))
        .select(columns())
        .first::<Row>(conn)
        .optional()?
        .map(from_row)
        .ok_or_else(no_subscription)
}

/// Subscribe an access token of `account_id` (`token` is the token itself, named in every
/// push), replacing the subscription it had.
pub fn subscribe(
    conn: &mut DbConnection,
    settings: &PushSettings,
    account_id: i64,
    token_id: i64,
    token: &str,
    target: &Target,
    wanted: &Wanted,
) -> Result<Subscription> {
    let endpoint = check_endpoint(target.endpoint.as_deref().unwrap_or_default(), settings)?;
    let (p256dh, auth) = check_keys(target.p256dh.as_deref(), target.auth.as_deref())?;
    let checked = check_wanted(wanted)?;
    diesel::delete(
        push_subscriptions::table.filter(push_subscriptions::access_token_id.eq(token_id)),
    )
    .execute(conn)?;
    let others: i64 = push_subscriptions::table
        .filter(push_subscriptions::account_id.eq(account_id))
        .count()
        .get_result(conn)?;
    if others >= MAX_PER_ACCOUNT {
        return Err(Error::unprocessable(format!(
            "Validation failed: You can have at most {MAX_PER_ACCOUNT} push subscriptions \
             (one per app and device); remove one first"
        )));
    }
    let now = Utc::now().naive_utc();
    diesel::insert_into(push_subscriptions::table)
        .values((
            push_subscriptions::id.eq(ids::next_id()),
            push_subscriptions::access_token_id.eq(token_id),
            push_subscriptions::account_id.eq(account_id),
            push_subscriptions::access_token.eq(token),
            push_subscriptions::endpoint.eq(&endpoint),
            push_subscriptions::key_p256dh.eq(&p256dh),
            push_subscriptions::key_auth.eq(&auth),
            push_subscriptions::standard.eq(target.standard),
            push_subscriptions::alerts.eq(&checked.alerts),
            push_subscriptions::policy.eq(&checked.policy),
            push_subscriptions::created_at.eq(now),
            push_subscriptions::updated_at.eq(now),
        ))
        .execute(conn)?;
    find(conn, token_id)
}

/// Change what a token's subscription asks for. As on Mastodon, `data` replaces what was
/// asked before: a type not named is no longer pushed.
pub fn change(conn: &mut DbConnection, token_id: i64, wanted: &Wanted) -> Result<Subscription> {
    let existing = find(conn, token_id)?;
    let checked = check_wanted(wanted)?;
    diesel::update(push_subscriptions::table.find(existing.id))
        .set((
            push_subscriptions::alerts.eq(&checked.alerts),
            push_subscriptions::policy.eq(&checked.policy),
            push_subscriptions::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    find(conn, token_id)
}

/// Remove a token's subscription (nothing to remove is fine, as on Mastodon).
pub fn unsubscribe(conn: &mut DbConnection, token_id: i64) -> Result<()> {
    diesel::delete(
        push_subscriptions::table.filter(push_subscriptions::access_token_id.eq(token_id)),
    )
    .execute(conn)?;
    Ok(())
}

fn following(conn: &mut DbConnection, follower: i64, followed: i64) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        follows::table
            .filter(follows::account_id.eq(follower))
            .filter(follows::target_account_id.eq(followed))
            .filter(follows::accepted.eq(true)),
    ))
    .get_result(conn)?)
}

/// Queue the pushes of a notification just made, in its transaction: one for each
/// subscription of the recipient that asks for its type and whose policy lets its sender
/// cause one (`followed`: the recipient follows the sender; `follower`: the sender follows
/// the recipient).
pub fn enqueue(conn: &mut DbConnection, notification: &Notification) -> Result<()> {
    let subscriptions: Vec<(i64, String, String)> = push_subscriptions::table
        .filter(push_subscriptions::account_id.eq(notification.account_id))
        .select((
            push_subscriptions::id,
            push_subscriptions::alerts,
            push_subscriptions::policy,
        ))
        .load(conn)?;
    if subscriptions.is_empty() {
        return Ok(());
    }
    let (me, them) = (notification.account_id, notification.from_account_id);
    let mut i_follow = None;
    let mut they_follow = None;
    let now = Utc::now().naive_utc();
    for (id, alerts, policy) in subscriptions {
        if !alerts.split_whitespace().any(|a| a == notification.kind) {
            continue;
        }
        let allowed = match policy.as_str() {
            "all" => true,
            "followed" => match i_follow {
                Some(known) => known,
                None => *i_follow.insert(following(conn, me, them)?),
            },
            "follower" => match they_follow {
                Some(known) => known,
                None => *they_follow.insert(following(conn, them, me)?),
            },
            _ => false,
        };
        if !allowed {
            continue;
        }
        diesel::insert_into(push_deliveries::table)
            .values((
                push_deliveries::id.eq(ids::next_id()),
                push_deliveries::subscription_id.eq(id),
                push_deliveries::notification_id.eq(notification.id),
                push_deliveries::attempts.eq(0),
                push_deliveries::next_attempt_at.eq(now),
                push_deliveries::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The push as Mastodon sends it (its `Web::NotificationSerializer`), encrypted for the app.
#[derive(Debug, Clone, Serialize)]
pub struct Payload {
    pub access_token: String,
    pub preferred_locale: String,
    /// A number, as Mastodon's: apps decode it as one.
    pub notification_id: i64,
    pub notification_type: String,
    pub icon: String,
    pub title: String,
    pub body: String,
}

/// What a push says in its title (Mastodon's notification e-mail subjects, and ours).
fn title(kind: &str, name: &str) -> String {
    match kind {
        "mention" => format!("You were mentioned by {name}"),
        "status" => format!("{name} just posted"),
        "reblog" => format!("{name} boosted your post"),
        "follow" => format!("{name} is now following you"),
        "follow_request" => format!("Pending follower: {name}"),
        "favourite" => format!("{name} favorited your post"),
        "poll" => "A poll has ended".to_string(),
        "update" => format!("{name} edited a post"),
        "admin.sign_up" => format!("{name} signed up"),
        "admin.report" => format!("New report from {name}"),
        "moderation_warning" => "Your department's moderators took action on your account".into(),
        "admin.policy_hold" => format!("A post by {name} is held for review"),
        "admin.policy_flag" => format!("A post by {name} was flagged for review"),
        "policy.approved" => "Your post was approved".to_string(),
        _ => format!("New notification from {name}"),
    }
}

/// The first [`BODY_CHARS`] characters of `text`, with an ellipsis if there was more.
fn truncate(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= BODY_CHARS {
        return text.to_string();
    }
    let mut out: String = text.chars().take(BODY_CHARS - 3).collect();
    out.push_str("...");
    out
}

/// A claimed push with everything needed to send it.
#[derive(Debug, Clone)]
struct Claimed {
    delivery_id: i64,
    attempts: i32,
    subscription_id: i64,
    endpoint: String,
    p256dh: String,
    auth: String,
    standard: bool,
    payload: Payload,
}

/// What became of one push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sent,
    /// The push service says the subscription is gone or unusable: it is removed.
    Gone,
    /// Worth trying again later (a timeout, 429, 5xx, no connection).
    Retry,
    /// Not worth trying again (the push service refused this one push).
    Drop,
}

/// A queued push that can no longer be sent is dropped while claiming.
enum Loaded {
    Send(Box<Claimed>),
    Forget,
    Unsubscribe(i64),
}

fn load(conn: &mut DbConnection, delivery_id: i64, base: &Url) -> Result<Loaded> {
    let row: Option<(i32, i64, i64)> = push_deliveries::table
        .find(delivery_id)
        .select((
            push_deliveries::attempts,
            push_deliveries::subscription_id,
            push_deliveries::notification_id,
        ))
        .first(conn)
        .optional()?;
    let Some((attempts, subscription_id, notification_id)) = row else {
        return Ok(Loaded::Forget);
    };
    type SubRow = (String, String, String, String, bool, i64, i64);
    let sub: Option<SubRow> = push_subscriptions::table
        .find(subscription_id)
        .select((
            push_subscriptions::access_token,
            push_subscriptions::endpoint,
            push_subscriptions::key_p256dh,
            push_subscriptions::key_auth,
            push_subscriptions::standard,
            push_subscriptions::access_token_id,
            push_subscriptions::account_id,
        ))
        .first(conn)
        .optional()?;
    let Some((token, endpoint, p256dh, auth, standard, token_id, account_id)) = sub else {
        return Ok(Loaded::Forget);
    };
    // A revoked or expired token takes its subscription with it (Mastodon unsubscribes the
    // app's tokens when they are revoked); so does a disabled or suspended employee.
    let now = Utc::now().naive_utc();
    let token_ok: bool = diesel::select(diesel::dsl::exists(
        oauth_access_tokens::table
            .find(token_id)
            .filter(oauth_access_tokens::revoked_at.is_null())
            .filter(
                oauth_access_tokens::expires_at
                    .is_null()
                    .or(oauth_access_tokens::expires_at.gt(now)),
            ),
    ))
    .get_result(conn)?;
    let user: Option<(Option<String>, Option<NaiveDateTime>, Option<NaiveDateTime>)> = users::table
        .inner_join(accounts::table)
        .filter(accounts::id.eq(account_id))
        .select((users::locale, users::disabled_at, accounts::suspended_at))
        .first(conn)
        .optional()?;
    let locale = match user {
        Some((locale, None, None)) if token_ok => locale,
        _ => return Ok(Loaded::Unsubscribe(subscription_id)),
    };
    let note: Option<Notification> = notifications::table
        .find(notification_id)
        .select(Notification::as_select())
        .first(conn)
        .optional()?;
    let Some(note) = note else {
        return Ok(Loaded::Forget);
    };
    if (now - note.created_at).num_seconds() > TTL_SECS {
        return Ok(Loaded::Forget);
    }
    let from: Option<(String, String, String, Option<String>)> = accounts::table
        .find(note.from_account_id)
        .select((
            accounts::username,
            accounts::display_name,
            accounts::note,
            accounts::avatar_url,
        ))
        .first(conn)
        .optional()?;
    let Some((username, display_name, account_note, avatar)) = from else {
        return Ok(Loaded::Forget);
    };
    let status: Option<(String, String)> = match note.status_id {
        Some(id) => statuses::table
            .find(id)
            .select((statuses::spoiler_text, statuses::content))
            .first(conn)
            .optional()?,
        None => None,
    };
    let body_html = match &status {
        Some((spoiler, _)) if !spoiler.trim().is_empty() => crate::service::text::escape(spoiler),
        Some((_, content)) => content.clone(),
        None => account_note,
    };
    let name = if display_name.trim().is_empty() {
        username
    } else {
        display_name
    };
    let base = base.as_str().trim_end_matches('/');
    Ok(Loaded::Send(Box::new(Claimed {
        delivery_id,
        attempts,
        subscription_id,
        endpoint,
        p256dh,
        auth,
        standard,
        payload: Payload {
            access_token: token,
            preferred_locale: locale
                .filter(|l| !l.trim().is_empty())
                .unwrap_or_else(|| "en".into()),
            notification_id: note.id,
            title: title(&note.kind, &name),
            notification_type: note.kind,
            icon: avatar.unwrap_or_else(|| format!("{base}/static/avatar.png")),
            body: truncate(&crate::service::text::plain_text(&body_html)),
        },
    })))
}

fn lease_secs(settings: &PushSettings) -> i64 {
    let rounds = (BATCH as u64).div_ceil(settings.concurrency.max(1) as u64);
    (rounds * (settings.request_timeout_secs.max(1) + 5) + 30) as i64
}

/// Claim due pushes for this node (each is claimed by one node only, until its lease ends)
/// and load what they say; pushes that can no longer be sent are dropped on the way.
fn claim_due(conn: &mut DbConnection, settings: &PushSettings, base: &Url) -> Result<Vec<Claimed>> {
    let now = Utc::now().naive_utc();
    let free = push_deliveries::claimed_until
        .is_null()
        .or(push_deliveries::claimed_until.lt(now));
    let candidates: Vec<i64> = push_deliveries::table
        .filter(push_deliveries::next_attempt_at.le(now))
        .filter(free)
        .order(push_deliveries::next_attempt_at.asc())
        .limit(BATCH)
        .select(push_deliveries::id)
        .load(conn)?;
    let until = now + chrono::Duration::seconds(lease_secs(settings));
    let mut mine = Vec::new();
    for id in candidates {
        let won = diesel::update(push_deliveries::table.find(id).filter(free))
            .set(push_deliveries::claimed_until.eq(until))
            .execute(conn)?;
        if won != 1 {
            continue;
        }
        match load(conn, id, base)? {
            Loaded::Send(claimed) => mine.push(*claimed),
            Loaded::Forget => {
                diesel::delete(push_deliveries::table.find(id)).execute(conn)?;
            }
            Loaded::Unsubscribe(subscription) => {
                diesel::delete(push_subscriptions::table.find(subscription)).execute(conn)?;
            }
        }
    }
    Ok(mine)
}

/// Record what became of the pushes sent.
fn record(conn: &mut DbConnection, outcomes: &[(Claimed, Outcome)]) -> Result<()> {
    let now = Utc::now().naive_utc();
    for (push, outcome) in outcomes {
        match outcome {
            Outcome::Sent | Outcome::Drop => {
                diesel::delete(push_deliveries::table.find(push.delivery_id)).execute(conn)?;
            }
            Outcome::Gone => {
                diesel::delete(push_subscriptions::table.find(push.subscription_id))
                    .execute(conn)?;
            }
            Outcome::Retry if push.attempts + 1 >= MAX_ATTEMPTS => {
                tracing::warn!(
                    delivery_id = push.delivery_id,
                    attempts = push.attempts + 1,
                    "push given up"
                );
                diesel::delete(push_deliveries::table.find(push.delivery_id)).execute(conn)?;
            }
            Outcome::Retry => {
                let wait = FIRST_RETRY_SECS << push.attempts.clamp(0, 7);
                diesel::update(push_deliveries::table.find(push.delivery_id))
                    .set((
                        push_deliveries::attempts.eq(push.attempts + 1),
                        push_deliveries::next_attempt_at.eq(now + chrono::Duration::seconds(wait)),
                        push_deliveries::claimed_until.eq(None::<NaiveDateTime>),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// Resolves push services' names, refusing those that resolve to non-public addresses
/// (unless `push.allow_private_endpoints`): an app's endpoint must not make the server reach
/// internal hosts.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> {
                    format!("cannot resolve `{host}`: {e}").into()
                })?
                .filter(|a| is_public(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("`{host}` has no public address").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client pushes are sent with: bounded timeouts, no redirects, public addresses
/// only (unless `push.allow_private_endpoints`).
pub fn client(ctx: &AppContext) -> Result<reqwest::Client> {
    let settings = &ctx.settings.push;
    let timeout = Duration::from_secs(settings.request_timeout_secs.max(1));
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(format!(
            "Groundswell/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            ctx.settings.instance.base_url()
        ));
    if !settings.allow_private_endpoints {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    builder.build().map_err(Error::internal)
}

/// The VAPID `sub` claim: how a push service reaches the department's operators.
fn contact(ctx: &AppContext) -> String {
    let email = ctx.settings.instance.contact_email.trim();
    if email.is_empty() {
        ctx.settings.instance.base_url().to_string()
    } else {
        format!("mailto:{email}")
    }
}

/// Encrypt and sign one push (the `web-push` crate); `None` if it cannot be (bad keys, too
/// large), which no retry would mend.
fn encrypt(
    push: &Claimed,
    keys: &VapidKeys,
    contact: &str,
) -> std::result::Result<web_push::WebPushPayload, String> {
    let info = web_push::SubscriptionInfo::new(
        push.endpoint.as_str(),
        push.p256dh.as_str(),
        push.auth.as_str(),
    );
    let mut signature = web_push::VapidSignatureBuilder::from_base64(&keys.private_key, &info)
        .map_err(|e| format!("VAPID key: {e}"))?;
    signature.add_claim("sub", contact);
    // The audience is the endpoint's origin, port included (the crate leaves the port out).
    let origin = Url::parse(&push.endpoint)
        .map(|u| u.origin().ascii_serialization())
        .map_err(|e| format!("endpoint: {e}"))?;
    signature.add_claim("aud", origin);
    let signature = signature
        .build()
        .map_err(|e| format!("VAPID signature: {e}"))?;
    let json = serde_json::to_vec(&push.payload).map_err(|e| e.to_string())?;
    let mut message = web_push::WebPushMessageBuilder::new(&info);
    let encoding = if push.standard {
        web_push::ContentEncoding::Aes128Gcm
    } else {
        web_push::ContentEncoding::AesGcm
    };
    message.set_payload(encoding, &json);
    message.set_vapid_signature(signature);
    message
        .build()
        .map_err(|e| format!("encryption: {e}"))?
        .payload
        .ok_or_else(|| "no payload".to_string())
}

/// Send one push and say what became of it.
async fn send(
    client: &reqwest::Client,
    settings: &PushSettings,
    push: &Claimed,
    keys: &VapidKeys,
    contact: &str,
) -> Outcome {
    let payload = match encrypt(push, keys, contact) {
        Ok(payload) => payload,
        Err(e) => {
            tracing::warn!(delivery_id = push.delivery_id, error = %e, "cannot encrypt a push; dropped");
            return Outcome::Drop;
        }
    };
    // The resolver checks names; an address written in the URL is checked here.
    if !settings.allow_private_endpoints
        && let Ok(url) = Url::parse(&push.endpoint)
    {
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if ip.is_some_and(|ip| !is_public(ip)) {
            return Outcome::Gone;
        }
    }
    let mut request = client
        .post(&push.endpoint)
        .header("TTL", TTL_SECS.to_string())
        .header("Urgency", "normal")
        .header("Content-Type", "application/octet-stream")
        .header("Content-Encoding", payload.content_encoding.to_str());
    for (name, value) in &payload.crypto_headers {
        // `Encryption: salt=…` alone, as Mastodon sends it: apps (Mastodon.py among them)
        // read the salt as everything after `salt=`; the record size is the default.
        let value = match *name {
            "Encryption" => value.split(';').next().unwrap_or(value),
            _ => value.as_str(),
        };
        request = request.header(*name, value);
    }
    match request.body(payload.content).send().await {
        Ok(answer) => {
            let status = answer.status().as_u16();
            match status {
                200..=299 => Outcome::Sent,
                400 | 401 | 403 | 404 | 410 => {
                    tracing::info!(
                        subscription_id = push.subscription_id,
                        status,
                        "push subscription removed: its push service refused it"
                    );
                    Outcome::Gone
                }
                408 | 429 | 500..=599 => Outcome::Retry,
                _ => {
                    tracing::warn!(
                        delivery_id = push.delivery_id,
                        status,
                        "push refused; dropped"
                    );
                    Outcome::Drop
                }
            }
        }
        Err(e) => {
            tracing::info!(delivery_id = push.delivery_id, error = %e, "cannot send a push now");
            Outcome::Retry
        }
    }
}

/// Send the pushes that are due and this node claims. Returns how many were sent.
pub async fn send_due(ctx: &AppContext, client: &reqwest::Client) -> Result<usize> {
    let settings = ctx.settings.push.clone();
    let base = ctx.settings.instance.base_url();
    let claimed = {
        let settings = settings.clone();
        ctx.db
            .write(move |conn| claim_due(conn, &settings, &base))
            .await?
    };
    if claimed.is_empty() {
        return Ok(0);
    }
    let keys = vapid(ctx).await?.clone();
    let contact = contact(ctx);
    let outcomes: Vec<(Claimed, Outcome)> = futures_util::stream::iter(claimed)
        .map(|push| {
            let (keys, contact, settings) = (&keys, contact.as_str(), &settings);
            async move {
                let outcome = send(client, settings, &push, keys, contact).await;
                (push, outcome)
            }
        })
        .buffer_unordered(settings.concurrency.max(1))
        .collect()
        .await;
    let sent = outcomes.iter().filter(|(_, o)| *o == Outcome::Sent).count();
    ctx.db.write(move |conn| record(conn, &outcomes)).await?;
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.169.254",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "100.64.0.1",
            "0.0.0.0",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "2606:4700::1111", "142.250.1.1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn base64_of_either_alphabet() {
        assert_eq!(decode_base64("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(decode_base64("+/8="), Some(vec![0xfb, 0xff]));
        assert_eq!(decode_base64("not base64!"), None);
    }

    #[test]
    fn long_bodies_are_cut() {
        let long = "a".repeat(500);
        assert_eq!(truncate(&long).chars().count(), BODY_CHARS);
        assert_eq!(truncate(" short "), "short");
    }

    #[test]
    fn vapid_keys_are_p256() {
        let keys = generate_vapid().unwrap();
        let public = URL_SAFE_NO_PAD.decode(&keys.public_key).unwrap();
        assert_eq!(public.len(), 65);
        assert!(p256::PublicKey::from_sec1_bytes(&public).is_ok());
    }
}

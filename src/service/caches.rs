//! What a request would otherwise ask the database for every time: who a bearer token speaks
//! for, the instance's counts, and what statuses show that is the same for every viewer.
//!
//! Entries are dropped by the event bus the moment what they hold changes — on this node
//! before the change's request is answered, on the other app nodes as its `NOTIFY` arrives —
//! and in any case after a short time to live. On SQLite, which has no bus between processes,
//! a change by another process (the CLI) empties them within a tenth of a second
//! (`server`'s job on `Db::written_elsewhere`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;

use crate::service::events::{Event, EventBus};
use crate::service::instance::Summary;
use crate::service::oauth::TokenOwner;
use crate::service::views::StatusParts;

/// How long a token's owner is kept without being asked again.
pub const TOKEN_TTL: Duration = Duration::from_secs(60);
/// How many tokens are kept (the least used beyond that are dropped).
pub const TOKEN_CAPACITY: u64 = 20_000;
/// How long the instance's counts are kept (Mastodon keeps them longer).
pub const STATS_TTL: Duration = Duration::from_secs(60);
/// How many statuses' viewer-independent parts are kept (the least used beyond that are
/// dropped), and for how long at most.
pub const STATUS_CAPACITY: u64 = 20_000;
pub const STATUS_TTL: Duration = Duration::from_secs(600);

pub struct Caches {
    pub tokens: TokenCache,
    pub statuses: StatusPartsCache,
    /// The compiled policy rules.
    pub policy: crate::service::policy::PolicyCache,
    /// The usage policy's current version and employees' acceptances.
    pub usage_policy: crate::service::usage_policy::UsagePolicyCache,
    /// The federation policy's domain rules and mode.
    pub federation: crate::service::policy::federation::RulesCache,
    summary: moka::sync::Cache<(), Arc<Summary>>,
    /// The trends as computed on this node (`service::trends`), for
    /// [`crate::service::trends::CACHE_TTL`]; and the instance's weekly activity.
    pub trends: moka::sync::Cache<(), Arc<crate::service::trends::Trends>>,
    pub activity: moka::sync::Cache<(), Arc<Vec<crate::service::instance::WeekActivity>>>,
}

impl Caches {
    /// The caches of one app node, kept right by its event bus.
    pub fn new(events: &EventBus) -> Arc<Caches> {
        let caches = Arc::new(Caches {
            tokens: TokenCache::new(),
            statuses: StatusPartsCache::new(),
            policy: Default::default(),
            usage_policy: Default::default(),
            federation: Default::default(),
            summary: moka::sync::Cache::builder()
                .max_capacity(1)
                .time_to_live(STATS_TTL)
                .build(),
            trends: moka::sync::Cache::builder()
                .max_capacity(1)
                .time_to_live(crate::service::trends::CACHE_TTL)
                .build(),
            activity: moka::sync::Cache::builder()
                .max_capacity(1)
                .time_to_live(crate::service::instance::ACTIVITY_TTL)
                .build(),
        });
        let weak = Arc::downgrade(&caches);
        events.watch(Arc::new(move |event| {
            if let Some(caches) = weak.upgrade() {
                caches.tokens.heard(event);
                caches.statuses.heard(event);
                caches.policy.heard(event);
                caches.usage_policy.heard(event);
                if caches.federation.heard(event) {
                    // What statuses show depends on it (media a department's block rejects).
                    caches.statuses.clear();
                }
                if let Event::AccountChanged { .. } | Event::AccessRevoked { .. } = event {
                    // The contact may be that account.
                    caches.summary.invalidate_all();
                }
            }
        }));
        caches
    }

    /// Forget everything (another process changed the database).
    pub fn clear(&self) {
        self.tokens.generation.fetch_add(1, Ordering::SeqCst);
        self.tokens.entries.invalidate_all();
        self.statuses.generation.fetch_add(1, Ordering::SeqCst);
        self.statuses.entries.invalidate_all();
        self.policy.clear();
        self.usage_policy.clear();
        self.federation.clear();
        self.summary.invalidate_all();
        self.trends.invalidate_all();
        self.activity.invalidate_all();
    }

    /// The instance's counts and contact, as of at most [`STATS_TTL`] ago.
    pub fn summary(&self) -> Option<Arc<Summary>> {
        self.summary.get(&())
    }

    pub fn keep_summary(&self, summary: Arc<Summary>) {
        self.summary.insert((), summary);
    }
}

/// Bearer token (by its hash) → who it speaks for.
pub struct TokenCache {
    entries: moka::sync::Cache<String, Arc<TokenOwner>>,
    /// Counts the events that dropped entries: a lookup that raced one does not keep what it
    /// read.
    generation: AtomicU64,
}

impl TokenCache {
    fn new() -> TokenCache {
        TokenCache {
            entries: moka::sync::Cache::builder()
                .max_capacity(TOKEN_CAPACITY)
                .time_to_live(TOKEN_TTL)
                .support_invalidation_closures()
                .build(),
            generation: AtomicU64::new(0),
        }
    }

    /// The owner of the token with this hash, if it is cached and has not expired since.
    pub fn get(&self, hash: &str) -> Option<Arc<TokenOwner>> {
        let owner = self.entries.get(hash)?;
        if owner
            .token
            .expires_at
            .is_some_and(|t| t < Utc::now().naive_utc())
        {
            self.entries.invalidate(hash);
            return None;
        }
        Some(owner)
    }

    /// Where the cache stands before a lookup in the database (for [`TokenCache::keep`]).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keep what a lookup that started at `generation` read, unless an event dropped entries
    /// meanwhile (what it read may be what that event changed).
    pub fn keep(&self, hash: String, owner: Arc<TokenOwner>, generation: u64) {
        self.entries.insert(hash.clone(), owner);
        if self.generation() != generation {
            self.entries.invalidate(&hash);
        }
    }

    fn heard(&self, event: &Event) {
        let drop_if = |predicate: Box<dyn Fn(&TokenOwner) -> bool + Send + Sync>| {
            self.generation.fetch_add(1, Ordering::SeqCst);
            if let Err(e) = self
                .entries
                .invalidate_entries_if(move |_, owner| predicate(owner))
            {
                tracing::error!(error = %e, "cannot drop cached tokens; dropping all");
                self.entries.invalidate_all();
            }
        };
        match *event {
            Event::AccountChanged { account_id } | Event::AccessRevoked { account_id } => {
                drop_if(Box::new(move |owner| {
                    owner
                        .user
                        .as_ref()
                        .is_some_and(|u| u.account.id == account_id)
                }))
            }
            Event::TokenRevoked { token_id } => {
                drop_if(Box::new(move |owner| owner.token.id == token_id))
            }
            _ => {}
        }
    }
}

/// Status id → what it shows that is the same for every viewer (mentions, hashtags, media,
/// app, whether it has a poll). Those change only when the status is edited or deleted; the
/// counts, the author and the viewer's own flags are read with every page.
pub struct StatusPartsCache {
    entries: moka::sync::Cache<i64, Arc<StatusParts>>,
    /// Counts the events that dropped entries: a read that raced one does not keep what it
    /// read.
    generation: AtomicU64,
}

impl StatusPartsCache {
    fn new() -> StatusPartsCache {
        StatusPartsCache {
            entries: moka::sync::Cache::builder()
                .max_capacity(STATUS_CAPACITY)
                .time_to_live(STATUS_TTL)
                .build(),
            generation: AtomicU64::new(0),
        }
    }

    pub fn get(&self, status_id: i64) -> Option<Arc<StatusParts>> {
        self.entries.get(&status_id)
    }

    /// Where the cache stands before a read of the database (for [`StatusPartsCache::keep`]).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keep what a read that started at `generation` found, unless an event dropped entries
    /// meanwhile.
    pub fn keep(&self, status_id: i64, parts: Arc<StatusParts>, generation: u64) {
        self.entries.insert(status_id, parts);
        if self.generation() != generation {
            self.entries.invalidate(&status_id);
        }
    }

    /// Drop every status (what all of them show changed).
    fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.entries.invalidate_all();
    }

    fn heard(&self, event: &Event) {
        if let Event::StatusUpdated { status_id } | Event::StatusDeleted { status_id } = *event {
            self.generation.fetch_add(1, Ordering::SeqCst);
            self.entries.invalidate(&status_id);
        }
    }
}

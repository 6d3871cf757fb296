//! Policy: the boundaries a department sets on what is said and where it goes.
//!
//! - [`rules`]: rules as an admin writes them (the rule file) and their compiled form.
//! - [`matcher`]: what a post or activity looks like to the rules ([`Facts`]) and which rules
//!   it matches ([`Verdict`]); pure code, no database.
//! - [`store`]: the versions of the rule set, and what the rules matched.
//! - [`federation`]: which departments this one talks to (every ActivityPub request in either
//!   direction asks it), and what is done with what they send; [`domains`]: its run-time part
//!   (mode, domain allows and blocks), export and import.
//!
//! Where the rules run: the one write path asks [`judge`] before its transaction — for an
//! employee's post or edit (`statuses::post`, `statuses::update`), for what another
//! department sends (`inbound`), and for what would leave the department (the same posts,
//! and boosts) — and hands the [`Verdict`] to `statuses::publish` / `revise`, which apply it
//! for both origins. Facts are gathered in a read; the rules then match with no connection
//! held; the write records every match.

pub mod domains;
pub mod facts;
pub mod federation;
pub mod matcher;
pub mod review;
pub mod rules;
pub mod store;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

pub use federation::{Federation, FederationPolicy, authority};
pub use matcher::{AuthorFacts, Facts, Match, MediaFacts, Subject, Verdict};
pub use rules::{Action, Direction, RuleSet};

use crate::config::Settings;
use crate::context::AppContext;
use crate::db::DbConnection;
use crate::error::Result;
use crate::service::events::Event;

/// This node's compiled rule set: loaded when first asked for, and again after any node
/// changes the rules (`Event::PolicyChanged`, or on SQLite a change by the CLI).
pub struct PolicyCache {
    current: RwLock<Arc<RuleSet>>,
    stale: AtomicBool,
}

impl Default for PolicyCache {
    fn default() -> Self {
        PolicyCache {
            current: RwLock::new(Arc::new(RuleSet::default())),
            stale: AtomicBool::new(true),
        }
    }
}

impl PolicyCache {
    pub fn heard(&self, event: &Event) {
        if let Event::PolicyChanged = event {
            self.clear();
        }
    }

    /// Load the rules again before they are next used.
    pub fn clear(&self) {
        self.stale.store(true, Ordering::SeqCst);
    }

    /// The current rule set if this node has it without asking the database.
    pub fn peek(&self) -> Option<Arc<RuleSet>> {
        if self.stale.load(Ordering::SeqCst) {
            return None;
        }
        self.current.read().ok().map(|r| r.clone())
    }

    /// The current rule set, loaded with `conn` if this node's copy is out of date.
    pub fn current(&self, conn: &mut DbConnection) -> Result<Arc<RuleSet>> {
        // A change heard while loading marks it stale again, so it is loaded once more.
        if self.stale.swap(false, Ordering::SeqCst) {
            match store::load(conn) {
                Ok(set) => {
                    let set = Arc::new(set);
                    if let Ok(mut current) = self.current.write() {
                        *current = set.clone();
                    }
                    return Ok(set);
                }
                Err(e) => {
                    self.stale.store(true, Ordering::SeqCst);
                    return Err(e);
                }
            }
        }
        Ok(self.current.read().map(|r| r.clone()).unwrap_or_default())
    }
}

/// Ask the rules about something: `facts` gathers what they look at (in a read), then the
/// current rules match with no connection held. With no rules at all, nothing is read.
pub async fn judge<F>(ctx: &AppContext, facts: F) -> Result<Verdict>
where
    F: FnOnce(&mut DbConnection, &Settings) -> Result<Facts> + Send + 'static,
{
    if ctx
        .caches
        .policy
        .peek()
        .is_some_and(|rules| rules.rules.is_empty())
    {
        return Ok(Verdict::default());
    }
    let (caches, settings) = (ctx.caches.clone(), ctx.settings.clone());
    let (rules, facts) = ctx
        .db
        .read(move |conn| {
            let rules = caches.policy.current(conn)?;
            if rules.rules.is_empty() {
                return Ok((rules, None));
            }
            Ok((rules.clone(), Some(facts(conn, &settings)?)))
        })
        .await?;
    Ok(match &facts {
        Some(facts) => rules.judge(facts),
        None => Verdict::default(),
    })
}

/// Refuse what a rule rejects: its matches are recorded and the error its author is told
/// returned (`422`, naming the rule and its explanation).
pub async fn refuse_if_rejected(ctx: &AppContext, verdict: &Verdict, author: i64) -> Result<()> {
    let Some(rule) = verdict.rejected_by() else {
        return Ok(());
    };
    let refusal = verdict.refusal(rule);
    record_refusal(ctx, verdict, Some(author), None).await?;
    Err(refusal)
}

/// Record the matches of something refused (nothing was stored that would record them).
pub async fn record_refusal(
    ctx: &AppContext,
    verdict: &Verdict,
    account_id: Option<i64>,
    object_uri: Option<String>,
) -> Result<()> {
    let verdict = verdict.clone();
    ctx.db
        .write(move |conn| {
            store::record(
                conn,
                &verdict,
                store::Target {
                    status_id: None,
                    account_id,
                    object_uri,
                },
            )
        })
        .await
}

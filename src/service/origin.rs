//! Where a change comes from. Every use case (post, edit, delete, favourite, boost, follow…)
//! is one function that both the Mastodon API and the inbox call: the rules are written once,
//! and the origin is data. What differs by origin is small and named here: an employee's
//! change is ours to federate; another department's arrives with the id of its activity and
//! has federated already.

use chrono::NaiveDateTime;

use crate::db::models::Account;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// An employee of this department, through the Mastodon API, the web pages or the CLI.
    Local,
    /// An account of another department, through the activity with this id.
    Remote {
        activity_id: &'a str,
        /// When the other department says it happened (its `published`), if it says.
        published: Option<NaiveDateTime>,
    },
}

impl<'a> Origin<'a> {
    pub fn remote(activity_id: &'a str) -> Origin<'a> {
        Origin::Remote {
            activity_id,
            published: None,
        }
    }

    /// The id of the other department's activity.
    pub fn activity_id(&self) -> Option<&'a str> {
        match self {
            Origin::Local => None,
            Origin::Remote { activity_id, .. } => Some(activity_id),
        }
    }

    pub fn published(&self) -> Option<NaiveDateTime> {
        match self {
            Origin::Local => None,
            Origin::Remote { published, .. } => *published,
        }
    }

    /// The actor must be of this origin: an employee acts here, an account of another
    /// department through its activities. Returns whether the change is ours to federate.
    pub fn check(&self, actor: &Account) -> Result<bool> {
        match (self, actor.is_local()) {
            (Origin::Local, true) => Ok(true),
            (Origin::Remote { .. }, false) => Ok(false),
            (Origin::Local, false) => Err(Error::forbidden(
                "Accounts of other departments act through their own department",
            )),
            (Origin::Remote { .. }, true) => Err(Error::forbidden(
                "An activity cannot act for an account of this department",
            )),
        }
    }
}

//! Matching: what a post or activity looks like to the rules ([`Facts`], gathered before any
//! rule runs), and which rules it matches ([`RuleSet::judge`]) — pure code over memory, no
//! database, so no connection is held while rules match.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::service::policy::rules::{Action, Compiled, CompiledRule, Direction, RuleSet};
use crate::service::users::Role;
use crate::service::visibility::Visibility;

/// What the rules are asked about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    #[default]
    Post,
    Edit,
    Boost,
    Like,
    Follow,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Post => "post",
            Subject::Edit => "edit",
            Subject::Boost => "boost",
            Subject::Like => "like",
            Subject::Follow => "follow",
        }
    }

    /// Whether it carries content of its own that rules may change (posts and edits).
    pub fn has_content(self) -> bool {
        matches!(self, Subject::Post | Subject::Edit)
    }
}

/// An attachment, as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaFacts {
    /// `image`, `gifv`, `video`, `audio` or `unknown`.
    pub kind: String,
    pub content_type: String,
    /// Known for uploads here; 0 for attachments of other departments.
    pub bytes: u64,
}

/// Who wrote (or did) it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorFacts {
    /// The role of an employee here; `None` for accounts of other departments.
    pub role: Option<Role>,
    /// The identity provider's department of an employee here.
    pub department: Option<String>,
    pub created_at: NaiveDateTime,
    /// `host[:port]` of the department the author belongs to.
    pub domain: String,
}

/// Everything a rule can ask about a post or an activity.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub subject: Subject,
    /// The ways it goes: `Local` for an employee's post, plus `Outbound` when it would leave
    /// the department; `Inbound` for what another department sends.
    pub directions: BTreeSet<Direction>,
    /// The text as plain text (HTML taken out).
    pub text: String,
    pub spoiler_text: String,
    /// Lowercase, without `#`.
    pub hashtags: Vec<String>,
    /// The department of each mentioned account: `None` for this one.
    pub mentions: Vec<Option<String>>,
    pub media: Vec<MediaFacts>,
    /// Hosts of the links in the text (lowercase).
    pub link_hosts: Vec<String>,
    pub visibility: Option<Visibility>,
    pub author: AuthorFacts,
    pub now: NaiveDateTime,
}

/// One rule that matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    pub rule_id: i64,
    pub rule: String,
    pub action: Action,
    pub explain: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    pub dry_run: bool,
    /// The rule set's version that matched.
    pub version: i64,
}

/// Which rules matched, and so what happens. Dry-run matches are recorded and change
/// nothing. Several rules can match: a `reject` beats a `hold`, which beats publishing; the
/// changes of every other matching rule (department-only, no media, a content warning,
/// sensitive) apply together.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Verdict {
    pub matches: Vec<Match>,
    /// What was judged and which way it went (inbound; else outbound when it would leave;
    /// else local), for the record.
    #[serde(skip)]
    pub subject: Subject,
    #[serde(skip)]
    pub direction: Direction,
}

impl Verdict {
    /// The matches that act (not dry runs).
    pub fn acting(&self) -> impl Iterator<Item = &Match> {
        self.matches.iter().filter(|m| !m.dry_run)
    }

    fn first(&self, action: Action) -> Option<&Match> {
        self.acting().find(|m| m.action == action)
    }

    /// The rule that refuses it, if one does.
    pub fn rejected_by(&self) -> Option<&Match> {
        self.first(Action::Reject)
    }

    /// The rule that holds it for review, if one does (and none refuses it).
    pub fn held_by(&self) -> Option<&Match> {
        self.rejected_by()
            .is_none()
            .then(|| self.first(Action::Hold))
            .flatten()
    }

    pub fn department_only(&self) -> bool {
        self.department_only_by().is_some()
    }

    /// The rule that keeps it in the department, if one does.
    pub fn department_only_by(&self) -> Option<&Match> {
        self.first(Action::DepartmentOnly)
    }

    pub fn strip_media(&self) -> bool {
        self.first(Action::StripMedia).is_some()
    }

    /// The content warning the rules add (the first matching rule's).
    pub fn content_warning(&self) -> Option<&str> {
        self.first(Action::ContentWarning)
            .and_then(|m| m.warning.as_deref())
    }

    pub fn sensitive(&self) -> bool {
        self.first(Action::Sensitive).is_some() || self.content_warning().is_some()
    }

    /// The strictest action that acts, for the record.
    pub fn strictest(&self) -> Option<Action> {
        self.acting().map(|m| m.action).min()
    }

    /// The refusal an employee is told: the rule, and its explanation; `422` with the
    /// matching rules in `policy`.
    pub fn refusal(&self, m: &Match) -> crate::error::Error {
        self.refusal_because(m, "")
    }

    /// A refusal with what else the author needs to know.
    pub fn refusal_because(&self, m: &Match, more: &str) -> crate::error::Error {
        let mut message = format!("This post breaks the rule \"{}\"", m.rule);
        if !m.explain.trim().is_empty() {
            message.push_str(": ");
            message.push_str(m.explain.trim());
        }
        if !more.is_empty() {
            if !message.ends_with('.') {
                message.push('.');
            }
            message.push(' ');
            message.push_str(more);
        }
        let rules: Vec<serde_json::Value> = self
            .acting()
            .map(|m| {
                serde_json::json!({
                    "rule": m.rule,
                    "action": m.action,
                    "explain": m.explain,
                })
            })
            .collect();
        crate::error::Error::unprocessable(message).with_detail("policy", rules)
    }
}

impl RuleSet {
    /// The rules `facts` match, in rule order. No database, no allocation per rule beyond
    /// the matches: the text is searched once for every rule's patterns.
    pub fn judge(&self, facts: &Facts) -> Verdict {
        let mut verdict = Verdict {
            matches: Vec::new(),
            subject: facts.subject,
            direction: facts
                .directions
                .iter()
                .next_back()
                .copied()
                .unwrap_or_default(),
        };
        if self.rules.is_empty() {
            return verdict;
        }
        let hits = if self.text.is_empty() {
            Vec::new()
        } else {
            let mut hits = vec![false; self.text.len()];
            for text in [&facts.text, &facts.spoiler_text] {
                if !text.is_empty() {
                    for i in self.text.matches(text).iter() {
                        hits[i] = true;
                    }
                }
            }
            hits
        };
        verdict.matches = self
            .rules
            .iter()
            .filter(|r| r.rule.enabled && r.directions.iter().any(|d| facts.directions.contains(d)))
            .filter(|r| holds(&r.condition, facts, &hits))
            .map(|r| to_match(r, self.version))
            .collect();
        verdict
    }
}

fn to_match(r: &CompiledRule, version: i64) -> Match {
    Match {
        rule_id: r.id,
        rule: r.rule.name.clone(),
        action: r.rule.action,
        explain: r.rule.explain.clone(),
        warning: r.rule.warning.clone(),
        dry_run: r.rule.dry_run,
        version,
    }
}

/// Whether `host` is `domain` or one of its subdomains.
fn within(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

fn holds(c: &Compiled, f: &Facts, hits: &[bool]) -> bool {
    match c {
        Compiled::All(parts) => parts.iter().all(|p| holds(p, f, hits)),
        Compiled::Any(parts) => parts.iter().any(|p| holds(p, f, hits)),
        Compiled::Not(inner) => !holds(inner, f, hits),
        Compiled::Text(patterns) => patterns
            .iter()
            .any(|&i| hits.get(i).copied().unwrap_or(false)),
        Compiled::Hashtag(tags) => f.hashtags.iter().any(|t| tags.contains(t)),
        Compiled::MentionsOver(n) => f.mentions.len() > *n as usize,
        // Mentions of this department's own accounts are `None`, never counted.
        Compiled::MentionsDepartment(domains) => f
            .mentions
            .iter()
            .flatten()
            .any(|d| domains.as_ref().is_none_or(|set| set.contains(d))),
        Compiled::HasMedia(has) => f.media.is_empty() != *has,
        Compiled::MediaType(patterns) => f
            .media
            .iter()
            .any(|m| patterns.iter().any(|p| p.matches(&m.kind, &m.content_type))),
        Compiled::MediaBytesOver(n) => f.media.iter().any(|m| m.bytes > *n),
        Compiled::LinkDomain(domains) => f
            .link_hosts
            .iter()
            .any(|h| domains.iter().any(|d| within(h, d))),
        Compiled::Visibility(list) => f.visibility.is_some_and(|v| list.contains(&v)),
        Compiled::AuthorRole(roles) => f.author.role.is_some_and(|r| roles.contains(&r)),
        Compiled::AuthorDepartment(departments) => f
            .author
            .department
            .as_ref()
            .is_some_and(|d| departments.contains(&d.trim().to_lowercase())),
        Compiled::AccountAgeDaysUnder(days) => {
            (f.now - f.author.created_at) < chrono::Duration::days(i64::from(*days))
        }
        Compiled::OriginDomain(domains) => domains.contains(&f.author.domain),
        Compiled::Direction(directions) => directions.iter().any(|d| f.directions.contains(d)),
    }
}

//! Mastodon OAuth scopes: `read`, `write`, `follow`, `push`, `profile`, `admin:read`,
//! `admin:write` and their granular forms (`read:statuses`, `admin:write:accounts`, …).
//! <https://docs.joinmastodon.org/api/oauth-scopes/>

use std::collections::BTreeSet;
use std::fmt;

/// Every scope Groundswell knows, in the order they are listed to clients.
pub const KNOWN_SCOPES: &[&str] = &[
    "read",
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
    "write",
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
    "follow",
    "push",
    "profile",
    "admin:read",
    "admin:read:accounts",
    "admin:read:reports",
    "admin:read:domain_allows",
    "admin:read:domain_blocks",
    "admin:read:ip_blocks",
    "admin:read:email_domain_blocks",
    "admin:read:canonical_email_blocks",
    // Groundswell's: the policy rules (moderators may read them, admins change them).
    "admin:read:policy",
    "admin:write",
    "admin:write:accounts",
    "admin:write:reports",
    "admin:write:domain_allows",
    "admin:write:domain_blocks",
    "admin:write:ip_blocks",
    "admin:write:email_domain_blocks",
    "admin:write:canonical_email_blocks",
    "admin:write:policy",
];

/// What the legacy `follow` scope stands for.
const FOLLOW_IMPLIES: &[&str] = &[
    "read:blocks",
    "write:blocks",
    "read:follows",
    "write:follows",
    "read:mutes",
    "write:mutes",
];

/// A set of granted scopes, parsed from the space-separated OAuth form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parse a space- (or `+`-) separated list; unknown scopes are refused.
    pub fn parse(input: &str) -> Result<Scopes, String> {
        let mut set = BTreeSet::new();
        for scope in input.split(|c: char| c.is_whitespace() || c == '+') {
            if scope.is_empty() {
                continue;
            }
            if !KNOWN_SCOPES.contains(&scope) {
                return Err(format!("unknown scope `{scope}`"));
            }
            set.insert(scope.to_string());
        }
        if set.is_empty() {
            return Err("no scope given".into());
        }
        Ok(Scopes(set))
    }

    /// Whether these scopes allow an action that requires `required` (e.g. `read:statuses`).
    pub fn allows(&self, required: &str) -> bool {
        self.0.iter().any(|granted| {
            granted == required
                || required
                    .strip_prefix(granted.as_str())
                    .is_some_and(|rest| rest.starts_with(':'))
                || (granted == "follow" && FOLLOW_IMPLIES.contains(&required))
        })
    }

    /// Whether every scope in `other` is also in `self` (a client may not get more scopes than
    /// it registered for).
    pub fn contains_all(&self, other: &Scopes) -> bool {
        other.0.iter().all(|s| self.allows(s))
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for Scopes {
    /// The space-separated form, in the order of [`KNOWN_SCOPES`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ordered: Vec<&str> = KNOWN_SCOPES
            .iter()
            .copied()
            .filter(|s| self.0.contains(*s))
            .collect();
        f.write_str(&ordered.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broad_scopes_grant_their_granular_forms() {
        let scopes = Scopes::parse("read write:statuses").unwrap();
        assert!(scopes.allows("read:notifications"));
        assert!(scopes.allows("write:statuses"));
        assert!(!scopes.allows("write:media"));
        assert!(!scopes.allows("write"));
        let admin = Scopes::parse("admin:read").unwrap();
        assert!(admin.allows("admin:read:accounts"));
        assert!(!admin.allows("read:accounts"));
        assert!(!Scopes::parse("read").unwrap().allows("admin:read"));
    }

    #[test]
    fn legacy_follow_scope_covers_relationships() {
        let scopes = Scopes::parse("follow").unwrap();
        assert!(scopes.allows("write:follows"));
        assert!(scopes.allows("read:mutes"));
        assert!(!scopes.allows("write:statuses"));
    }

    #[test]
    fn unknown_and_empty_scopes_are_refused() {
        assert!(Scopes::parse("read sudo").is_err());
        assert!(Scopes::parse("  ").is_err());
        assert_eq!(
            Scopes::parse("write read+follow").unwrap().to_string(),
            "read write follow"
        );
    }
}

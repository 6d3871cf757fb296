//! Policy rules as an admin writes them: the rule file (TOML, or the same shape in JSON), its
//! checks, and the compiled form the engine matches with.
//!
//! ```toml
//! [[rule]]
//! name = "Confidential stays in the department"
//! when = { hashtag = ["confidential"] }
//! action = "department_only"
//! ```
//!
//! Everything an admin can get wrong is refused when the rules are saved, naming the rule and
//! the key, so a rule that was accepted always compiles: unknown keys, empty lists, regexes
//! that do not compile or are too large, a `content_warning` without its `warning`, two rules
//! of one name.

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};
use crate::service::users::Role;
use crate::service::visibility::Visibility;

/// Most rules in one rule set.
pub const MAX_RULES: usize = 1000;
/// Longest rule name, explanation and content warning, in characters.
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_EXPLAIN_CHARS: usize = 1000;
pub const MAX_WARNING_CHARS: usize = 500;
/// Longest regex, in characters, and the most memory one may compile to.
pub const MAX_REGEX_CHARS: usize = 1000;
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// How deeply `all`, `any` and `not` may nest.
pub const MAX_DEPTH: usize = 8;
/// Most entries in one condition's list.
pub const MAX_LIST: usize = 500;

/// Which way what the rule looks at is going.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// An employee's post or edit, here.
    #[default]
    Local,
    /// What another department sends: posts, edits, boosts, likes, follows.
    Inbound,
    /// An employee's post, edit or boost that would leave the department.
    Outbound,
}

impl Direction {
    pub const ALL: [Direction; 3] = [Direction::Local, Direction::Inbound, Direction::Outbound];

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Local => "local",
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule does when it matches. Listed from the strictest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Refuse it: the author is told why (422); from another department it is not stored.
    Reject,
    /// Store it unpublished until a moderator approves it.
    Hold,
    /// It stays in the department: public and unlisted posts become department-only, others
    /// are kept from leaving.
    DepartmentOnly,
    /// Publish it without its attachments.
    StripMedia,
    /// Put it behind a content warning (the rule's `warning`, unless the author wrote one).
    ContentWarning,
    /// Mark its media sensitive.
    Sensitive,
    /// Let it through, and tell the moderators.
    Flag,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Reject,
        Action::Hold,
        Action::DepartmentOnly,
        Action::StripMedia,
        Action::ContentWarning,
        Action::Sensitive,
        Action::Flag,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Reject => "reject",
            Action::Hold => "hold",
            Action::DepartmentOnly => "department_only",
            Action::StripMedia => "strip_media",
            Action::ContentWarning => "content_warning",
            Action::Sensitive => "sensitive",
            Action::Flag => "flag",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A list that may be written as one value: `hashtag = "confidential"` or `["a", "b"]`.
fn one_or_many<'de, D, T>(d: D) -> std::result::Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        One(T),
        Many(Vec<T>),
    }
    Ok(Some(match OneOrMany::<T>::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    }))
}

/// Conditions, as written in a `when` table. Every key given must hold (they are ANDed);
/// `all`, `any` and `not` combine tables. An empty table matches everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Words or phrases in the text or content warning: case-insensitive (Unicode case
    /// folding), whole words, any run of spaces matching any other.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub keyword: Option<Vec<String>>,
    /// Regular expressions (Rust `regex` syntax) searched in the text or content warning.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub regex: Option<Vec<String>>,
    /// Hashtags (without `#`, any case).
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub hashtag: Option<Vec<String>>,
    /// More than this many accounts mentioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions_over: Option<u32>,
    /// Mentions an account of one of these departments (domains; `"*"`: any other one).
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub mentions_department: Option<Vec<String>>,
    /// Has (true) or has no (false) attachments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_media: Option<bool>,
    /// An attachment of one of these kinds (`image`, `gifv`, `video`, `audio`, `unknown`)
    /// or media types (`image/png`, `video/*`).
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub media_type: Option<Vec<String>>,
    /// An attachment larger than this many bytes (known for uploads here only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_bytes_over: Option<u64>,
    /// Links to these domains or their subdomains.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub link_domain: Option<Vec<String>>,
    /// Visibility: `public`, `unlisted`, `private`, `direct`, `department_only`.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub visibility: Option<Vec<String>>,
    /// The author's role here: `employee`, `moderator`, `admin` (authors of other
    /// departments have none).
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub author_role: Option<Vec<String>>,
    /// The author's department as the identity provider names it (employees here only).
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub author_department: Option<Vec<String>>,
    /// The author's account is younger than this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_age_days_under: Option<u32>,
    /// Written in one of these departments (domains; this department's own domain for
    /// employees here).
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub origin_domain: Option<Vec<String>>,
    /// Going this way (also a rule-level key).
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub direction: Option<Vec<Direction>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<Condition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<Condition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<Condition>>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_true(b: &bool) -> bool {
    *b
}

fn yes() -> bool {
    true
}

/// One rule, as written in the rule file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    /// Which ways it looks at; all three when not given.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub direction: Option<Vec<Direction>>,
    pub when: Condition,
    pub action: Action,
    /// What the author (and the moderators) are told.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub explain: String,
    /// The content warning of a `content_warning` rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// Count what it would do, and do nothing.
    #[serde(default, skip_serializing_if = "is_false")]
    pub dry_run: bool,
    /// A disabled rule is kept (and exported) but never evaluated.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
}

impl Rule {
    /// The ways this rule looks at.
    pub fn directions(&self) -> BTreeSet<Direction> {
        match &self.direction {
            Some(d) => d.iter().copied().collect(),
            None => Direction::ALL.into_iter().collect(),
        }
    }
}

/// A rule as stored: the rule and the id that follows it from version to version (its hit
/// counts and matches are kept by id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRule {
    pub id: i64,
    #[serde(flatten)]
    pub rule: Rule,
}

/// The rule file: `[[rule]]` tables (TOML) or `{"rule": [...]}` (JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    pub rule: Vec<Rule>,
}

/// The format of a rule file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

impl Format {
    /// By a file name's extension (`.json`, otherwise TOML).
    pub fn of_path(path: &std::path::Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Toml,
        }
    }
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "toml" => Ok(Format::Toml),
            "json" => Ok(Format::Json),
            other => Err(Error::unprocessable(format!(
                "`{other}` is not a rule file format: use toml or json"
            ))),
        }
    }
}

/// Name the rule an error is about: its position and name.
fn about(index: usize, name: Option<&str>) -> String {
    match name {
        Some(name) if !name.trim().is_empty() => {
            format!("rule {} (\"{}\")", index + 1, name.trim())
        }
        _ => format!("rule {}", index + 1),
    }
}

/// Read a rule file. Each rule is read on its own so an error names the rule and the key;
/// the rules are then checked as a set ([`check_rules`]).
pub fn parse_file(text: &str, format: Format) -> Result<Vec<Rule>> {
    let unreadable =
        |e: &dyn fmt::Display| Error::unprocessable(format!("The rule file cannot be read: {e}"));
    let raw: Vec<serde_json::Value> = match format {
        Format::Toml => {
            let table: toml::Table = text.parse().map_err(|e| unreadable(&e))?;
            raw_rules(
                serde_json::to_value(table).map_err(|e| unreadable(&e))?,
                "[[rule]] tables",
            )?
        }
        Format::Json => raw_rules(
            serde_json::from_str(text).map_err(|e| unreadable(&e))?,
            "a \"rule\" array",
        )?,
    };
    let mut rules = Vec::with_capacity(raw.len());
    for (i, value) in raw.into_iter().enumerate() {
        let name = value
            .get("name")
            .and_then(|n| n.as_str())
            .map(str::to_string);
        let rule: Rule = serde_json::from_value(value)
            .map_err(|e| Error::unprocessable(format!("{}: {e}", about(i, name.as_deref()))))?;
        rules.push(rule);
    }
    check_rules(&rules)?;
    Ok(rules)
}

fn raw_rules(file: serde_json::Value, expected: &str) -> Result<Vec<serde_json::Value>> {
    let serde_json::Value::Object(mut top) = file else {
        return Err(Error::unprocessable(format!(
            "The rule file must hold {expected}"
        )));
    };
    if let Some(key) = top.keys().find(|k| k.as_str() != "rule") {
        return Err(Error::unprocessable(format!(
            "The rule file has an unknown key `{key}`: it holds {expected} only"
        )));
    }
    match top.remove("rule") {
        None => Ok(Vec::new()),
        Some(serde_json::Value::Array(rules)) => Ok(rules),
        Some(_) => Err(Error::unprocessable(format!(
            "The rule file must hold {expected}"
        ))),
    }
}

/// Write rules as a rule file.
pub fn write_file(rules: &[Rule], format: Format) -> Result<String> {
    let file = RuleFile {
        rule: rules.to_vec(),
    };
    match format {
        Format::Toml => toml::to_string(&file).map_err(Error::internal),
        Format::Json => serde_json::to_string_pretty(&file).map_err(Error::internal),
    }
}

/// Check one rule set: every rule on its own, names unique, not too many.
pub fn check_rules(rules: &[Rule]) -> Result<()> {
    if rules.len() > MAX_RULES {
        return Err(Error::unprocessable(format!(
            "A rule set holds at most {MAX_RULES} rules"
        )));
    }
    let mut names = HashSet::new();
    for (i, rule) in rules.iter().enumerate() {
        check_rule(rule).map_err(|e| {
            Error::unprocessable(format!("{}: {}", about(i, Some(&rule.name)), e.message()))
        })?;
        if !names.insert(rule.name.trim().to_lowercase()) {
            return Err(Error::unprocessable(format!(
                "{}: another rule has the same name",
                about(i, Some(&rule.name))
            )));
        }
    }
    Ok(())
}

/// Check one rule (its compiled form is made the same way, so an accepted rule compiles).
pub fn check_rule(rule: &Rule) -> Result<()> {
    let name = rule.name.trim();
    if name.is_empty() {
        return Err(Error::unprocessable("`name` must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::unprocessable(format!(
            "`name` is longer than {MAX_NAME_CHARS} characters"
        )));
    }
    if rule.explain.chars().count() > MAX_EXPLAIN_CHARS {
        return Err(Error::unprocessable(format!(
            "`explain` is longer than {MAX_EXPLAIN_CHARS} characters"
        )));
    }
    if rule.direction.as_ref().is_some_and(|d| d.is_empty()) {
        return Err(Error::unprocessable(
            "`direction` must name at least one of local, inbound, outbound",
        ));
    }
    match (&rule.action, &rule.warning) {
        (Action::ContentWarning, None) => {
            return Err(Error::unprocessable(
                "a `content_warning` rule needs `warning = \"…\"`, the warning it adds",
            ));
        }
        (Action::ContentWarning, Some(w)) if w.trim().is_empty() => {
            return Err(Error::unprocessable("`warning` must not be empty"));
        }
        (Action::ContentWarning, Some(w)) if w.chars().count() > MAX_WARNING_CHARS => {
            return Err(Error::unprocessable(format!(
                "`warning` is longer than {MAX_WARNING_CHARS} characters"
            )));
        }
        (Action::ContentWarning, Some(_)) => {}
        (_, Some(_)) => {
            return Err(Error::unprocessable(
                "`warning` belongs to `content_warning` rules only",
            ));
        }
        (_, None) => {}
    }
    let mut patterns = Vec::new();
    compile_condition(&rule.when, 0, &mut patterns)?;
    Ok(())
}

/// A media kind or type pattern: `image`, `image/png`, `video/*`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MediaPattern {
    Kind(String),
    Type(String),
    TypePrefix(String),
}

impl MediaPattern {
    fn parse(s: &str) -> Result<MediaPattern> {
        let s = s.trim().to_ascii_lowercase();
        const KINDS: [&str; 5] = ["image", "gifv", "video", "audio", "unknown"];
        if KINDS.contains(&s.as_str()) {
            return Ok(MediaPattern::Kind(s));
        }
        match s.split_once('/') {
            Some((top, "*")) if !top.is_empty() => Ok(MediaPattern::TypePrefix(format!("{top}/"))),
            Some((top, sub)) if !top.is_empty() && !sub.is_empty() && !sub.contains('/') => {
                Ok(MediaPattern::Type(s))
            }
            _ => Err(Error::unprocessable(format!(
                "`media_type`: `{s}` is neither a kind (image, gifv, video, audio, unknown) nor a \
                 media type such as image/png or video/*"
            ))),
        }
    }

    pub(crate) fn matches(&self, kind: &str, content_type: &str) -> bool {
        match self {
            MediaPattern::Kind(k) => k == kind,
            MediaPattern::Type(t) => t.eq_ignore_ascii_case(content_type),
            MediaPattern::TypePrefix(p) => content_type.to_ascii_lowercase().starts_with(p),
        }
    }
}

/// A condition ready to match: lists normalised, text patterns numbered in the rule set's
/// one [`RegexSet`].
#[derive(Debug, Clone)]
pub(crate) enum Compiled {
    All(Vec<Compiled>),
    Any(Vec<Compiled>),
    Not(Box<Compiled>),
    /// One of these patterns (indexes into the rule set's text patterns) is found.
    Text(Vec<usize>),
    Hashtag(HashSet<String>),
    MentionsOver(u32),
    /// Mentions an account of one of these domains; `None`: of any other department.
    MentionsDepartment(Option<HashSet<String>>),
    HasMedia(bool),
    MediaType(Vec<MediaPattern>),
    MediaBytesOver(u64),
    LinkDomain(Vec<String>),
    Visibility(Vec<Visibility>),
    /// `None` stands for authors of other departments (no role here).
    AuthorRole(Vec<Role>),
    AuthorDepartment(HashSet<String>),
    AccountAgeDaysUnder(u32),
    OriginDomain(HashSet<String>),
    Direction(BTreeSet<Direction>),
}

fn nonempty<'a>(key: &str, list: &'a Option<Vec<String>>) -> Result<Option<&'a [String]>> {
    match list {
        None => Ok(None),
        Some(l) if l.is_empty() => Err(Error::unprocessable(format!(
            "`{key}` must list at least one entry"
        ))),
        Some(l) if l.len() > MAX_LIST => Err(Error::unprocessable(format!(
            "`{key}` lists more than {MAX_LIST} entries"
        ))),
        Some(l) if l.iter().any(|e| e.trim().is_empty()) => {
            Err(Error::unprocessable(format!("`{key}` has an empty entry")))
        }
        Some(l) => Ok(Some(l)),
    }
}

/// `host` or `host:port`, lowercase, without a trailing dot.
fn domain_of(key: &str, s: &str) -> Result<String> {
    let d = s.trim().trim_end_matches('.').to_ascii_lowercase();
    let d = d.strip_prefix("*.").unwrap_or(&d).to_string();
    let valid = !d.is_empty()
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
        && !d.starts_with('.')
        && !d.starts_with('-');
    if valid {
        Ok(d)
    } else {
        Err(Error::unprocessable(format!(
            "`{key}`: `{}` is not a domain",
            s.trim()
        )))
    }
}

/// The pattern a keyword or phrase becomes: whole words, case-insensitive, any whitespace
/// between its words.
pub(crate) fn keyword_pattern(keyword: &str) -> String {
    let words: Vec<String> = keyword.split_whitespace().map(regex::escape).collect();
    let body = words.join(r"\s+");
    let trimmed = keyword.trim();
    let word_char = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let start = if word_char(trimmed.chars().next()) {
        r"\b"
    } else {
        ""
    };
    let end = if word_char(trimmed.chars().last()) {
        r"\b"
    } else {
        ""
    };
    format!("(?i:{start}{body}{end})")
}

fn compile_regex(pattern: &str) -> Result<Regex> {
    if pattern.chars().count() > MAX_REGEX_CHARS {
        return Err(Error::unprocessable(format!(
            "`regex` is longer than {MAX_REGEX_CHARS} characters"
        )));
    }
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => Error::unprocessable(format!(
                "`regex` `{pattern}` is too large once compiled (limit {REGEX_SIZE_LIMIT} bytes)"
            )),
            other => Error::unprocessable(format!("`regex` `{pattern}` is not valid: {other}")),
        })
}

/// Compile a condition, adding its text patterns to `patterns`.
pub(crate) fn compile_condition(
    c: &Condition,
    depth: usize,
    patterns: &mut Vec<String>,
) -> Result<Compiled> {
    if depth > MAX_DEPTH {
        return Err(Error::unprocessable(format!(
            "`all`, `any` and `not` nest at most {MAX_DEPTH} deep"
        )));
    }
    let mut parts = Vec::new();
    let mut text = Vec::new();
    if let Some(keywords) = nonempty("keyword", &c.keyword)? {
        for k in keywords {
            text.push(patterns.len());
            patterns.push(keyword_pattern(k));
        }
    }
    if let Some(regexes) = nonempty("regex", &c.regex)? {
        for r in regexes {
            compile_regex(r)?;
            text.push(patterns.len());
            patterns.push(r.clone());
        }
    }
    if !text.is_empty() {
        parts.push(Compiled::Text(text));
    }
    if let Some(tags) = nonempty("hashtag", &c.hashtag)? {
        parts.push(Compiled::Hashtag(
            tags.iter()
                .map(|t| t.trim().trim_start_matches('#').to_lowercase())
                .collect(),
        ));
    }
    if let Some(n) = c.mentions_over {
        parts.push(Compiled::MentionsOver(n));
    }
    if let Some(domains) = nonempty("mentions_department", &c.mentions_department)? {
        if domains.iter().any(|d| d.trim() == "*") {
            parts.push(Compiled::MentionsDepartment(None));
        } else {
            let set = domains
                .iter()
                .map(|d| domain_of("mentions_department", d))
                .collect::<Result<_>>()?;
            parts.push(Compiled::MentionsDepartment(Some(set)));
        }
    }
    if let Some(has) = c.has_media {
        parts.push(Compiled::HasMedia(has));
    }
    if let Some(types) = nonempty("media_type", &c.media_type)? {
        parts.push(Compiled::MediaType(
            types
                .iter()
                .map(|t| MediaPattern::parse(t))
                .collect::<Result<_>>()?,
        ));
    }
    if let Some(n) = c.media_bytes_over {
        parts.push(Compiled::MediaBytesOver(n));
    }
    if let Some(domains) = nonempty("link_domain", &c.link_domain)? {
        parts.push(Compiled::LinkDomain(
            domains
                .iter()
                .map(|d| domain_of("link_domain", d))
                .collect::<Result<_>>()?,
        ));
    }
    if let Some(names) = nonempty("visibility", &c.visibility)? {
        let mut list = Vec::new();
        for n in names {
            list.push(match n.trim().to_ascii_lowercase().as_str() {
                "department_only" | "local" => Visibility::Local,
                other => other.parse().map_err(|_| {
                    Error::unprocessable(format!(
                        "`visibility`: `{other}` is not one of public, unlisted, private, \
                         direct, department_only"
                    ))
                })?,
            });
        }
        parts.push(Compiled::Visibility(list));
    }
    if let Some(names) = nonempty("author_role", &c.author_role)? {
        let mut roles = Vec::new();
        for n in names {
            roles.push(match n.trim().to_ascii_lowercase().as_str() {
                "employee" | "user" => Role::User,
                "moderator" => Role::Moderator,
                "admin" => Role::Admin,
                other => {
                    return Err(Error::unprocessable(format!(
                        "`author_role`: `{other}` is not one of employee, moderator, admin"
                    )));
                }
            });
        }
        parts.push(Compiled::AuthorRole(roles));
    }
    if let Some(names) = nonempty("author_department", &c.author_department)? {
        parts.push(Compiled::AuthorDepartment(
            names.iter().map(|n| n.trim().to_lowercase()).collect(),
        ));
    }
    if let Some(days) = c.account_age_days_under {
        parts.push(Compiled::AccountAgeDaysUnder(days));
    }
    if let Some(domains) = nonempty("origin_domain", &c.origin_domain)? {
        parts.push(Compiled::OriginDomain(
            domains
                .iter()
                .map(|d| domain_of("origin_domain", d))
                .collect::<Result<_>>()?,
        ));
    }
    if let Some(directions) = &c.direction {
        if directions.is_empty() {
            return Err(Error::unprocessable(
                "`direction` must name at least one of local, inbound, outbound",
            ));
        }
        parts.push(Compiled::Direction(directions.iter().copied().collect()));
    }
    for (key, list) in [("all", &c.all), ("any", &c.any)] {
        if let Some(list) = list {
            if list.is_empty() {
                return Err(Error::unprocessable(format!(
                    "`{key}` must hold at least one condition"
                )));
            }
            let compiled = list
                .iter()
                .map(|c| compile_condition(c, depth + 1, patterns))
                .collect::<Result<Vec<_>>>()?;
            parts.push(if key == "all" {
                Compiled::All(compiled)
            } else {
                Compiled::Any(compiled)
            });
        }
    }
    if let Some(not) = &c.not {
        parts.push(Compiled::Not(Box::new(compile_condition(
            not,
            depth + 1,
            patterns,
        )?)));
    }
    Ok(match parts.len() {
        1 => parts.remove(0),
        _ => Compiled::All(parts),
    })
}

/// A rule ready to match.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub id: i64,
    pub rule: Rule,
    pub(crate) directions: BTreeSet<Direction>,
    pub(crate) condition: Compiled,
}

/// A version of the rule set, compiled once: every text pattern of every rule in one
/// [`RegexSet`], so a post's text is searched once whatever the number of rules.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// The version's number (0: no rules were ever saved).
    pub version: i64,
    pub rules: Vec<CompiledRule>,
    pub(crate) text: RegexSet,
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet {
            version: 0,
            rules: Vec::new(),
            text: RegexSet::empty(),
        }
    }
}

impl RuleSet {
    /// Compile a version's rules (disabled ones are kept for listing, not matched).
    pub fn compile(version: i64, stored: Vec<StoredRule>) -> Result<RuleSet> {
        let mut patterns = Vec::new();
        let mut rules = Vec::with_capacity(stored.len());
        for StoredRule { id, rule } in stored {
            let condition = compile_condition(&rule.when, 0, &mut patterns)?;
            rules.push(CompiledRule {
                id,
                directions: rule.directions(),
                rule,
                condition,
            });
        }
        let text = RegexSetBuilder::new(&patterns)
            .size_limit(REGEX_SIZE_LIMIT.saturating_mul(patterns.len().max(1)))
            .build()
            .map_err(|e| {
                Error::unprocessable(format!("The rules' patterns do not compile: {e}"))
            })?;
        Ok(RuleSet {
            version,
            rules,
            text,
        })
    }

    /// The rules as written (for export).
    pub fn written(&self) -> Vec<Rule> {
        self.rules.iter().map(|r| r.rule.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
[[rule]]
name = "Confidential stays in the department"
when = { hashtag = ["confidential"] }
action = "department_only"

[[rule]]
name = "Customer names are reviewed first"
when = { keyword = ["acme corp", "globex"] }
action = "hold"
explain = "Posts that name a customer are checked by a moderator before they appear."

[[rule]]
name = "No file-sharing links"
direction = ["local", "inbound"]
when = { link_domain = ["wetransfer.com"] }
action = "reject"
explain = "Share files through the company drive instead."

[[rule]]
name = "Count long mention lists"
when = { any = [ { mentions_over = 10 }, { regex = "(?i)\\bunsubscribe\\b" } ] }
action = "flag"
dry_run = true
"#;

    #[test]
    fn the_issue_example_reads_and_round_trips_in_both_formats() {
        let rules = parse_file(EXAMPLE, Format::Toml).expect("example reads");
        assert_eq!(rules.len(), 4);
        assert_eq!(rules[2].directions().len(), 2);
        assert!(rules[3].dry_run);
        for format in [Format::Toml, Format::Json] {
            let written = write_file(&rules, format).expect("writes");
            assert_eq!(parse_file(&written, format).expect("reads back"), rules);
        }
    }

    #[test]
    fn mistakes_name_the_rule_and_the_key() {
        let unknown = "[[rule]]\nname = \"Typo\"\nwehn = { keyword = \"x\" }\naction = \"flag\"\n";
        let e = parse_file(unknown, Format::Toml).unwrap_err();
        assert!(e.message().contains("rule 1 (\"Typo\")"), "{}", e.message());
        assert!(e.message().contains("wehn"), "{}", e.message());

        let bad_key =
            "[[rule]]\nname = \"Inner\"\nwhen = { keywords = \"x\" }\naction = \"flag\"\n";
        let e = parse_file(bad_key, Format::Toml).unwrap_err();
        assert!(e.message().contains("keywords"), "{}", e.message());

        let bad_regex =
            "[[rule]]\nname = \"Regex\"\nwhen = { regex = \"(unclosed\" }\naction = \"flag\"\n";
        let e = parse_file(bad_regex, Format::Toml).unwrap_err();
        assert!(e.message().contains("rule 1 (\"Regex\")") && e.message().contains("regex"));

        let huge = "[[rule]]\nname = \"Huge\"\nwhen = { regex = \"\\\\w{500}\\\\w{500}\" }\naction = \"flag\"\n";
        let e = parse_file(huge, Format::Toml).unwrap_err();
        assert!(e.message().contains("too large"), "{}", e.message());

        let no_warning = "[[rule]]\nname = \"CW\"\nwhen = { hashtag = \"nsfw\" }\naction = \"content_warning\"\n";
        assert!(
            parse_file(no_warning, Format::Toml)
                .unwrap_err()
                .message()
                .contains("warning")
        );

        let twice = "[[rule]]\nname = \"A\"\nwhen = {}\naction = \"flag\"\n[[rule]]\nname = \"a\"\nwhen = {}\naction = \"flag\"\n";
        assert!(
            parse_file(twice, Format::Toml)
                .unwrap_err()
                .message()
                .contains("same name")
        );

        let bad_action = "[[rule]]\nname = \"B\"\nwhen = {}\naction = \"delete\"\n";
        let e = parse_file(bad_action, Format::Toml).unwrap_err();
        assert!(e.message().contains("rule 1 (\"B\")") && e.message().contains("delete"));

        let empty_list = "[[rule]]\nname = \"E\"\nwhen = { hashtag = [] }\naction = \"flag\"\n";
        assert!(
            parse_file(empty_list, Format::Toml)
                .unwrap_err()
                .message()
                .contains("at least one")
        );

        let top = "[rules]\n";
        assert!(
            parse_file(top, Format::Toml)
                .unwrap_err()
                .message()
                .contains("unknown key `rules`")
        );
    }

    #[test]
    fn keywords_are_whole_words_any_case_any_spacing() {
        let re = Regex::new(&keyword_pattern("acme corp")).unwrap();
        assert!(re.is_match("Lunch with ACME   Corp today"));
        assert!(re.is_match("acme\ncorp"));
        assert!(!re.is_match("acmecorp"));
        assert!(!re.is_match("the acme corporation"));
        // Unicode simple case folding: the capital sharp s folds to ß.
        let re = Regex::new(&keyword_pattern("Straße")).unwrap();
        assert!(re.is_match("STRAẞE"));
        let re = Regex::new(&keyword_pattern("c++")).unwrap();
        assert!(re.is_match("we write C++ here"));
    }
}

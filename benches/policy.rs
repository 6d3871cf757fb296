//! The policy engine's cost per post: 200 rules of every kind matched against a post of
//! 500 characters, as `statuses::post` does before it stores one (no database: the facts are
//! gathered first, the rules then match in memory).
//!
//!     cargo bench --bench policy
//!
//! Prints the time to judge one post (median and p99 over batches) and to compile the rules
//! (once per change of the rule set, on each app node). The goal: well under 50 µs a post.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::Utc;
use groundswell::service::policy::rules::{Format, Rule, RuleSet, StoredRule, parse_file};
use groundswell::service::policy::{AuthorFacts, Direction, Facts, MediaFacts, Subject};
use groundswell::service::users::Role;
use groundswell::service::visibility::Visibility;

/// 200 rules: keywords and phrases, regexes, hashtags, links, mentions, media, authors and
/// combinations, the kinds a department writes.
fn rules() -> Vec<Rule> {
    let mut file = String::new();
    for i in 0..200 {
        let when = match i % 10 {
            0 => {
                format!(r#"{{ keyword = ["customer{i}", "acme corp {i}", "project falcon {i}"] }}"#)
            }
            1 => format!(r#"{{ regex = "(?i)\\bticket-{i}[0-9]+\\b" }}"#),
            2 => format!(r#"{{ hashtag = ["tag{i}", "confidential{i}"] }}"#),
            3 => format!(r#"{{ link_domain = ["files{i}.example", "share{i}.example"] }}"#),
            4 => format!(r#"{{ mentions_over = {} }}"#, 10 + i),
            5 => format!(
                r#"{{ all = [ {{ has_media = true }}, {{ media_type = "video/*" }}, {{ keyword = "clip{i}" }} ] }}"#
            ),
            6 => format!(
                r#"{{ any = [ {{ author_department = "dept{i}" }}, {{ account_age_days_under = 1 }} ] }}"#
            ),
            7 => format!(
                r#"{{ all = [ {{ visibility = "public" }}, {{ not = {{ author_role = "admin" }} }}, {{ keyword = "salary band {i}" }} ] }}"#
            ),
            8 => format!(r#"{{ mentions_department = ["dept{i}.corp.example"] }}"#),
            _ => format!(r#"{{ origin_domain = ["peer{i}.corp.example"] }}"#),
        };
        let action = ["reject", "hold", "department_only", "flag", "sensitive"][i % 5];
        file.push_str(&format!(
            "[[rule]]\nname = \"Rule {i}\"\nwhen = {when}\naction = \"{action}\"\n\n"
        ));
    }
    parse_file(&file, Format::Toml).expect("the benchmark's rules are valid")
}

/// A typical post: 500 characters, two hashtags, two links, three mentions, one image.
fn facts() -> Facts {
    let text = "Quick update from the platform team: the migration of the billing service \
        finished last night and the dashboards look healthy. Thanks to everyone who stayed \
        late. Next week we start on the search cluster; the plan is in the wiki at \
        https://wiki.corp.example/platform/search and the runbook at \
        https://docs.corp.example/runbooks/search. If you depend on the old endpoints, talk \
        to us before Friday. @alice @bob @carol please review the rollback steps. \
        #platform #migration"
        .to_string();
    Facts {
        subject: Subject::Post,
        directions: BTreeSet::from([Direction::Local, Direction::Outbound]),
        text,
        spoiler_text: String::new(),
        hashtags: vec!["platform".into(), "migration".into()],
        mentions: vec![None, None, Some("sales.corp.example".into())],
        media: vec![MediaFacts {
            kind: "image".into(),
            content_type: "image/jpeg".into(),
            bytes: 180_000,
        }],
        link_hosts: vec!["docs.corp.example".into(), "wiki.corp.example".into()],
        visibility: Some(Visibility::Public),
        author: AuthorFacts {
            role: Some(Role::User),
            department: Some("Platform".into()),
            created_at: Utc::now().naive_utc() - chrono::Duration::days(400),
            domain: "eng.corp.example".into(),
        },
        now: Utc::now().naive_utc(),
    }
}

fn main() {
    let rules = rules();
    let stored: Vec<StoredRule> = rules
        .into_iter()
        .enumerate()
        .map(|(i, rule)| StoredRule { id: i as i64, rule })
        .collect();
    let started = Instant::now();
    let set = RuleSet::compile(1, stored).expect("compiles");
    let compile = started.elapsed();
    let facts = facts();
    // Warm up (the regex set's lazy DFA fills its cache on first use).
    for _ in 0..1000 {
        std::hint::black_box(set.judge(std::hint::black_box(&facts)));
    }
    const BATCH: u32 = 1000;
    let mut per_post: Vec<Duration> = (0..200)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..BATCH {
                std::hint::black_box(set.judge(std::hint::black_box(&facts)));
            }
            started.elapsed() / BATCH
        })
        .collect();
    per_post.sort();
    let median = per_post[per_post.len() / 2];
    let p99 = per_post[per_post.len() * 99 / 100];
    let verdict = set.judge(&facts);
    println!(
        "policy engine: {} rules, a post of {} characters",
        set.rules.len(),
        facts.text.chars().count()
    );
    println!(
        "  judge one post: median {:.1} µs, p99 {:.1} µs (goal: well under 50 µs)",
        median.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );
    println!(
        "  compile the rule set: {:.1} ms (once per change, on each app node)",
        compile.as_secs_f64() * 1e3
    );
    println!(
        "  rules matched by the sample post: {}",
        verdict.matches.len()
    );
}

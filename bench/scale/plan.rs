//! The department a seed holds, planned in memory before anything is written: who the
//! employees are, who follows whom, what they posted, boosted and favourited, and which
//! notifications that brought. Every counter the app keeps (followers, following, statuses,
//! replies, boosts, favourites) is counted here from the same rows that are written, so the
//! database is consistent by construction; the expected first pages of the benchmarked
//! endpoints are computed from the plan too, and the runner checks the server against them.
//!
//! Everything is drawn from one seeded random generator: the same parameters give the same
//! department (only the clock differs: the year of posts ends at the time of seeding).

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The domain seeds are made for; the server is started with it (`instance.domain`).
pub const DOMAIN: &str = "bench.groundswell.test";
/// `instance.domain` without a port is served over https: this is the base of every URL.
pub const BASE: &str = "https://bench.groundswell.test";

/// Accounts the benchmark signs in as. They are created through the library (real users,
/// real tokens); everyone else is bulk-inserted.
pub const ADMIN: usize = 0;
pub const READER: usize = 1;
pub const POSTER: usize = 2;
pub const SPECIAL: usize = 3;
pub const SPECIAL_NAMES: [&str; SPECIAL] = ["bench_admin", "bench_reader", "bench_poster"];

/// How many accounts the reader follows, and how many follow the poster.
pub const READER_FOLLOWS: usize = 300;
pub const POSTER_FOLLOWERS: usize = 1000;
/// Hashtags (by popularity rank) the reader follows; rank 0 is the hashtag benchmarked.
pub const READER_TAGS: [usize; 2] = [3, 10];

pub const DAY_MS: i64 = 24 * 3600 * 1000;
pub const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub accounts: usize,
    pub statuses: usize,
    pub rng_seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vis {
    Public,
    Unlisted,
    Private,
    Direct,
    /// Department-only.
    Local,
}

impl Vis {
    pub fn as_str(self) -> &'static str {
        match self {
            Vis::Public => "public",
            Vis::Unlisted => "unlisted",
            Vis::Private => "private",
            Vis::Direct => "direct",
            Vis::Local => "local",
        }
    }

    fn boostable(self) -> bool {
        matches!(self, Vis::Public | Vis::Unlisted | Vis::Local)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Mention,
    Reblog,
    Follow,
    Favourite,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Mention => "mention",
            Kind::Reblog => "reblog",
            Kind::Follow => "follow",
            Kind::Favourite => "favourite",
        }
    }
}

pub struct AccountPlan {
    pub username: String,
    pub display_name: String,
    pub created_ms: i64,
    /// Bulk accounts only; the special accounts get theirs from the library.
    pub id: i64,
    pub followers: u32,
    pub following: u32,
    pub statuses: u32,
    pub last_status_ms: Option<i64>,
}

pub struct FollowPlan {
    pub id: i64,
    pub ms: i64,
    pub follower: u32,
    pub target: u32,
}

pub struct StatusPlan {
    pub id: i64,
    pub ms: i64,
    pub author: u32,
    pub vis: Vis,
    /// Index of the status it answers, or NONE.
    pub reply_to: u32,
    /// Index of the status it boosts, or NONE.
    pub boost_of: u32,
    /// Index of the first status of its thread (itself for a new thread; NONE for boosts).
    pub root: u32,
    pub mentions: [u32; 2],
    pub n_mentions: u8,
    pub tags: [u16; 3],
    pub n_tags: u8,
    pub spoiler: bool,
    pub link: bool,
    pub replies: u32,
    pub reblogs: u32,
    pub favourites: u32,
}

impl StatusPlan {
    pub fn mentions(&self) -> &[u32] {
        &self.mentions[..self.n_mentions as usize]
    }
    pub fn tags(&self) -> &[u16] {
        &self.tags[..self.n_tags as usize]
    }
    pub fn is_boost(&self) -> bool {
        self.boost_of != NONE
    }
}

pub struct TagPlan {
    pub name: String,
    pub display: String,
    pub id: i64,
    /// When it was first used (the tag row is made then); None: never used.
    pub first_ms: Option<i64>,
}

pub struct FavouritePlan {
    pub id: i64,
    pub ms: i64,
    pub account: u32,
    pub status: u32,
}

pub struct NotificationPlan {
    pub id: i64,
    pub ms: i64,
    pub recipient: u32,
    pub from: u32,
    pub kind: Kind,
    pub status: u32,
}

pub struct MentionPlan {
    pub id: i64,
    pub status: u32,
    pub account: u32,
}

pub struct Plan {
    pub params: Params,
    pub now_ms: i64,
    pub accounts: Vec<AccountPlan>,
    pub follows: Vec<FollowPlan>,
    pub statuses: Vec<StatusPlan>,
    pub tags: Vec<TagPlan>,
    pub mentions: Vec<MentionPlan>,
    pub favourites: Vec<FavouritePlan>,
    pub notifications: Vec<NotificationPlan>,
    /// (account, tag) pairs.
    pub tag_follows: Vec<(u32, u16)>,
    /// The reader's followed accounts.
    pub reader_following: HashSet<u32>,
}

/// Ids in the app's scheme (`ids.rs`: milliseconds << 16 | sequence), strictly increasing in
/// the order they are handed out; callers hand them out in time order.
struct IdClock {
    last: i64,
}

impl IdClock {
    fn new() -> Self {
        IdClock { last: 0 }
    }
    fn at(&mut self, ms: i64) -> i64 {
        let id = (ms << 16).max(self.last + 1);
        self.last = id;
        id
    }
}

/// Weighted choice by binary search over cumulative weights.
struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    fn new(weights: &[f64]) -> Self {
        let mut total = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Weighted { cumulative }
    }
    fn sample(&self, rng: &mut StdRng) -> usize {
        let total = *self.cumulative.last().unwrap_or(&0.0);
        let x = rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|c| *c <= x)
            .min(self.cumulative.len() - 1)
    }
}

fn normal(rng: &mut StdRng) -> f64 {
    // Box–Muller.
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn lognormal(rng: &mut StdRng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

fn exponential(rng: &mut StdRng, mean: f64) -> f64 {
    -rng.random::<f64>().max(1e-12).ln() * mean
}

const FIRST: &[&str] = &[
    "anna", "ben", "carla", "david", "elena", "farid", "grace", "hugo", "ines", "jonas", "kim",
    "lena", "marco", "nora", "omar", "paula", "quentin", "rosa", "sam", "tara", "umar", "vera",
    "wei", "ximena", "yusuf", "zoe", "aisha", "bruno", "chen", "dora", "emil", "fatima", "gus",
    "hana", "ivan", "julia", "kofi", "lucia", "mia", "nils", "olga", "pedro", "rahul", "sofia",
    "tomas", "ursula", "viktor", "yara",
];
const LAST: &[&str] = &[
    "smith", "garcia", "mueller", "rossi", "dubois", "kowalski", "nguyen", "tanaka", "silva",
    "jensen", "novak", "popescu", "haddad", "okafor", "larsen", "moreau", "schmidt", "kim",
    "patel", "costa", "berg", "fischer", "lopez", "santos", "weber", "ivanova", "chen", "singh",
    "horvat", "meyer",
];
/// Words of office posts.
const WORDS: &[&str] = &[
    "the",
    "a",
    "we",
    "our",
    "team",
    "just",
    "shipped",
    "new",
    "release",
    "of",
    "the",
    "build",
    "pipeline",
    "today",
    "and",
    "it",
    "is",
    "faster",
    "than",
    "before",
    "thanks",
    "to",
    "everyone",
    "who",
    "helped",
    "with",
    "review",
    "meeting",
    "notes",
    "are",
    "in",
    "wiki",
    "please",
    "take",
    "a",
    "look",
    "before",
    "friday",
    "customer",
    "feedback",
    "on",
    "dashboard",
    "was",
    "great",
    "onboarding",
    "docs",
    "need",
    "love",
    "coffee",
    "machine",
    "broken",
    "again",
    "lunch",
    "talk",
    "about",
    "observability",
    "at",
    "noon",
    "in",
    "room",
    "4",
    "deploy",
    "window",
    "moved",
    "tuesday",
    "incident",
    "resolved",
    "postmortem",
    "follows",
    "hiring",
    "two",
    "engineers",
    "for",
    "platform",
    "if",
    "you",
    "know",
    "someone",
    "ping",
    "me",
    "quarterly",
    "planning",
    "starts",
    "next",
    "week",
    "roadmap",
    "draft",
    "open",
    "for",
    "comments",
    "who",
    "wants",
    "to",
    "pair",
    "on",
    "migration",
    "this",
    "afternoon",
    "tests",
    "green",
    "finally",
    "latency",
    "dropped",
    "by",
    "half",
    "after",
    "cache",
    "change",
];
/// Hashtags of a department; more are made from pairs of these.
const TAG_WORDS: &[&str] = &[
    "Engineering",
    "Release",
    "Standup",
    "Hiring",
    "Incident",
    "Platform",
    "Design",
    "Security",
    "Roadmap",
    "Offsite",
    "Lunch",
    "Onboarding",
    "Rust",
    "Postgres",
    "Kudos",
    "Docs",
    "Sales",
    "Support",
    "Metrics",
    "Planning",
    "Infra",
    "Mobile",
    "Web",
    "Data",
    "Ops",
    "QA",
    "Retro",
    "Demo",
    "Hackday",
    "Wellbeing",
];
const TAG_COUNT: usize = 2000;

/// The hashtag vocabulary, most popular first.
fn tag_vocabulary() -> Vec<String> {
    let mut out: Vec<String> = TAG_WORDS.iter().map(|s| s.to_string()).collect();
    'outer: for a in TAG_WORDS {
        for b in TAG_WORDS {
            if a != b {
                out.push(format!("{a}{b}"));
            }
            if out.len() >= TAG_COUNT - 100 {
                break 'outer;
            }
        }
    }
    let mut n = 2020;
    while out.len() < TAG_COUNT {
        out.push(format!("Project{n}"));
        n += 1;
    }
    out
}

/// Plan a department. `now_ms` is the end of its year of posts.
pub fn generate(params: Params, now_ms: i64) -> Plan {
    let n_accounts = params.accounts;
    assert!(
        n_accounts >= POSTER_FOLLOWERS + SPECIAL + 100,
        "at least {} accounts are needed (the poster has {POSTER_FOLLOWERS} followers)",
        POSTER_FOLLOWERS + SPECIAL + 100
    );
    let mut rng = StdRng::seed_from_u64(params.rng_seed);
    let year = 365 * DAY_MS;
    let posts_from = now_ms - year;

    // Accounts: created over the two years before the posts begin.
    let mut created: Vec<i64> = (0..n_accounts)
        .map(|_| posts_from - year - rng.random_range(0..year))
        .collect();
    created.sort_unstable();
    let mut ids = IdClock::new();
    let mut accounts = Vec::with_capacity(n_accounts);
    for (i, &created_ms) in created.iter().enumerate() {
        let (username, display_name) = if i < SPECIAL {
            let name = SPECIAL_NAMES[i];
            (name.to_string(), name.replace('_', " "))
        } else {
            let first = FIRST[rng.random_range(0..FIRST.len())];
            let last = LAST[rng.random_range(0..LAST.len())];
            (
                format!("{first}_{last}{i}"),
                format!(
                    "{}{} {}{}",
                    &first[..1].to_uppercase(),
                    &first[1..],
                    &last[..1].to_uppercase(),
                    &last[1..]
                ),
            )
        };
        accounts.push(AccountPlan {
            username,
            display_name,
            created_ms,
            id: ids.at(created_ms),
            followers: 0,
            following: 0,
            statuses: 0,
            last_status_ms: None,
        });
    }

    // Follows: a heavy-tailed graph. Popularity is Zipf-like over a random order of the bulk
    // accounts (a few are followed by thousands, most by tens); how many one follows is
    // log-normal (median 40).
    let mut order: Vec<usize> = (SPECIAL..n_accounts).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    let mut popularity = vec![0.0; n_accounts];
    for (rank, &a) in order.iter().enumerate() {
        popularity[a] = 1.0 / ((rank + 10) as f64).powf(0.9);
    }
    let popular = Weighted::new(&popularity);
    let mut followers_of: Vec<Vec<u32>> = vec![Vec::new(); n_accounts];
    let mut edges: Vec<(u32, u32)> = Vec::new();
    let mut add_follows =
        |follower: usize, targets: &HashSet<usize>, edges: &mut Vec<(u32, u32)>| {
            let mut targets: Vec<usize> = targets.iter().copied().collect();
            targets.sort_unstable();
            for t in targets {
                edges.push((follower as u32, t as u32));
                followers_of[t].push(follower as u32);
            }
        };
    let sample_popular = |rng: &mut StdRng, me: usize, d: usize, seed: HashSet<usize>| {
        let mut set = seed;
        while set.len() < d {
            let t = popular.sample(rng);
            if t != me {
                set.insert(t);
            }
        }
        set
    };
    for f in SPECIAL..n_accounts {
        let d = lognormal(&mut rng, 40.0, 0.9).clamp(3.0, 2000.0_f64.min((n_accounts / 3) as f64));
        let set = sample_popular(&mut rng, f, d as usize, HashSet::new());
        add_follows(f, &set, &mut edges);
    }
    // The reader follows the poster and 299 others, the admin 100, the poster 150.
    let reader_set = sample_popular(&mut rng, READER, READER_FOLLOWS, HashSet::from([POSTER]));
    let reader_following: HashSet<u32> = reader_set.iter().map(|&a| a as u32).collect();
    add_follows(READER, &reader_set, &mut edges);
    let admin_set = sample_popular(&mut rng, ADMIN, 100, HashSet::new());
    add_follows(ADMIN, &admin_set, &mut edges);
    let poster_set = sample_popular(&mut rng, POSTER, 150, HashSet::new());
    add_follows(POSTER, &poster_set, &mut edges);
    // Exactly POSTER_FOLLOWERS follow the poster (the reader among them); the reader and the
    // admin have ordinary audiences.
    let mut uniform_followers =
        |rng: &mut StdRng, target: usize, n: usize, edges: &mut Vec<(u32, u32)>| {
            let mut set: HashSet<usize> =
                followers_of[target].iter().map(|&a| a as usize).collect();
            let start = set.len();
            while set.len() < start + n {
                set.insert(rng.random_range(SPECIAL..n_accounts));
            }
            let mut new: Vec<usize> = set
                .into_iter()
                .filter(|a| !followers_of[target].contains(&(*a as u32)))
                .collect();
            new.sort_unstable();
            for f in new {
                edges.push((f as u32, target as u32));
                followers_of[target].push(f as u32);
            }
        };
    uniform_followers(&mut rng, POSTER, POSTER_FOLLOWERS - 1, &mut edges);
    uniform_followers(&mut rng, READER, 80, &mut edges);
    uniform_followers(&mut rng, ADMIN, 300, &mut edges);
    assert_eq!(followers_of[POSTER].len(), POSTER_FOLLOWERS);

    let mut follow_times: Vec<(i64, u32, u32)> = edges
        .iter()
        .map(|&(f, t)| {
            let after = accounts[f as usize]
                .created_ms
                .max(accounts[t as usize].created_ms);
            let ms = after + rng.random_range(0..(posts_from - after).max(1));
            (ms, f, t)
        })
        .collect();
    follow_times.sort_unstable();
    let mut notifications_raw: Vec<(i64, u32, u32, Kind, u32)> = Vec::new();
    let mut follows = Vec::with_capacity(follow_times.len());
    let mut ids = IdClock::new();
    for &(ms, f, t) in &follow_times {
        accounts[f as usize].following += 1;
        accounts[t as usize].followers += 1;
        follows.push(FollowPlan {
            id: ids.at(ms),
            ms,
            follower: f,
            target: t,
        });
        notifications_raw.push((ms, t, f, Kind::Follow, NONE));
    }

    // Posting activity: log-normal, so a few employees post a lot.
    let mut activity: Vec<f64> = (0..n_accounts)
        .map(|_| lognormal(&mut rng, 1.0, 1.3))
        .collect();
    activity[ADMIN] = 0.3;
    activity[READER] = 1.0;
    activity[POSTER] = 4.0;
    let authors = Weighted::new(&activity);
    let vocabulary = tag_vocabulary();
    let tag_weights: Vec<f64> = (0..vocabulary.len())
        .map(|r| 1.0 / (r + 1) as f64)
        .collect();
    let tag_pick = Weighted::new(&tag_weights);
    let mut tags: Vec<TagPlan> = vocabulary
        .iter()
        .map(|display| TagPlan {
            name: display.to_lowercase(),
            display: display.clone(),
            id: 0,
            first_ms: None,
        })
        .collect();

    let n = params.statuses;
    let span = (now_ms - 60_000 - posts_from).max(n as i64);
    let gap = (span / n.max(1) as i64).max(1);
    let mut statuses: Vec<StatusPlan> = Vec::with_capacity(n);
    let mut last_original_of: Vec<u32> = vec![NONE; n_accounts];
    let mut boosted: HashSet<u64> = HashSet::new();
    let mut favourites_raw: Vec<(i64, u32, u32)> = Vec::new();
    let mut mentions = Vec::new();
    let mut mention_ids = IdClock::new();
    let random_account = |rng: &mut StdRng, not: usize| loop {
        let a = rng.random_range(0..n_accounts);
        if a != not {
            return a as u32;
        }
    };
    for i in 0..n {
        let ms = posts_from + (i as i64) * span / n as i64 + rng.random_range(0..(gap / 2).max(1));
        let id = (ms << 16) | (i as i64 & 0xffff);
        let author = authors.sample(&mut rng);
        let mut s = StatusPlan {
            id,
            ms,
            author: author as u32,
            vis: Vis::Public,
            reply_to: NONE,
            boost_of: NONE,
            root: i as u32,
            mentions: [NONE; 2],
            n_mentions: 0,
            tags: [0; 3],
            n_tags: 0,
            spoiler: false,
            link: false,
            replies: 0,
            reblogs: 0,
            favourites: 0,
        };
        let roll: f64 = rng.random();
        let mut done = false;
        if roll < 0.08 && i > 100 {
            // A boost of a recent post others may see.
            for _ in 0..10 {
                let j = i - 1 - rng.random_range(0..i.min(5000));
                let o = &statuses[j];
                let key = ((j as u64) << 32) | author as u64;
                if !o.is_boost()
                    && o.vis.boostable()
                    && o.author as usize != author
                    && !boosted.contains(&key)
                {
                    boosted.insert(key);
                    s.boost_of = j as u32;
                    s.root = NONE;
                    s.vis = if o.vis == Vis::Local {
                        Vis::Local
                    } else {
                        Vis::Public
                    };
                    let original_author = o.author;
                    statuses[j].reblogs += 1;
                    notifications_raw.push((
                        ms,
                        original_author,
                        author as u32,
                        Kind::Reblog,
                        j as u32,
                    ));
                    done = true;
                    break;
                }
            }
        }
        if !done && roll < 0.28 && i > 100 {
            // A reply: to one's own last post (a thread) or to a recent post.
            let own = last_original_of[author];
            let parent = if rng.random::<f64>() < 0.15
                && own != NONE
                && statuses[own as usize].vis.boostable()
            {
                Some(own as usize)
            } else {
                (0..10).find_map(|_| {
                    let j = i - 1 - rng.random_range(0..i.min(3000));
                    let p = &statuses[j];
                    (!p.is_boost() && p.vis.boostable()).then_some(j)
                })
            };
            if let Some(j) = parent {
                let p = &statuses[j];
                let department_thread =
                    p.vis == Vis::Local || statuses[p.root as usize].vis == Vis::Local;
                s.reply_to = j as u32;
                s.root = p.root;
                s.vis = if department_thread {
                    Vis::Local
                } else {
                    match rng.random::<f64>() {
                        x if x < 0.75 => Vis::Public,
                        x if x < 0.95 => Vis::Unlisted,
                        _ => Vis::Private,
                    }
                };
                if p.author as usize != author {
                    s.mentions[0] = p.author;
                    s.n_mentions = 1;
                }
                statuses[j].replies += 1;
                done = true;
            }
        }
        if !done {
            s.vis = match rng.random::<f64>() {
                x if x < 0.72 => Vis::Public,
                x if x < 0.82 => Vis::Unlisted,
                x if x < 0.89 => Vis::Private,
                x if x < 0.99 => Vis::Local,
                _ => Vis::Direct,
            };
            let mention_roll: f64 = rng.random();
            if s.vis == Vis::Direct || mention_roll < 0.08 {
                let fs = &followers_of[author];
                let m = if !fs.is_empty() && rng.random::<f64>() < 0.7 {
                    fs[rng.random_range(0..fs.len())]
                } else {
                    random_account(&mut rng, author)
                };
                s.mentions[0] = m;
                s.n_mentions = 1;
            }
            s.spoiler = rng.random::<f64>() < 0.02;
        }
        if !s.is_boost() {
            if s.vis != Vis::Direct && rng.random::<f64>() < 0.25 {
                let want = match rng.random::<f64>() {
                    x if x < 0.6 => 1,
                    x if x < 0.9 => 2,
                    _ => 3,
                };
                while (s.n_tags as usize) < want {
                    let t = tag_pick.sample(&mut rng) as u16;
                    if !s.tags().contains(&t) {
                        s.tags[s.n_tags as usize] = t;
                        s.n_tags += 1;
                    }
                }
                for &t in s.tags() {
                    tags[t as usize].first_ms.get_or_insert(ms);
                }
            }
            s.link = rng.random::<f64>() < 0.1;
            for &m in s.mentions() {
                mentions.push(MentionPlan {
                    id: mention_ids.at(ms),
                    status: i as u32,
                    account: m,
                });
                notifications_raw.push((ms, m, author as u32, Kind::Mention, i as u32));
            }
            // Favourites: more for authors with a bigger audience; mostly from followers.
            if s.vis != Vis::Direct {
                let fs = &followers_of[author];
                let mean = 0.4 + fs.len() as f64 / 40.0;
                let mut k = exponential(&mut rng, mean) as usize;
                k = k.min(300);
                if s.vis == Vis::Private {
                    k = k.min(fs.len() / 2);
                }
                let mut by: HashSet<u32> = HashSet::new();
                while by.len() < k {
                    let a =
                        if s.vis == Vis::Private || (!fs.is_empty() && rng.random::<f64>() < 0.7) {
                            fs[rng.random_range(0..fs.len())]
                        } else {
                            random_account(&mut rng, author)
                        };
                    if a as usize != author {
                        by.insert(a);
                    }
                }
                let mut by: Vec<u32> = by.into_iter().collect();
                by.sort_unstable();
                for a in by {
                    let at = (ms + exponential(&mut rng, 3.0 * 3600.0 * 1000.0) as i64)
                        .min(now_ms - 1000);
                    favourites_raw.push((at, a, i as u32));
                    notifications_raw.push((at, author as u32, a, Kind::Favourite, i as u32));
                }
                s.favourites = k as u32;
            }
            last_original_of[author] = i as u32;
        }
        let a = &mut accounts[author];
        a.statuses += 1;
        a.last_status_ms = Some(ms);
        statuses.push(s);
    }
    // Notifications for oneself are never made (`notifications::notify`).
    notifications_raw.retain(|&(_, recipient, from, _, _)| recipient != from);

    let mut tag_ids = IdClock::new();
    let mut used: Vec<usize> = (0..tags.len())
        .filter(|&t| tags[t].first_ms.is_some())
        .collect();
    used.sort_by_key(|&t| tags[t].first_ms);
    for t in used {
        let ms = tags[t].first_ms.unwrap_or(posts_from);
        tags[t].id = tag_ids.at(ms);
    }
    let mut tag_follows = Vec::new();
    for rank in READER_TAGS {
        if tags[rank].first_ms.is_some() {
            tag_follows.push((READER as u32, rank as u16));
        }
    }

    favourites_raw.sort_unstable();
    let mut ids = IdClock::new();
    let favourites = favourites_raw
        .into_iter()
        .map(|(ms, account, status)| FavouritePlan {
            id: ids.at(ms),
            ms,
            account,
            status,
        })
        .collect();
    notifications_raw.sort_by_key(|n| n.0);
    let mut ids = IdClock::new();
    let notifications = notifications_raw
        .into_iter()
        .map(|(ms, recipient, from, kind, status)| NotificationPlan {
            id: ids.at(ms),
            ms,
            recipient,
            from,
            kind,
            status,
        })
        .collect();

    Plan {
        params,
        now_ms,
        accounts,
        follows,
        statuses,
        tags,
        mentions,
        favourites,
        notifications,
        tag_follows,
        reader_following,
    }
}

/// What one status says, as an employee would have typed it. Drawn from its own generator so
/// writing the statuses needs no more memory than the plan.
pub fn text_of(plan: &Plan, index: usize) -> String {
    let s = &plan.statuses[index];
    let mut rng = StdRng::seed_from_u64(plan.params.rng_seed ^ ((index as u64) << 20) ^ 0x5eed);
    let mut out = String::new();
    for &m in s.mentions() {
        out.push('@');
        out.push_str(&plan.accounts[m as usize].username);
        out.push(' ');
    }
    let words = lognormal(&mut rng, 18.0, 0.6).clamp(3.0, 70.0) as usize;
    for w in 0..words {
        let word = WORDS[rng.random_range(0..WORDS.len())];
        if w == 0 {
            out.push_str(&word[..1].to_uppercase());
            out.push_str(&word[1..]);
        } else {
            out.push(' ');
            out.push_str(word);
        }
        if w + 1 < words && rng.random::<f64>() < 0.08 {
            out.push(if rng.random::<f64>() < 0.5 { ',' } else { '.' });
        }
    }
    out.push(if rng.random::<f64>() < 0.2 { '!' } else { '.' });
    if s.link {
        out.push_str(&format!(
            " https://wiki.corp.example/pages/{}",
            rng.random_range(1000..99999)
        ));
    }
    for &t in s.tags() {
        out.push_str(" #");
        out.push_str(&plan.tags[t as usize].display);
    }
    out
}

// What the benchmarked endpoints must answer, computed from the plan.

impl Plan {
    fn visible_to_reader(&self, s: &StatusPlan) -> bool {
        let author = s.author as usize;
        match s.vis {
            Vis::Public | Vis::Unlisted | Vis::Local => true,
            _ if author == READER => true,
            Vis::Private if self.reader_following.contains(&s.author) => true,
            _ => s.mentions().contains(&(READER as u32)),
        }
    }

    fn newest(&self, limit: usize, keep: impl Fn(&StatusPlan) -> bool) -> Vec<i64> {
        self.statuses
            .iter()
            .rev()
            .filter(|s| keep(s))
            .take(limit)
            .map(|s| s.id)
            .collect()
    }

    /// The reader's home timeline: own posts, followed accounts' posts and boosts, mentions,
    /// and public posts with a followed hashtag.
    pub fn expected_home(&self, limit: usize) -> Vec<i64> {
        let followed_tags: Vec<u16> = self.tag_follows.iter().map(|&(_, t)| t).collect();
        self.newest(limit, |s| {
            let author = s.author as usize;
            let included = author == READER
                || self.reader_following.contains(&s.author)
                || s.mentions().contains(&(READER as u32))
                || (matches!(s.vis, Vis::Public | Vis::Local)
                    && !s.is_boost()
                    && s.tags().iter().any(|t| followed_tags.contains(t)));
            included && self.visible_to_reader(s)
        })
    }

    /// The department's timeline (`public?local=true`) for a signed-in employee.
    pub fn expected_department(&self, limit: usize) -> Vec<i64> {
        self.newest(limit, |s| {
            matches!(s.vis, Vis::Public | Vis::Local) && !s.is_boost()
        })
    }

    pub fn expected_tag(&self, tag: u16, limit: usize) -> Vec<i64> {
        self.newest(limit, |s| {
            matches!(s.vis, Vis::Public | Vis::Local) && !s.is_boost() && s.tags().contains(&tag)
        })
    }

    /// The poster's statuses as the reader (a follower) sees them.
    pub fn expected_account(&self, account: usize, limit: usize) -> Vec<i64> {
        self.newest(limit, |s| {
            s.author as usize == account && self.visible_to_reader(s)
        })
    }

    pub fn expected_notifications(&self, account: usize, limit: usize) -> Vec<i64> {
        self.notifications
            .iter()
            .rev()
            .filter(|n| n.recipient as usize == account)
            .take(limit)
            .map(|n| n.id)
            .collect()
    }

    /// A well-discussed public post of the last months: the single status benchmarked.
    pub fn popular_status(&self) -> usize {
        let from = self.statuses.len() * 8 / 10;
        (from..self.statuses.len())
            .filter(|&i| {
                let s = &self.statuses[i];
                s.vis == Vis::Public && !s.is_boost()
            })
            .max_by_key(|&i| {
                let s = &self.statuses[i];
                (s.favourites + s.replies + s.reblogs, i)
            })
            .unwrap_or(self.statuses.len().saturating_sub(1))
    }
}

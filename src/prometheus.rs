//! Prometheus metrics of this node, served as OpenMetrics text at `GET /metrics`.
//!
//! Counters and histograms live in [`Metrics`] (one per process, in the `AppContext`); what
//! the database knows (the delivery queue, policy matches) and the pools' state are read when
//! Prometheus scrapes ([`Figures`]) and encoded beside them.
//!
//! Privacy: every label value comes from a small fixed set or from the route table (a route's
//! template, never the path). No label ever carries a username, an account or status id or a
//! raw path; departments (domains) are the finest grain.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// The `Content-Type` of what [`Metrics::encode`] writes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every metric's name starts with this.
const PREFIX: &str = "groundswell";

/// Upper bounds of the request latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The route label of a request no route matched.
pub const UNMATCHED_ROUTE: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    /// The route's template (`/api/v1/statuses/{id}`), or `unmatched`.
    route: String,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InboxLabels {
    r#type: &'static str,
    outcome: &'static str,
}

/// The activity types the inbox counts by name; every other is counted as `other`.
const ACTIVITY_TYPES: [&str; 12] = [
    "Create", "Update", "Delete", "Follow", "Accept", "Reject", "Undo", "Like", "Announce", "Flag",
    "Read", "Block",
];

/// How the inbox answered an activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InboxOutcome {
    /// Answered `202` (what the policy drops is accepted too: the sender has nothing to retry).
    Accepted,
    /// Answered with a 4xx: not allowed, not signed, not parseable, not ours.
    Refused,
    /// Answered with a 5xx: our failure or another server's.
    Error,
}

impl InboxOutcome {
    fn as_str(self) -> &'static str {
        match self {
            InboxOutcome::Accepted => "accepted",
            InboxOutcome::Refused => "refused",
            InboxOutcome::Error => "error",
        }
    }

    /// The outcome of an answer with this HTTP status.
    pub fn of_status(status: u16) -> Self {
        match status {
            200..=399 => InboxOutcome::Accepted,
            400..=499 => InboxOutcome::Refused,
            _ => InboxOutcome::Error,
        }
    }
}

/// The counters and histograms of this process.
pub struct Metrics {
    registry: Registry,
    requests: Family<HttpLabels, Counter>,
    latency: Family<HttpLabels, Histogram, fn() -> Histogram>,
    inbox: Family<InboxLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix(PREFIX);
        let requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        let latency: Family<HttpLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        registry.register_with_unit(
            "http_request_duration",
            "Time until the response head, by route template, method and status",
            Unit::Seconds,
            latency.clone(),
        );
        let inbox = Family::<InboxLabels, Counter>::default();
        registry.register(
            "inbox_activities",
            "Activities other departments sent to the inbox, by type and outcome",
            inbox.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            inbox,
        }
    }

    /// One answered HTTP request. `route` is the matched route's template (or
    /// [`UNMATCHED_ROUTE`]), never the request's path.
    pub fn observe_request(&self, route: String, method: &str, status: u16, took: Duration) {
        let labels = HttpLabels {
            route,
            method: method_label(method),
            status,
        };
        self.latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        self.requests.get_or_create(&labels).inc();
    }

    /// One activity the inbox answered. `kind` is the activity's `type` as sent (counted as
    /// `other` unless it is one of the types we know).
    pub fn inbox_activity(&self, kind: Option<&str>, outcome: InboxOutcome) {
        let r#type = kind
            .and_then(|k| ACTIVITY_TYPES.iter().find(|t| **t == k))
            .copied()
            .unwrap_or("other");
        let labels = InboxLabels {
            r#type,
            outcome: outcome.as_str(),
        };
        self.inbox.get_or_create(&labels).inc();
    }

    /// This process's metrics and `figures`, as a complete OpenMetrics text exposition.
    pub fn encode(&self, figures: &Figures) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        encode_registry(&mut text, &self.registry)?;
        encode_registry(&mut text, &figures.registry())?;
        encode_eof(&mut text)?;
        Ok(text)
    }
}

/// The methods counted by name; any other (extension methods) as `other`.
fn method_label(method: &str) -> &'static str {
    const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or("other")
}

/// What is read when Prometheus scrapes.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// Deliveries waiting to be sent (all departments).
    pub deliveries_pending: i64,
    /// Deliveries given up.
    pub deliveries_failed: i64,
    /// Intents not yet rendered into deliveries.
    pub intents_unprepared: i64,
    pub departments: Vec<DepartmentQueue>,
    pub pools: Vec<PoolState>,
    /// Recorded policy rule matches, counted by what the rules do.
    pub policy_matches: Vec<PolicyMatches>,
    /// Today's engagement figures as last rolled up: (measure, other department or "",
    /// value), only those shown (behind at least `metrics.min_group_size` people).
    pub engagement: Vec<(String, String, i64)>,
    /// Distinct employees active over the last 7 and 30 days (`None`: suppressed).
    pub active_users_7d: Option<i64>,
    pub active_users_30d: Option<i64>,
}

/// One department's delivery queue.
#[derive(Debug, Clone)]
pub struct DepartmentQueue {
    pub domain: String,
    pub pending: i64,
    /// Age of its oldest waiting delivery.
    pub lag_secs: i64,
    /// Failed attempts in a row.
    pub failures: i64,
}

/// A database connection pool.
#[derive(Debug, Clone)]
pub struct PoolState {
    /// `read` and `write` (SQLite), or `shared` (PostgreSQL: one pool).
    pub pool: &'static str,
    pub in_use: i64,
    pub idle: i64,
    pub max: i64,
}

/// How many recorded matches rules with one action had (in one direction, dry run or not).
#[derive(Debug, Clone)]
pub struct PolicyMatches {
    pub action: &'static str,
    pub direction: &'static str,
    pub dry_run: bool,
    pub count: i64,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DomainLabel {
    department: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MeasureLabels {
    measure: String,
    /// The other department, for the cross-department measures; "" otherwise.
    department: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WindowLabel {
    window: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabel {
    pool: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PolicyLabels {
    action: &'static str,
    direction: &'static str,
    dry_run: bool,
}

impl Figures {
    /// A registry of their own, built per scrape: a department that left the queue is gone
    /// from the next scrape.
    fn registry(&self) -> Registry {
        let mut registry = Registry::with_prefix(PREFIX);
        let gauge = |registry: &mut Registry, name: &str, help: &str, value: i64| {
            let g: Gauge = Gauge::default();
            g.set(value);
            registry.register(name, help, g);
        };
        gauge(
            &mut registry,
            "delivery_pending",
            "Deliveries waiting to be sent to other departments",
            self.deliveries_pending,
        );
        gauge(
            &mut registry,
            "delivery_failed",
            "Deliveries given up after federation.give_up_after_hours",
            self.deliveries_failed,
        );
        gauge(
            &mut registry,
            "delivery_unprepared",
            "Outgoing activities not yet rendered into deliveries",
            self.intents_unprepared,
        );
        let depth = Family::<DomainLabel, Gauge>::default();
        let lag = Family::<DomainLabel, Gauge>::default();
        let failures = Family::<DomainLabel, Gauge>::default();
        for d in &self.departments {
            let label = DomainLabel {
                department: d.domain.clone(),
            };
            depth.get_or_create(&label).set(d.pending);
            lag.get_or_create(&label).set(d.lag_secs);
            failures.get_or_create(&label).set(d.failures);
        }
        registry.register(
            "delivery_queue_depth",
            "Deliveries waiting to be sent, per department",
            depth,
        );
        registry.register_with_unit(
            "delivery_lag",
            "Age of the oldest waiting delivery, per department (0 when none waits)",
            Unit::Seconds,
            lag,
        );
        registry.register(
            "delivery_consecutive_failures",
            "Failed delivery attempts in a row, per department",
            failures,
        );
        let pools = Family::<PoolLabels, Gauge>::default();
        let pool_max = Family::<PoolLabel, Gauge>::default();
        for p in &self.pools {
            for (state, value) in [("in_use", p.in_use), ("idle", p.idle)] {
                let labels = PoolLabels {
                    pool: p.pool,
                    state,
                };
                pools.get_or_create(&labels).set(value);
            }
            pool_max
                .get_or_create(&PoolLabel { pool: p.pool })
                .set(p.max);
        }
        registry.register(
            "db_pool_connections",
            "Open database connections of this node, in use or idle, per pool",
            pools,
        );
        registry.register(
            "db_pool_max_connections",
            "The most database connections a pool of this node opens",
            pool_max,
        );
        let matches = Family::<PolicyLabels, Counter>::default();
        for m in &self.policy_matches {
            let labels = PolicyLabels {
                action: m.action,
                direction: m.direction,
                dry_run: m.dry_run,
            };
            matches
                .get_or_create(&labels)
                .inc_by(u64::try_from(m.count).unwrap_or(0));
        }
        registry.register(
            "policy_rule_matches",
            "Policy rule matches recorded by every node, by the rule's action and direction",
            matches,
        );
        let engagement = Family::<MeasureLabels, Gauge>::default();
        for (measure, department, value) in &self.engagement {
            let labels = MeasureLabels {
                measure: measure.clone(),
                department: department.clone(),
            };
            engagement.get_or_create(&labels).set(*value);
        }
        registry.register(
            "engagement_today",
            "Today's engagement measures (UTC) as last rolled up, per measure (and other \
             department); a measure behind fewer than metrics.min_group_size people is absent",
            engagement,
        );
        let active = Family::<WindowLabel, Gauge>::default();
        for (window, value) in [("7d", self.active_users_7d), ("30d", self.active_users_30d)] {
            if let Some(value) = value {
                active.get_or_create(&WindowLabel { window }).set(value);
            }
        }
        registry.register(
            "engagement_active_users",
            "Distinct employees active over the last 7 or 30 days; absent below \
             metrics.min_group_size",
            active,
        );
        registry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_stay_bounded() {
        let metrics = Metrics::new();
        metrics.observe_request(
            "/api/v1/statuses/{id}".into(),
            "BREW",
            200,
            Duration::from_millis(3),
        );
        metrics.inbox_activity(Some("EmojiReact"), InboxOutcome::Accepted);
        metrics.inbox_activity(Some("Follow"), InboxOutcome::of_status(401));
        let text = metrics.encode(&Figures::default()).unwrap();
        assert!(text.contains(
            r#"groundswell_http_requests_total{route="/api/v1/statuses/{id}",method="other",status="200"} 1"#
        ));
        assert!(text.contains(r#"type="other",outcome="accepted""#));
        assert!(text.contains(r#"type="Follow",outcome="refused""#));
        assert!(!text.contains("EmojiReact"));
        assert!(text.ends_with("# EOF\n"));
    }
}

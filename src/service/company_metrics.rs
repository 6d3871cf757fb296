//! The company report: every department's engagement figures over a range, collected from
//! the departments' own exports (`GET /api/v1/groundswell/metrics`, JSON, with an
//! administrator's token there) into one — the company's totals, each department's figures,
//! the top hashtags and the department-by-department interaction matrix — without moving a
//! single post. `groundswell metrics rollup` and `/admin/engagement/company` both use it.
//!
//! Privacy holds by construction: a department's export never shows a number behind fewer
//! than its `metrics.min_group_size` people, and the report only adds up what was shown
//! (a sum that leaves something out says so: `lower_bound`).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDate;
use serde::Serialize;
use url::Url;

use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::metrics::{self, FirstReplies, Summary};

/// A department to collect: its address and an administrator's token there.
#[derive(Clone)]
pub struct Source {
    pub url: Url,
    pub token: String,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

/// A department that could not be collected, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub url: String,
    pub error: String,
}

/// How long one department may take to answer.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP client the report is collected with: bounded timeouts, no redirects (a token
/// is never sent anywhere but where it was configured for).
pub fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .user_agent(format!(
            "Groundswell/{} (company report)",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
}

/// Fetch one department's [`Summary`] from `start` to `end`: a readable error otherwise
/// (unreachable, refused token, not a Groundswell department).
pub async fn fetch(
    client: &reqwest::Client,
    source: &Source,
    start: NaiveDate,
    end: NaiveDate,
) -> std::result::Result<Summary, String> {
    let mut url = source
        .url
        .join("/api/v1/groundswell/metrics")
        .map_err(|e| format!("not a department address: {e}"))?;
    url.query_pairs_mut()
        .append_pair("start", &start.to_string())
        .append_pair("end", &end.to_string())
        .append_pair("format", "json");
    let response = client
        .get(url)
        .bearer_auth(&source.token)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| format!("unreachable: {}", without_url(&e)))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("the answer broke off: {}", without_url(&e)))?;
    if !status.is_success() {
        let said = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
            .unwrap_or_default();
        return Err(format!(
            "answered {status}{}",
            if said.is_empty() {
                String::new()
            } else {
                format!(": {said}")
            }
        ));
    }
    serde_json::from_slice::<Summary>(&body)
        .map_err(|e| format!("not a Groundswell metrics export: {e}"))
}

/// reqwest's errors name the URL, and ours carries no secret, but keep messages short.
fn without_url(e: &reqwest::Error) -> String {
    let mut e = e.to_string();
    if let Some(i) = e.find(" for url") {
        e.truncate(i);
    }
    e
}

/// Fetch every department at once; the ones that fail are listed, the others reported.
pub async fn collect(
    client: &reqwest::Client,
    sources: &[Source],
    start: NaiveDate,
    end: NaiveDate,
) -> (Vec<Summary>, Vec<Missing>) {
    let answers = futures_util::future::join_all(
        sources
            .iter()
            .map(|source| async move { (source, fetch(client, source, start, end).await) }),
    )
    .await;
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for (source, answer) in answers {
        match answer {
            Ok(summary) => found.push(summary),
            Err(error) => missing.push(Missing {
                url: source.url.to_string(),
                error,
            }),
        }
    }
    (found, missing)
}

/// The company report as this department's console gives it: its own figures (read here)
/// and those of every department in `metrics.company`.
pub async fn for_department(ctx: &AppContext, start: NaiveDate, end: NaiveDate) -> Result<Report> {
    let min_group = ctx.settings.metrics.min_group_size;
    let domain = ctx.settings.instance.domain.as_str().to_string();
    let (own, _) = ctx
        .db
        .read(move |conn| metrics::summarize(conn, &domain, start, end, min_group))
        .await?;
    let mut sources = Vec::new();
    let mut unreadable = Vec::new();
    for d in &ctx.settings.metrics.company {
        let token = match &d.token_file {
            None => d.token.clone(),
            Some(path) => match tokio::fs::read_to_string(path).await {
                Ok(token) => token.trim().to_string(),
                Err(e) => {
                    unreadable.push(Missing {
                        url: d.url.to_string(),
                        error: format!("cannot read its token_file {}: {e}", path.display()),
                    });
                    continue;
                }
            },
        };
        sources.push(Source {
            url: d.url.clone(),
            token,
        });
    }
    let client = client().map_err(Error::internal)?;
    let (mut found, mut missing) = collect(&client, &sources, start, end).await;
    missing.extend(unreadable);
    for m in &missing {
        tracing::warn!(department = %m.url, error = %m.error, "company report: a department could not be collected");
    }
    found.push(own);
    Ok(report(start, end, found, missing))
}

/// A number of the report: `None` when nothing of it is shown; `lower_bound` when some of
/// what it adds up was suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figure {
    pub measure: String,
    pub value: Option<i64>,
    pub lower_bound: bool,
}

impl Figure {
    /// Add up `parts` (each `None` when suppressed, with its own lower-bound flag).
    fn sum(measure: &str, parts: impl IntoIterator<Item = (Option<i64>, bool)>) -> Figure {
        let mut value = None;
        let mut lower_bound = false;
        for (part, partial) in parts {
            match part {
                Some(n) => *value.get_or_insert(0) += n,
                None => lower_bound = true,
            }
            lower_bound |= partial;
        }
        Figure {
            measure: measure.to_string(),
            value,
            lower_bound: lower_bound && value.is_some(),
        }
    }

    /// The figure for people: the number ("at least" when a lower bound) or "suppressed".
    pub fn text(&self) -> String {
        match (self.value, self.lower_bound) {
            (None, _) => "suppressed".to_string(),
            (Some(n), true) => format!("at least {n}"),
            (Some(n), false) => n.to_string(),
        }
    }
}

/// One department's figures in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    pub department: String,
    pub min_group_size: u32,
    /// Distinct employees active over the range.
    pub active_users: Option<i64>,
    pub figures: Vec<Figure>,
    pub first_reply: FirstReplies,
}

/// Interactions of one kind from the people of one department with those of another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interaction {
    pub from: String,
    pub to: String,
    /// `follows`, `replies`, `mentions`, `boosts` or `favourites`.
    pub kind: String,
    pub value: Option<i64>,
    pub lower_bound: bool,
    /// The department whose export gave the number (`from`'s own when it was collected).
    pub reported_by: String,
}

/// The company report over a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The collected departments, by domain.
    pub departments: Vec<Department>,
    /// The company's totals: the departments' added up.
    pub company: Vec<Figure>,
    /// The company's top hashtags (posts with them, every department's shown days).
    pub hashtags: Vec<(String, i64)>,
    pub interactions: Vec<Interaction>,
    /// Departments that could not be collected.
    pub missing: Vec<Missing>,
}

/// The measures a report gives per department and for the company: every measure that adds
/// up over days but `active_users` (a range's active employees are counted once each:
/// [`Department::active_users`]).
pub fn report_measures() -> impl Iterator<Item = &'static str> {
    metrics::MEASURES
        .iter()
        .copied()
        .filter(|m| metrics::adds_up(m) && *m != "active_users")
}

/// Make the report from the departments' summaries.
pub fn report(
    start: NaiveDate,
    end: NaiveDate,
    mut summaries: Vec<Summary>,
    missing: Vec<Missing>,
) -> Report {
    summaries.sort_by(|a, b| a.department.cmp(&b.department));
    summaries.dedup_by(|a, b| a.department == b.department);
    let of = |s: &Summary, measure: &str, dimension: &str| -> (Option<i64>, bool) {
        match s.total(measure, dimension) {
            Some(t) => (t.shown(), t.lower_bound),
            // No such row: nothing happened, or nothing shown.
            None => (None, true),
        }
    };
    let departments: Vec<Department> = summaries
        .iter()
        .map(|s| Department {
            department: s.department.clone(),
            min_group_size: s.min_group_size,
            active_users: s.active_users,
            figures: report_measures()
                .map(|m| Figure::sum(m, [of(s, m, "")]))
                .collect(),
            first_reply: s.first_reply.clone(),
        })
        .collect();
    let mut company = vec![Figure::sum(
        "active_users",
        summaries.iter().map(|s| (s.active_users, false)),
    )];
    company
        .extend(report_measures().map(|m| Figure::sum(m, summaries.iter().map(|s| of(s, m, "")))));
    let mut hashtags: BTreeMap<String, i64> = BTreeMap::new();
    for s in &summaries {
        for t in s.totals.iter().filter(|t| t.measure == metrics::HASHTAGS) {
            if let (Some(tag), Some(n)) = (&t.hashtag, t.shown()) {
                *hashtags.entry(tag.clone()).or_default() += n;
            }
        }
    }
    let mut hashtags: Vec<(String, i64)> = hashtags.into_iter().collect();
    hashtags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    hashtags.truncate(20);
    let collected = |domain: &str| summaries.iter().any(|s| s.department == domain);
    let mut interactions = Vec::new();
    for s in &summaries {
        for kind in metrics::CROSS_KINDS {
            for outgoing in [true, false] {
                let measure = metrics::cross_measure(kind, outgoing);
                for t in s.totals.iter().filter(|t| t.measure == measure) {
                    let Some(other) = &t.department else { continue };
                    // Each pair once: as its `from` department counted it, or as `to` did
                    // when `from` was not collected.
                    if !outgoing && collected(other) {
                        continue;
                    }
                    let (from, to) = if outgoing {
                        (s.department.clone(), other.clone())
                    } else {
                        (other.clone(), s.department.clone())
                    };
                    interactions.push(Interaction {
                        from,
                        to,
                        kind: kind.to_string(),
                        value: t.shown(),
                        lower_bound: t.lower_bound && t.shown().is_some(),
                        reported_by: s.department.clone(),
                    });
                }
            }
        }
    }
    interactions.sort_by(|a, b| (&a.from, &a.to, &a.kind).cmp(&(&b.from, &b.to, &b.kind)));
    Report {
        start,
        end,
        departments,
        company,
        hashtags,
        interactions,
        missing,
    }
}

/// The interaction matrix, every kind added up: the departments (rows: from, columns: to)
/// and each cell (`None` on the diagonal and where nothing is shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matrix {
    pub departments: Vec<String>,
    pub cells: Vec<Vec<Option<Figure>>>,
}

impl Report {
    pub fn matrix(&self) -> Matrix {
        let mut departments: Vec<String> = self
            .departments
            .iter()
            .map(|d| d.department.clone())
            .collect();
        for i in &self.interactions {
            departments.push(i.from.clone());
            departments.push(i.to.clone());
        }
        departments.sort();
        departments.dedup();
        let cells = departments
            .iter()
            .map(|from| {
                departments
                    .iter()
                    .map(|to| {
                        let of: Vec<&Interaction> = self
                            .interactions
                            .iter()
                            .filter(|i| &i.from == from && &i.to == to)
                            .collect();
                        (!of.is_empty()).then(|| {
                            Figure::sum("interactions", of.iter().map(|i| (i.value, i.lower_bound)))
                        })
                    })
                    .collect()
            })
            .collect();
        Matrix { departments, cells }
    }
}

/// The report as JSON: [`Report`]'s fields and the `matrix`.
pub fn to_json(report: &Report) -> serde_json::Value {
    let mut value = serde_json::to_value(report).unwrap_or_default();
    value["matrix"] = serde_json::to_value(report.matrix()).unwrap_or_default();
    value
}

/// The columns of the report's CSV.
pub const CSV_HEADER: &str =
    "section,department,other_department,hashtag,measure,value,lower_bound,suppressed";

/// The report as CSV (RFC 4180, a header row): `company` rows (the totals),
/// `department` rows (each department's figures), `interaction` rows (from `department`
/// to `other_department`, the kind as the measure) and `hashtag` rows.
pub fn to_csv(report: &Report) -> String {
    use crate::service::audit::csv_field;
    let mut out = format!("{CSV_HEADER}\r\n");
    let mut row = |section: &str,
                   department: &str,
                   other: &str,
                   hashtag: &str,
                   measure: &str,
                   value: Option<i64>,
                   lower_bound: bool| {
        out.push_str(&format!(
            "{section},{},{},{},{},{},{lower_bound},{}\r\n",
            csv_field(department),
            csv_field(other),
            csv_field(hashtag),
            csv_field(measure),
            value.map(|v| v.to_string()).unwrap_or_default(),
            value.is_none()
        ));
    };
    for f in &report.company {
        row("company", "", "", "", &f.measure, f.value, f.lower_bound);
    }
    for d in &report.departments {
        row(
            "department",
            &d.department,
            "",
            "",
            "active_users",
            d.active_users,
            false,
        );
        for f in &d.figures {
            row(
                "department",
                &d.department,
                "",
                "",
                &f.measure,
                f.value,
                f.lower_bound,
            );
        }
        let r = &d.first_reply;
        for (measure, value) in [
            ("question_first_reply_p50_secs", r.p50_secs),
            ("question_first_reply_p90_secs", r.p90_secs),
            ("question_first_cross_reply_p50_secs", r.cross_p50_secs),
            ("question_first_cross_reply_p90_secs", r.cross_p90_secs),
        ] {
            row(
                "department",
                &d.department,
                "",
                "",
                measure,
                value,
                r.partial,
            );
        }
    }
    for i in &report.interactions {
        row(
            "interaction",
            &i.from,
            &i.to,
            "",
            &i.kind,
            i.value,
            i.lower_bound,
        );
    }
    for (tag, n) in &report.hashtags {
        row("hashtag", "", "", tag, metrics::HASHTAGS, Some(*n), false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::metrics::TotalRecord;

    fn total(measure: &str, department: Option<&str>, total: i64, lower: bool) -> TotalRecord {
        TotalRecord {
            measure: measure.into(),
            department: department.map(str::to_string),
            hashtag: None,
            language: None,
            total,
            lower_bound: lower,
        }
    }

    fn summary(department: &str, totals: Vec<TotalRecord>) -> Summary {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        Summary {
            department: department.into(),
            start: day,
            end: day,
            min_group_size: 5,
            active_users: Some(7),
            active_users_suppressed: false,
            first_reply: FirstReplies::default(),
            totals,
        }
    }

    #[test]
    fn sums_only_what_is_shown_and_says_so() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        let r = report(
            day,
            day,
            vec![
                summary("a.example", vec![total("posts", None, 10, false)]),
                summary("b.example", vec![total("posts", None, 0, true)]),
            ],
            vec![],
        );
        let posts = r.company.iter().find(|f| f.measure == "posts");
        assert_eq!(
            posts.map(|f| (f.value, f.lower_bound)),
            Some((Some(10), true))
        );
        let active = r.company.iter().find(|f| f.measure == "active_users");
        assert_eq!(active.map(|f| f.value), Some(Some(14)));
    }

    #[test]
    fn each_pair_is_counted_once_by_its_sender() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        let r = report(
            day,
            day,
            vec![
                summary(
                    "a.example",
                    vec![
                        total("cross_follows_out", Some("b.example"), 6, false),
                        total("cross_follows_in", Some("c.example"), 5, false),
                    ],
                ),
                summary(
                    "b.example",
                    vec![total("cross_follows_in", Some("a.example"), 6, false)],
                ),
            ],
            vec![],
        );
        let pairs: Vec<(&str, &str, Option<i64>, &str)> = r
            .interactions
            .iter()
            .map(|i| {
                (
                    i.from.as_str(),
                    i.to.as_str(),
                    i.value,
                    i.reported_by.as_str(),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("a.example", "b.example", Some(6), "a.example"),
                ("c.example", "a.example", Some(5), "a.example"),
            ]
        );
        let m = r.matrix();
        assert_eq!(m.departments, ["a.example", "b.example", "c.example"]);
        assert_eq!(m.cells[0][1].as_ref().and_then(|f| f.value), Some(6));
        assert_eq!(m.cells[1][0], None);
    }
}

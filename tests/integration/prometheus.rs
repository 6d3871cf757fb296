//! `GET /metrics`: Prometheus scrapes a department's figures with its bearer token. Requests
//! are counted by route template, never by path; no label names an employee.

use serde_json::{Value, json};

use crate::common::*;
use crate::on_both_backends;
use crate::policy::{set_rules, staff};
use groundswell::service::users::Role;

const TOKEN: &str = "metrics-test-token-0123456789";

const FLAG_RULE: &str = r#"
[[rule]]
name = "Forecasts are flagged"
when = { hashtag = ["forecast"] }
action = "flag"
"#;

/// Scrape with `token` (or none): status, content type and body.
async fn scrape(f: &Fixture, token: Option<&str>) -> (u16, String, String) {
    let mut req = f.client.get(f.url("/metrics"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, content_type, resp.text().await.unwrap())
}

/// The sample of `metric` whose labels include every one of `labels`, if any.
fn sample(body: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    body.lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")) || l.starts_with(&format!("{metric} ")))
        .find(|l| labels.iter().all(|label| l.contains(label)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

on_both_backends!(
    prometheus_sees_route_templates_and_never_people,
    metrics_are_off_until_a_token_is_configured,
);

async fn prometheus_sees_route_templates_and_never_people(db: TestDb) {
    let postgres = db.is_postgres();
    let f = Fixture::start_with(db, |s| s.metrics.bearer_token = TOKEN.into()).await;
    let admin = staff(&f, "yvonne", Role::Admin).await;
    let xavier = f.user("xavier").await;
    set_rules(&f, &admin, FLAG_RULE).await;
    let id = f
        .status(&xavier, json!({"status": "Quarterly numbers #forecast"}))
        .await;
    for _ in 0..2 {
        let (code, _) = f
            .get(Some(&xavier), &format!("/api/v1/statuses/{id}"))
            .await;
        assert_eq!(code, 200);
    }
    let (code, _) = f
        .get(Some(&xavier), &format!("/api/v1/accounts/{}", xavier.id))
        .await;
    assert_eq!(code, 200);
    assert_eq!(f.get(None, "/no/such/page").await.0, 404);
    // Activities no department signed are refused; a type we do not know is `other`.
    for kind in ["Follow", "EmojiReact"] {
        let resp = f
            .client
            .post(f.url("/users/xavier/inbox"))
            .header("content-type", "application/activity+json")
            .body(
                json!({
                    "type": kind,
                    "id": "http://127.0.0.1:9/activities/1",
                    "actor": "http://127.0.0.1:9/users/mallory",
                    "object": format!("{}/users/xavier", f.base),
                })
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_client_error(), "{}", resp.status());
    }

    // Without the token, or with another, Prometheus is refused.
    let (code, _, body) = scrape(&f, None).await;
    assert_eq!(code, 401);
    assert!(serde_json::from_str::<Value>(&body).unwrap()["error"].is_string());
    let (code, _, body) = scrape(&f, Some("metrics-test-token-012345678")).await;
    assert_eq!(code, 401, "{body}");
    assert!(!body.contains(TOKEN));

    let (code, content_type, body) = scrape(&f, Some(TOKEN)).await;
    assert_eq!(code, 200, "{body}");
    assert!(content_type.starts_with("application/openmetrics-text"));
    assert!(body.ends_with("# EOF\n"), "{body}");
    let requests = "groundswell_http_requests_total";
    assert_eq!(
        sample(
            &body,
            requests,
            &[
                r#"route="/api/v1/statuses/{id}""#,
                r#"method="GET""#,
                r#"status="200""#
            ]
        ),
        Some(2.0),
        "{body}"
    );
    assert_eq!(
        sample(&body, requests, &[r#"route="/api/v1/accounts/{id}""#]),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &body,
            requests,
            &[r#"route="unmatched""#, r#"status="404""#]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &body,
            requests,
            &[r#"route="/users/{username}/inbox""#, r#"method="POST""#]
        ),
        Some(2.0),
        "{body}"
    );
    assert!(
        sample(
            &body,
            "groundswell_http_request_duration_seconds_count",
            &[r#"route="/api/v1/statuses/{id}""#]
        )
        .is_some()
    );
    let inbox = "groundswell_inbox_activities_total";
    assert_eq!(
        sample(&body, inbox, &[r#"type="Follow""#, r#"outcome="refused""#]),
        Some(1.0)
    );
    assert_eq!(
        sample(&body, inbox, &[r#"type="other""#, r#"outcome="refused""#]),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &body,
            "groundswell_policy_rule_matches_total",
            &[r#"action="flag""#, r#"dry_run="false""#]
        ),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample(&body, "groundswell_delivery_pending", &[]),
        Some(0.0)
    );
    assert!(sample(&body, "groundswell_delivery_failed", &[]).is_some());
    let pool = if postgres { "shared" } else { "read" };
    assert!(
        sample(
            &body,
            "groundswell_db_pool_connections",
            &[&format!(r#"pool="{pool}""#), r#"state="idle""#]
        )
        .is_some(),
        "{body}"
    );

    // Nobody is named: not the employees, their ids, or what they posted.
    for secret in [
        "xavier",
        "yvonne",
        "mallory",
        id.as_str(),
        xavier.id.as_str(),
    ] {
        assert!(!body.contains(secret), "{secret} in {body}");
    }
}

async fn metrics_are_off_until_a_token_is_configured(db: TestDb) {
    let f = Fixture::start(db).await;
    for token in [None, Some(""), Some(TOKEN)] {
        let (code, _, body) = scrape(&f, token).await;
        assert_eq!(code, 404, "{body}");
        assert!(serde_json::from_str::<Value>(&body).unwrap()["error"].is_string());
    }
}

//! The pages behind account and post URLs, with the same visibility as the API.

use serde_json::json;

use crate::common::*;
use crate::on_both_backends;

async fn profile_and_status_pages(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    // bob signs in with a password in the browser and follows alice.
    assert_ok(&run_cli_with_stdin(
        &f.db,
        &[
            "admin",
            "create-user",
            "bob",
            "--email",
            "bob@eng.corp.example",
            "--password-stdin",
        ],
        Some("correct horse battery\n"),
    ));
    let public = f
        .status(
            &alice,
            json!({"status": "Hello <script>alert(1)</script> #intro"}),
        )
        .await;
    let private = f
        .status(
            &alice,
            json!({"status": "followers only note", "visibility": "private"}),
        )
        .await;
    let local = f
        .status(
            &alice,
            json!({"status": "department only note", "visibility": "local"}),
        )
        .await;

    let page = f.client.get(f.url("/@alice")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("Hello &lt;script&gt;"), "escaped: {html}");
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("/tags/intro"));
    assert!(
        !html.contains("followers only note") && !html.contains("department only note"),
        "{html}"
    );

    let (code, status) = f.get(None, &format!("/api/v1/statuses/{public}")).await;
    assert_eq!(code, 200);
    let page = f
        .client
        .get(status["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Hello &lt;script&gt;"));
    for id in [&private, &local] {
        let page = f
            .client
            .get(f.url(&format!("/@alice/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 404, "anonymous visitors do not see {id}");
    }
    assert_eq!(
        f.client
            .get(f.url("/@nobody"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        f.client
            .get(f.url(&format!("/@bob/{public}")))
            .send()
            .await
            .unwrap()
            .status(),
        404,
        "wrong author in the URL"
    );

    // Signed in, an employee sees department-only posts.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = browser
        .get(f.url("/auth/sign_in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = form
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let resp = browser
        .post(f.url("/auth/sign_in"))
        .form(&[
            ("username", "bob"),
            ("password", "correct horse battery"),
            ("csrf_token", csrf.as_str()),
            ("return_to", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let page = browser
        .get(f.url(&format!("/@alice/{local}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("department only"));
    let page = browser
        .get(f.url(&format!("/@alice/{private}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404, "bob does not follow alice");
    let home = browser
        .get(f.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("Signed in as <strong>@bob</strong>"),
        "{home}"
    );
    f.stop().await;
}

on_both_backends!(profile_and_status_pages);

/// `/about/metrics` tells every employee, signed in or not, what is counted, the privacy
/// threshold in force and what is never collected.
async fn the_metrics_page_says_what_is_measured(db: TestDb) {
    let f = Fixture::start_with(db, |s| {
        s.metrics.min_group_size = 7;
        s.metrics.question_tags = vec!["ask".into()];
    })
    .await;
    let resp = f.client.get(f.url("/about/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("<strong id=\"min-group\">7</strong>"),
        "{html}"
    );
    assert!(html.contains("#ask"), "the configured question hashtags");
    assert!(html.contains("What is never collected or shown"));
    f.stop().await;
}

on_both_backends!(the_metrics_page_says_what_is_measured);

//! Engagement metrics across three real departments: known activity (posts, replies,
//! favourites, boosts, follows within and between departments) gives exactly the expected
//! daily numbers; numbers behind fewer than `metrics.min_group_size` people are suppressed,
//! never zero, and totals never let a suppressed day be worked out; the live roll-up and a
//! rebuild give the same numbers; the exports (JSON, CSV, NDJSON, Mastodon's measures).

use serde_json::{Value, json};

use crate::common::*;
use crate::federation::{departments_with, domain, eventually, resolve};
use crate::moderation::{console_browser, page, with_password};
use crate::on_both_backends;
use crate::policy::staff;
use groundswell::service::users::Role;

/// The export's cell of `measure` today (for `department`, if given).
fn cell<'a>(export: &'a Value, measure: &str, department: Option<&str>) -> &'a Value {
    export["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["measure"] == measure && c["department"].as_str() == department)
        .unwrap_or_else(|| panic!("no cell {measure} {department:?} in {export}"))
}

async fn export(f: &Fixture, admin: &TestUser, query: &str) -> Value {
    let (code, body) = f
        .get(Some(admin), &format!("/api/v1/groundswell/metrics?{query}"))
        .await;
    assert_eq!(code, 200, "{body}");
    body
}

async fn follow(f: &Fixture, who: &TestUser, id: &str) {
    let (code, body) = f
        .post(who, &format!("/api/v1/accounts/{id}/follow"), json!({}))
        .await;
    assert_eq!(code, 200, "{body}");
}

/// Every department-wide cell of today, by measure (the value, or "suppressed").
fn today(export: &Value) -> Vec<(String, String)> {
    export["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["department"].is_null() && c["hashtag"].is_null() && c["language"].is_null())
        .map(|c| {
            (
                c["measure"].as_str().unwrap().to_string(),
                match c["value"].as_i64() {
                    Some(v) => v.to_string(),
                    None => "suppressed".to_string(),
                },
            )
        })
        .collect()
}

async fn engagement_is_counted_and_never_names_anyone(db: TestDb) {
    let deps = departments_with(
        db,
        3,
        |_, _| true,
        |_, s| {
            s.metrics.min_group_size = 2;
            s.metrics.rollup_interval_secs = 1;
        },
    )
    .await;
    let (eng, sales, ops) = (&deps[0], &deps[1], &deps[2]);
    let root = staff(eng, "root", Role::Admin).await;
    let moderator = staff(eng, "mod", Role::Moderator).await;
    let alice = eng.user("alice").await;
    let bob = eng.user("bob").await;
    let carol = eng.user("carol").await;
    let sam = sales.user("sam").await;
    let sue = sales.user("sue").await;
    let olga = ops.user("olga").await;
    // The moderator opens an app: active today too.
    let (code, _) = eng
        .get(Some(&moderator), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(code, 200);
    let eng_domain = domain(eng);
    let sales_domain = domain(sales);
    let ops_domain = domain(ops);

    // Within Engineering: Alice asks a question and posts a link (not a question), Bob asks
    // with #question; Carol answers Alice, Alice answers Bob; Bob and Carol favourite Alice's
    // question; Bob boosts it.
    let first = eng
        .status(
            &alice,
            json!({"status": "Hello company, who knows #kubernetes?", "language": "en"}),
        )
        .await;
    eng.status(
        &alice,
        json!({"status": "Second thought: https://ci.example/?run=1"}),
    )
    .await;
    let second = eng
        .status(
            &bob,
            json!({"status": "Lunch options #question #Kubernetes", "language": "en"}),
        )
        .await;
    let carols = eng
        .status(
            &carol,
            json!({"status": "@alice me", "in_reply_to_id": first, "language": "de"}),
        )
        .await;
    let alices = eng
        .status(
            &alice,
            json!({"status": "@bob the canteen", "in_reply_to_id": second}),
        )
        .await;
    for who in [&bob, &carol] {
        let (code, _) = eng
            .post(
                who,
                &format!("/api/v1/statuses/{first}/favourite"),
                json!({}),
            )
            .await;
        assert_eq!(code, 200);
    }
    eng.post(&bob, &format!("/api/v1/statuses/{first}/reblog"), json!({}))
        .await;

    // Across departments: Alice and Bob follow Sam and Sue (4 follows out, 2 people each
    // side); Sam follows Alice and Sue follows Bob (2 in); Olga of Ops follows Alice (1 in:
    // suppressed); Sam replies to Alice (1 reply in: suppressed).
    let sam_on_eng = resolve(eng, &alice, &format!("sam@{sales_domain}")).await;
    let sue_on_eng = resolve(eng, &alice, &format!("sue@{sales_domain}")).await;
    for who in [&alice, &bob] {
        follow(eng, who, &sam_on_eng).await;
        follow(eng, who, &sue_on_eng).await;
    }
    let alice_on_sales = resolve(sales, &sam, &format!("alice@{eng_domain}")).await;
    let bob_on_sales = resolve(sales, &sue, &format!("bob@{eng_domain}")).await;
    follow(sales, &sam, &alice_on_sales).await;
    follow(sales, &sue, &bob_on_sales).await;
    let alice_on_ops = resolve(ops, &olga, &format!("alice@{eng_domain}")).await;
    follow(ops, &olga, &alice_on_ops).await;
    let (_, post) = eng
        .get(Some(&alice), &format!("/api/v1/statuses/{first}"))
        .await;
    let uri = post["uri"].as_str().unwrap().to_string();
    let (code, found) = sales
        .get(
            Some(&sam),
            &format!(
                "/api/v2/search?type=statuses&resolve=true&q={}",
                url::form_urlencoded::byte_serialize(uri.as_bytes()).collect::<String>()
            ),
        )
        .await;
    assert_eq!(code, 200, "{found}");
    let post_on_sales = found["statuses"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("Alice's post found on Sales: {found}"))
        .to_string();
    sales
        .status(
            &sam,
            json!({"status": format!("@alice@{eng_domain} I do"), "in_reply_to_id": post_on_sales}),
        )
        .await;
    let sams = eventually("Sam's answer on Engineering", || async {
        let (_, context) = eng
            .get(Some(&alice), &format!("/api/v1/statuses/{first}/context"))
            .await;
        context["descendants"]
            .as_array()?
            .iter()
            .find(|s| {
                s["account"]["acct"]
                    .as_str()
                    .is_some_and(|a| a.starts_with("sam@"))
            })
            .map(|s| s["id"].as_str().unwrap().to_string())
    })
    .await;

    // When each was written, for exact times to the first answer: Alice asked at 00:00:10,
    // Carol answered 10 minutes later, Sam 30 minutes later; Bob asked at 00:01:50 and Alice
    // answered 5 minutes later.
    let midnight = chrono::Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let at = |secs: i64| midnight + chrono::Duration::seconds(secs);
    let times = vec![
        (first.clone(), at(10)),
        (carols, at(610)),
        (sams, at(1810)),
        (second, at(110)),
        (alices, at(410)),
    ];
    eng.ctx
        .db
        .write(move |conn| {
            use diesel::prelude::*;
            use groundswell::db::schema::statuses;
            for (id, t) in &times {
                diesel::update(statuses::table.find(id.parse::<i64>().unwrap()))
                    .set(statuses::created_at.eq(*t))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
        .unwrap();

    // The live roll-up (every second here) catches up with all of it; API use made Alice,
    // Bob, Carol, the administrator and the moderator active.
    let expected: Vec<(&str, &str)> = vec![
        ("active_users", "5"),
        ("new_users", "5"),
        ("posts", "3"),
        ("replies", "2"),
        ("boosts", "suppressed"),
        ("favourites", "2"),
        ("follows", "4"),
        ("poll_votes", "suppressed"),
        // Favourites 2 + boost 1 + replies 3 (Carol's, Sam's, Alice's) on employees' posts,
        // by 4 people.
        ("interactions", "6"),
        ("opened_reports", "suppressed"),
        ("resolved_reports", "suppressed"),
        ("policy_rule_hits", "suppressed"),
        ("posts_held", "suppressed"),
        ("posts_approved", "suppressed"),
        ("posts_rejected", "suppressed"),
        ("questions", "2"),
        ("questions_answered", "2"),
        // First answers after 600 s (Alice's) and 300 s (Bob's): nearest rank.
        ("question_first_reply_p50_secs", "300"),
        ("question_first_reply_p90_secs", "600"),
        // Only Alice's question had an answer from another department: one asker.
        ("question_first_cross_reply_p50_secs", "suppressed"),
        ("question_first_cross_reply_p90_secs", "suppressed"),
    ];
    let expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|(m, v)| (m.to_string(), v.to_string()))
        .collect();
    let live = eventually("the live roll-up", || async {
        let body = export(eng, &root, "").await;
        let cells = today(&body);
        let last = cells[cells.len() - expected.len()..].to_vec();
        let sams_reply = body["cells"].as_array()?.iter().any(|c| {
            c["measure"] == "cross_replies_in" && c["department"] == sales_domain.as_str()
        });
        (last == expected && sams_reply).then_some(body)
    })
    .await;

    // Between departments, each way, suppressed below two people on either side.
    let c = |m: &str, d: &str| cell(&live, m, Some(d)).clone();
    assert_eq!(c("cross_follows_out", &sales_domain)["value"], 4, "{live}");
    assert_eq!(c("cross_follows_in", &sales_domain)["value"], 2);
    assert_eq!(c("cross_follows_in", &ops_domain)["value"], Value::Null);
    assert_eq!(c("cross_follows_in", &ops_domain)["suppressed"], true);
    assert_eq!(c("cross_replies_in", &sales_domain)["value"], Value::Null);
    assert_eq!(c("cross_mentions_in", &sales_domain)["suppressed"], true);
    // Top hashtags: #kubernetes by two people (any case); #question by one.
    let tag = |name: &str| {
        live["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["measure"] == "hashtags" && c["hashtag"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("#{name} in {live}"))
    };
    assert_eq!(tag("kubernetes")["value"], 2);
    assert_eq!(tag("question")["suppressed"], true);

    // Totals add up only what is shown: a suppressed day stays suppressed in any range.
    let totals = |body: &Value, measure: &str| {
        body["totals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["measure"] == measure && t["department"].is_null())
            .unwrap()
            .clone()
    };
    assert_eq!(totals(&live, "posts")["total"], 3);
    assert_eq!(totals(&live, "posts")["lower_bound"], true, "earlier days");
    assert_eq!(totals(&live, "boosts")["total"], 0);
    assert_eq!(totals(&live, "boosts")["lower_bound"], true);
    assert!(
        !live["totals"]
            .to_string()
            .contains("question_first_reply_p50_secs"),
        "times do not add up over days"
    );
    let today_only = {
        let day = chrono::Utc::now().date_naive();
        export(eng, &root, &format!("start={day}&end={day}")).await
    };
    assert_eq!(totals(&today_only, "boosts")["total"], 0, "{today_only}");
    assert_eq!(totals(&today_only, "posts")["total"], 3);
    assert_eq!(totals(&today_only, "posts")["lower_bound"], false);
    assert_eq!(today_only["active_users"], 5);
    // Time to first reply over the range: from the days whose own figure is shown (today:
    // 300 s and 600 s); the cross-department time had one asker, so it stays suppressed in
    // every range that holds it (and the range says something was left out).
    for body in [&live, &today_only] {
        let r = &body["first_reply"];
        assert_eq!(
            (r["p50_secs"].clone(), r["p90_secs"].clone()),
            (json!(300), json!(600)),
            "{r}"
        );
        assert_eq!(r["cross_p50_secs"], Value::Null, "{r}");
        assert_eq!(r["partial"], true, "{r}");
    }

    // Nothing names anyone.
    let all = live.to_string();
    for name in ["alice", "bob", "carol", "sam", "sue", "olga", "root"] {
        assert!(!all.contains(name), "{name} named in {all}");
    }

    // A rebuild gives the same numbers.
    let day = chrono::Utc::now().date_naive().to_string();
    let out = assert_ok(&run_cli(
        &eng.db,
        &["metrics", "rebuild", "--from", &day, "--to", &day],
    ));
    assert!(
        out.contains("rebuilt the engagement metrics of 1 day(s)"),
        "{out}"
    );
    let rebuilt = export(eng, &root, &format!("start={day}&end={day}")).await;
    assert_eq!(rebuilt["cells"], today_only["cells"]);
    let bad = run_cli(&eng.db, &["metrics", "rebuild", "--from", "yesterday"]);
    assert!(assert_cli_error(&bad).contains("must be a date"));

    // CSV (a header row, one line a cell, suppressed cells empty) and NDJSON.
    let resp = eng
        .client
        .get(eng.url(&format!(
            "/api/v1/groundswell/metrics?start={day}&end={day}&format=csv"
        )))
        .bearer_auth(&root.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "date,measure,department,hashtag,language,value,suppressed"
    );
    assert!(
        lines.contains(&format!("{day},posts,,,,3,false").as_str()),
        "{csv}"
    );
    assert!(
        lines.contains(&format!("{day},boosts,,,,,true").as_str()),
        "{csv}"
    );
    assert!(
        lines.contains(&format!("{day},cross_follows_out,{sales_domain},,,4,false").as_str()),
        "{csv}"
    );
    let resp = eng
        .client
        .get(eng.url(&format!(
            "/api/v1/groundswell/metrics?start={day}&end={day}&format=ndjson"
        )))
        .bearer_auth(&root.token)
        .send()
        .await
        .unwrap();
    let ndjson = resp.text().await.unwrap();
    assert!(
        lines.contains(&format!("{day},hashtags,,kubernetes,,2,false").as_str()),
        "{csv}"
    );
    let rows: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), lines.len() - 1);
    assert!(rows.contains(&json!({"date": day, "measure": "favourites", "department": null, "hashtag": null, "language": null, "value": 2, "suppressed": false})));

    // Mastodon's admin measures (moderators may read them too).
    let (code, measures) = eng
        .post(
            &moderator,
            "/api/v1/admin/measures",
            json!({"keys": ["active_users", "new_users", "interactions", "opened_reports", "cross_follows_out"], "start_at": day, "end_at": day}),
        )
        .await;
    assert_eq!(code, 200, "{measures}");
    let of = |key: &str| {
        measures
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == key)
            .unwrap()
            .clone()
    };
    assert_eq!(of("active_users")["total"], "5");
    assert_eq!(of("interactions")["total"], "6");
    assert_eq!(
        of("interactions")["data"],
        json!([{"date": format!("{day}T00:00:00Z"), "value": "6", "suppressed": false}])
    );
    assert_eq!(of("opened_reports")["data"][0]["value"], Value::Null);
    assert_eq!(of("opened_reports")["total_is_lower_bound"], true);
    assert_eq!(of("cross_follows_out")["total"], "4");
    let (code, body) = eng
        .post(
            &moderator,
            "/api/v1/admin/measures",
            json!({"keys": ["nope"]}),
        )
        .await;
    assert_eq!(code, 422, "{body}");

    // Mastodon's dimensions: the other departments by their interactions with this one (Ops'
    // only one is suppressed), the top hashtags; and retention.
    let (code, dims) = eng
        .post(
            &moderator,
            "/api/v1/admin/dimensions",
            json!({"keys": ["servers", "hashtags", "languages"], "start_at": day, "end_at": day}),
        )
        .await;
    assert_eq!(code, 200, "{dims}");
    assert_eq!(
        dims[0],
        json!({"key": "servers", "data": [{"key": sales_domain, "human_key": sales_domain, "value": "6"}]})
    );
    assert_eq!(
        dims[1]["data"],
        json!([{"key": "kubernetes", "human_key": "#kubernetes", "value": "2"}])
    );
    assert_eq!(
        dims[2],
        json!({"key": "languages", "data": [{"key": "en", "human_key": "English", "value": "2"}]}),
        "German by Carol alone is suppressed"
    );
    let (code, body) = eng
        .post(
            &moderator,
            "/api/v1/admin/dimensions",
            json!({"keys": ["software_versions"]}),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    let (code, retention) = eng
        .post(
            &moderator,
            "/api/v1/admin/retention",
            json!({"start_at": day, "end_at": day, "frequency": "day"}),
        )
        .await;
    assert_eq!(code, 200, "{retention}");
    // The five who joined today were all active today.
    assert_eq!(
        retention,
        json!([{"period": format!("{day}T00:00:00+00:00"), "frequency": "day", "data": [
            {"date": format!("{day}T00:00:00+00:00"), "rate": 1.0, "value": "5", "suppressed": false}
        ]}])
    );
    let (code, _) = eng
        .post(
            &moderator,
            "/api/v1/admin/retention",
            json!({"frequency": "week"}),
        )
        .await;
    assert_eq!(code, 422);

    // Administrators only; bad input is a clear error.
    let (code, _) = eng
        .get(Some(&moderator), "/api/v1/groundswell/metrics")
        .await;
    assert_eq!(code, 403);
    let (code, _) = eng.get(Some(&alice), "/api/v1/admin/measures").await;
    assert_eq!(code, 404, "a GET is not the measures endpoint");
    let (code, body) = eng
        .get(Some(&root), "/api/v1/groundswell/metrics?start=2026-13-01")
        .await;
    assert_eq!(code, 422, "{body}");
    let (code, body) = eng
        .get(Some(&root), "/api/v1/groundswell/metrics?format=xlsx")
        .await;
    assert_eq!(code, 422, "{body}");
    let (code, _) = eng
        .get(
            Some(&root),
            "/api/v1/groundswell/metrics?start=2020-01-01&end=2026-01-01",
        )
        .await;
    assert_eq!(code, 422, "over a year");
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(engagement_is_counted_and_never_names_anyone);

/// Moderation load: the policy rules' hits, the posts they held and those approved, counted
/// like everything else (a held post is not a post until it is approved).
async fn moderation_load_is_counted(db: TestDb) {
    let f = Fixture::start_with(db, |s| {
        s.metrics.min_group_size = 2;
        s.metrics.rollup_interval_secs = 1;
    })
    .await;
    let root = staff(&f, "root", Role::Admin).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    crate::policy::set_rules(
        &f,
        &root,
        r#"
[[rule]]
name = "Customer names are reviewed first"
when = { keyword = ["acme corp"] }
action = "hold"
"#,
    )
    .await;
    let mut held = Vec::new();
    for who in [&alice, &bob] {
        let (code, body) = f
            .post(
                who,
                "/api/v1/statuses",
                json!({"status": "Call with Acme Corp"}),
            )
            .await;
        assert_eq!(code, 200, "{body}");
        held.push(body["id"].as_str().unwrap().to_string());
    }
    let (code, body) = f
        .post(
            &root,
            &format!(
                "/api/v1/groundswell/admin/held_statuses/{}/approve",
                held[0]
            ),
            json!({}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let expected = vec![
        ("policy_rule_hits", json!(2)),
        ("posts_held", json!(2)),
        // One approved post, by one author: suppressed (and so is the one post).
        ("posts_approved", Value::Null),
        ("posts_rejected", Value::Null),
        ("posts", Value::Null),
    ];
    let day = chrono::Utc::now().date_naive();
    eventually("the moderation figures", || async {
        let body = export(&f, &root, &format!("start={day}&end={day}")).await;
        let got: Vec<(&str, Value)> = expected
            .iter()
            .map(|(m, _)| (*m, cell(&body, m, None)["value"].clone()))
            .collect();
        (got == expected).then_some(())
    })
    .await;
    f.stop().await;
}

on_both_backends!(moderation_load_is_counted);

/// A past day is rolled up again from the raw rows: what happened then is counted, and a
/// second rebuild gives the same numbers.
async fn a_past_day_is_rebuilt(db: TestDb) {
    let f = Fixture::start_with(db, |s| {
        s.metrics.min_group_size = 2;
        s.metrics.rollup_interval_secs = 3600;
    })
    .await;
    let root = staff(&f, "root", Role::Admin).await;
    let mut posts = Vec::new();
    for name in ["alice", "bob"] {
        let who = f.user(name).await;
        posts.push(f.status(&who, json!({"status": "Three days ago"})).await);
    }
    let day = chrono::Utc::now().date_naive() - chrono::Duration::days(3);
    let noon = day.and_hms_opt(12, 0, 0).unwrap();
    f.ctx
        .db
        .write(move |conn| {
            use diesel::prelude::*;
            use groundswell::db::schema::statuses;
            for id in &posts {
                diesel::update(statuses::table.find(id.parse::<i64>().unwrap()))
                    .set(statuses::created_at.eq(noon))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let range = format!("start={day}&end={day}");
    let before = export(&f, &root, &range).await;
    assert_eq!(
        cell(&before, "posts", None)["value"],
        Value::Null,
        "not rolled up yet"
    );
    let day_text = day.to_string();
    let rebuild = || {
        assert_ok(&run_cli(
            &f.db,
            &["metrics", "rebuild", "--from", &day_text, "--to", &day_text],
        ))
    };
    rebuild();
    let first = export(&f, &root, &range).await;
    assert_eq!(cell(&first, "posts", None)["value"], 2, "{first}");
    assert_eq!(cell(&first, "active_users", None)["value"], 2);
    rebuild();
    let second = export(&f, &root, &range).await;
    assert_eq!(first["cells"], second["cells"]);
    f.stop().await;
}

on_both_backends!(a_past_day_is_rebuilt);

/// Run the binary as a child process without blocking the departments this test serves.
async fn cli(args: &[&str]) -> std::process::Output {
    let mut cmd = tokio::process::Command::from(groundswell_cmd());
    cmd.args(args).env("GROUNDSWELL_LOG__LEVEL", "warn");
    cmd.output().await.expect("run groundswell")
}

/// The company report: every department's export collected into one, by the CLI and by the
/// console page of a department configured with the others — exact company totals, the
/// department-by-department matrix (each pair as its sender counted it), suppressed cells
/// staying suppressed, the company's hashtags, a department that cannot be collected named.
async fn the_company_report_brings_every_department_together(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let token_file = |i: usize| dir.path().join(format!("token-{i}"));
    let files = [token_file(1), token_file(2)];
    let deps = departments_with(
        db,
        3,
        |_, _| true,
        |i, s| {
            s.metrics.min_group_size = 2;
            s.metrics.rollup_interval_secs = 1;
            if i == 0 {
                // Engineering's console reports on Sales and Ops (its peers), with their
                // tokens in files.
                s.metrics.company = s
                    .federation
                    .allowed_domains
                    .iter()
                    .zip(&files)
                    .map(|(peer, file)| groundswell::config::CompanyDepartment {
                        url: url::Url::parse(&format!("http://{peer}")).unwrap(),
                        token: String::new(),
                        token_file: Some(file.clone()),
                    })
                    .collect();
            }
        },
    )
    .await;
    let (eng, sales, ops) = (&deps[0], &deps[1], &deps[2]);
    let (eng_domain, sales_domain, ops_domain) = (domain(eng), domain(sales), domain(ops));
    let roots = [
        staff(eng, "root", Role::Admin).await,
        staff(sales, "root", Role::Admin).await,
        staff(ops, "root", Role::Admin).await,
    ];
    for (file, root) in files.iter().zip(&roots[1..]) {
        std::fs::write(file, format!("{}\n", root.token)).unwrap();
    }
    // Ada, an administrator of Engineering, reads the company page in her browser.
    with_password(eng, "ada", "correct horse battery").await;
    let name = "ada".to_string();
    eng.ctx
        .db
        .write(move |conn| {
            groundswell::service::users::set_role(conn, &name, Role::Admin).map(drop)
        })
        .await
        .unwrap();
    let alice = eng.user("alice").await;
    let bob = eng.user("bob").await;
    let sam = sales.user("sam").await;
    let sue = sales.user("sue").await;
    let olga = ops.user("olga").await;
    // Two posts in Engineering and two in Sales, all about #rust; one in Ops (one person:
    // suppressed there, so the company's count is a lower bound).
    for (f, who) in [
        (eng, &alice),
        (eng, &bob),
        (sales, &sam),
        (sales, &sue),
        (ops, &olga),
    ] {
        f.status(who, json!({"status": "Learning #rust this week"}))
            .await;
    }
    // Engineering → Sales: Alice and Bob follow Sam and Sue (4). Sales → Engineering: Sam
    // follows Alice, Sue follows Bob (2). Ops → Engineering: Olga follows Alice (1: suppressed).
    let sam_on_eng = resolve(eng, &alice, &format!("sam@{sales_domain}")).await;
    let sue_on_eng = resolve(eng, &alice, &format!("sue@{sales_domain}")).await;
    for who in [&alice, &bob] {
        follow(eng, who, &sam_on_eng).await;
        follow(eng, who, &sue_on_eng).await;
    }
    let alice_on_sales = resolve(sales, &sam, &format!("alice@{eng_domain}")).await;
    let bob_on_sales = resolve(sales, &sue, &format!("bob@{eng_domain}")).await;
    follow(sales, &sam, &alice_on_sales).await;
    follow(sales, &sue, &bob_on_sales).await;
    let alice_on_ops = resolve(ops, &olga, &format!("alice@{eng_domain}")).await;
    follow(ops, &olga, &alice_on_ops).await;
    // Every department has rolled it all up.
    let day = chrono::Utc::now().date_naive();
    let range = format!("start={day}&end={day}");
    for (f, root, posts, follows, to, cross) in [
        (eng, &roots[0], json!(2), json!(4), &sales_domain, json!(4)),
        (sales, &roots[1], json!(2), json!(2), &eng_domain, json!(2)),
        (
            ops,
            &roots[2],
            Value::Null,
            Value::Null,
            &eng_domain,
            Value::Null,
        ),
    ] {
        eventually("the roll-up", || async {
            let body = export(f, root, &range).await;
            let c = |m: &str| cell(&body, m, None)["value"].clone();
            // The follows to the other department are counted (Ops' one suppressed: there,
            // but without a number).
            let counted = body["cells"].as_array()?.iter().any(|c| {
                c["measure"] == "cross_follows_out"
                    && c["department"] == to.as_str()
                    && c["value"] == cross
            });
            let people = json!(match (posts.is_null(), follows == json!(4)) {
                (true, _) => 2,
                // Engineering: root, Alice, Bob and Ada.
                (false, true) => 4,
                (false, false) => 3,
            });
            (c("posts") == posts && c("follows") == follows && c("new_users") == people && counted)
                .then_some(())
        })
        .await;
    }

    // The CLI, given the three departments and their administrators' tokens (one from a file).
    let token_arg = format!("@{}", files[1].display());
    let day_text = day.to_string();
    let args = |format: &'static str| {
        vec![
            "metrics".to_string(),
            "rollup".into(),
            "--department".into(),
            eng.url(""),
            format!("--token={}", roots[0].token),
            "--department".into(),
            sales.url(""),
            format!("--token={}", roots[1].token),
            "--department".into(),
            ops.url(""),
            format!("--token={token_arg}"),
            "--start".into(),
            day_text.clone(),
            "--end".into(),
            day_text.clone(),
            "--format".into(),
            format.into(),
        ]
    };
    let run = |args: Vec<String>| async move {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        cli(&args).await
    };
    let out = run(args("json")).await;
    let report: Value = serde_json::from_str(&assert_ok(&out)).unwrap();
    let company = |m: &str| {
        report["company"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["measure"] == m)
            .unwrap_or_else(|| panic!("{m} in {report}"))
            .clone()
    };
    assert_eq!(
        company("posts"),
        json!({"measure": "posts", "value": 4, "lower_bound": true}),
        "{report}"
    );
    assert_eq!(company("follows")["value"], 6);
    assert_eq!(company("follows")["lower_bound"], true);
    assert_eq!(
        company("new_users"),
        json!({"measure": "new_users", "value": 9, "lower_bound": false})
    );
    assert_eq!(
        company("boosts")["value"],
        Value::Null,
        "nothing shown anywhere"
    );
    let departments: Vec<&str> = report["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["department"].as_str().unwrap())
        .collect();
    let mut expected_departments = vec![
        eng_domain.as_str(),
        sales_domain.as_str(),
        ops_domain.as_str(),
    ];
    expected_departments.sort();
    assert_eq!(departments, expected_departments);
    // The matrix: each pair as its sender counted it.
    let pair = |from: &str, to: &str, kind: &str| {
        report["interactions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["from"] == from && i["to"] == to && i["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("{from} → {to} {kind} in {report}"))
    };
    let eng_sales = pair(&eng_domain, &sales_domain, "follows");
    assert_eq!(
        (eng_sales["value"].clone(), eng_sales["reported_by"].clone()),
        (json!(4), json!(eng_domain))
    );
    let sales_eng = pair(&sales_domain, &eng_domain, "follows");
    assert_eq!(
        (sales_eng["value"].clone(), sales_eng["reported_by"].clone()),
        (json!(2), json!(sales_domain))
    );
    let ops_eng = pair(&ops_domain, &eng_domain, "follows");
    assert_eq!(
        (ops_eng["value"].clone(), ops_eng["reported_by"].clone()),
        (Value::Null, json!(ops_domain))
    );
    assert_eq!(
        report["interactions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["from"] == eng_domain.as_str()
                && i["to"] == sales_domain.as_str()
                && i["kind"] == "follows")
            .count(),
        1,
        "each pair once"
    );
    let matrix = &report["matrix"];
    let index = |d: &str| {
        matrix["departments"]
            .as_array()
            .unwrap()
            .iter()
            .position(|x| x == d)
            .unwrap()
    };
    assert_eq!(
        matrix["cells"][index(&eng_domain)][index(&sales_domain)]["value"],
        4
    );
    assert_eq!(
        matrix["cells"][index(&sales_domain)][index(&eng_domain)]["value"],
        2
    );
    assert_eq!(
        matrix["cells"][index(&ops_domain)][index(&eng_domain)]["value"],
        Value::Null
    );
    assert_eq!(
        matrix["cells"][index(&eng_domain)][index(&ops_domain)],
        Value::Null,
        "nothing either way"
    );
    assert_eq!(report["hashtags"], json!([["rust", 4]]));
    // Nothing names anyone.
    let all = report.to_string();
    for name in ["alice", "bob", "sam", "sue", "olga", "root"] {
        assert!(!all.contains(name), "{name} named in {all}");
    }

    // CSV: a header and one row per number.
    let out = run(args("csv")).await;
    let csv = assert_ok(&out);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("section,department,other_department,hashtag,measure,value,lower_bound,suppressed")
    );
    assert!(csv.contains("company,,,,posts,4,true,false\r\n"), "{csv}");
    assert!(
        csv.contains(&format!(
            "interaction,{eng_domain},{sales_domain},,follows,4,false,false\r\n"
        )),
        "{csv}"
    );
    assert!(
        csv.contains(&format!(
            "interaction,{ops_domain},{eng_domain},,follows,,false,true\r\n"
        )),
        "{csv}"
    );
    assert!(
        csv.contains("hashtag,,,rust,hashtags,4,false,false\r\n"),
        "{csv}"
    );

    // A wrong token is one clear error (and --partial reports the others, naming it).
    let mut bad = args("json");
    bad[7] = "--token=not-a-token".into();
    let out = run(bad.clone()).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: could not collect http://"), "{err}");
    assert!(err.contains("401"), "{err}");
    bad.push("--partial".into());
    let out = run(bad).await;
    let partial: Value = serde_json::from_str(&assert_ok(&out)).unwrap();
    assert_eq!(partial["departments"].as_array().unwrap().len(), 2);
    assert_eq!(partial["missing"].as_array().unwrap().len(), 1);
    let mut odd = args("json");
    odd.truncate(7);
    let out = run(odd).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.starts_with("error: give one --token per --department (2 departments, 1 tokens)"),
        "{err}"
    );

    // The company page of Engineering (configured with Sales and Ops) says the same.
    let browser = console_browser(eng, "ada", "correct horse battery").await;
    let (status, html) = page(eng, &browser, &format!("/admin/engagement/company?{range}")).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("<th scope=\"row\">Posts</th><td>at least 4</td>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("<th scope=\"row\">{sales_domain}</th>")),
        "{html}"
    );
    assert!(
        html.contains("class=\"suppressed\">suppressed</td>"),
        "{html}"
    );
    assert!(!html.contains("Not collected"), "{html}");
    let resp = browser
        .get(eng.url(&format!(
            "/admin/engagement/company/export?format=csv&{range}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Who is active moves as people use the apps (Ada just signed in): the rest is the same.
    let steady = |csv: &str| -> Vec<String> {
        csv.lines()
            .filter(|l| !l.contains(",active_users,"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        steady(&resp.text().await.unwrap()),
        steady(&csv),
        "the page's download is the CLI's report"
    );
    // A department whose token no longer works is named, the others still reported.
    std::fs::write(&files[0], "revoked").unwrap();
    let (status, html) = page(eng, &browser, &format!("/admin/engagement/company?{range}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Not collected"), "{html}");
    assert!(
        html.contains(&format!("http://{sales_domain}/: answered 401")),
        "{html}"
    );
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(the_company_report_brings_every_department_together);

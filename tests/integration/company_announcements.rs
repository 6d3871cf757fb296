//! Company-wide announcements: published in one department, shown to employees of every
//! department that federates with it (and accepts its announcements), changed and withdrawn
//! there by the publisher only; each department reports back how many it reached and, once
//! enough read it to name nobody, how many did.

use serde_json::{Value, json};

use crate::common::*;
use crate::federation::{departments_with, domain, eventually};
use crate::on_both_backends;
use crate::policy::staff;
use crate::snapshots::normalise;
use crate::usage_policy::send;
use groundswell::service::users::Role;

/// The announcements `user` sees now (content of each), with the dismissed ones.
async fn shown(f: &Fixture, user: &TestUser) -> Vec<(String, String)> {
    let (code, list) = f
        .get(Some(user), "/api/v1/announcements?with_dismissed=true")
        .await;
    assert_eq!(code, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                a["content"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Wait until `user` sees an announcement containing `needle`; its id there.
async fn arrives(f: &Fixture, user: &TestUser, needle: &str) -> String {
    eventually(&format!("`{needle}` shown"), || async {
        shown(f, user)
            .await
            .into_iter()
            .find(|(_, c)| c.contains(needle))
            .map(|(id, _)| id)
    })
    .await
}

/// Wait until `user` no longer sees an announcement containing `needle`.
async fn leaves(f: &Fixture, user: &TestUser, needle: &str) {
    eventually(&format!("`{needle}` gone"), || async {
        (!shown(f, user).await.iter().any(|(_, c)| c.contains(needle))).then_some(())
    })
    .await
}

/// The admin list's entry of announcement `id`.
async fn admin_entry(f: &Fixture, admin: &TestUser, id: &str) -> Value {
    let (code, list) = f
        .get(Some(admin), "/api/v1/groundswell/admin/announcements")
        .await;
    assert_eq!(code, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("announcement {id} listed: {list}"))
        .clone()
}

/// Nothing waits in `f`'s delivery queue.
async fn delivered(f: &Fixture) {
    eventually("the delivery queue empty", || async {
        let stats = f
            .ctx
            .db
            .read(groundswell::service::outbox::stats)
            .await
            .unwrap();
        (stats.unprepared == 0 && stats.pending == 0).then_some(())
    })
    .await
}

/// Engineering announces to the company: Sales shows it and reports its reach and reads;
/// Ops, which takes announcements only from elsewhere, does not show it. Only Engineering
/// changes or withdraws it; a department's own announcements stay home.
async fn company_wide_announcements_reach_every_department(db: TestDb) {
    let deps = departments_with(
        db,
        3,
        |_, _| true,
        |i, s| {
            s.metrics.min_group_size = 2;
            if i == 2 {
                s.federation.announcements_from = vec!["hq.corp.example".into()];
            }
        },
    )
    .await;
    let (eng, sales, ops) = (&deps[0], &deps[1], &deps[2]);
    let eng_admin = staff(eng, "eng_admin", Role::Admin).await;
    let alice = eng.user("alice").await;
    let sales_admin = staff(sales, "sales_admin", Role::Admin).await;
    let mut sales_people = Vec::new();
    for name in ["bob", "carol", "dan"] {
        sales_people.push(sales.user(name).await);
    }
    let olga = ops.user("olga").await;

    let (code, local) = eng
        .post(
            &eng_admin,
            "/api/v1/groundswell/admin/announcements",
            json!({"text": "Eng lunch on Thursday"}),
        )
        .await;
    assert_eq!(code, 200, "{local}");
    assert_eq!(local["company_wide"], false);
    let (code, made) = eng
        .post(
            &eng_admin,
            "/api/v1/groundswell/admin/announcements",
            json!({"text": "**All hands** on Friday", "company_wide": true}),
        )
        .await;
    assert_eq!(code, 200, "{made}");
    assert_eq!(made["company_wide"], true);
    assert_eq!(made["origin"], Value::Null);
    let id = made["id"].as_str().unwrap().to_string();

    // Sales shows it as its own (rendered as Engineering wrote it); not the local one.
    let bob = &sales_people[0];
    let on_sales = arrives(sales, bob, "All hands").await;
    let (_, list) = sales.get(Some(bob), "/api/v1/announcements").await;
    assert_eq!(
        list[0]["content"],
        "<p><strong>All hands</strong> on Friday</p>\n"
    );
    assert_eq!(list[0]["read"], false);
    insta::assert_json_snapshot!("announcement", normalise(&list[0], &sales.base));
    assert!(
        !list.to_string().contains("Eng lunch"),
        "a department's own announcement stays home: {list}"
    );
    // Ops takes announcements only from hq.corp.example: delivered, not shown.
    delivered(eng).await;
    assert!(shown(ops, &olga).await.is_empty(), "Ops does not show it");

    // Sales' administrators see it, from Engineering, and cannot change or withdraw it.
    let sales_view = admin_entry(sales, &sales_admin, &on_sales).await;
    assert_eq!(sales_view["origin"], domain(eng));
    assert_eq!(sales_view["company"], Value::Null);
    let (code, body) = send(
        sales,
        reqwest::Method::DELETE,
        &sales_admin,
        &format!("/api/v1/groundswell/admin/announcements/{on_sales}"),
        json!({}),
    )
    .await;
    assert_eq!(code, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains(&domain(eng)),
        "{body}"
    );
    let (code, _) = send(
        sales,
        reqwest::Method::PUT,
        &sales_admin,
        &format!("/api/v1/groundswell/admin/announcements/{on_sales}"),
        json!({"text": "Edited in Sales"}),
    )
    .await;
    assert_eq!(code, 422);

    // Sales reports its reach at once; a single reader is not reported (2 at least).
    let sales_reach = |entry: &Value| {
        entry["company"]["departments"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["domain"] == domain(sales)).cloned())
    };
    let sales_audience = 4; // bob, carol, dan and the administrator
    let first = eventually("Sales' reach reported", || async {
        sales_reach(&admin_entry(eng, &eng_admin, &id).await)
    })
    .await;
    assert_eq!(first["audience"], sales_audience, "{first}");
    assert_eq!(first["read_by"], Value::Null);
    assert_eq!(first["read_by_suppressed"], true);
    for (n, person) in sales_people[..2].iter().enumerate() {
        let (code, _) = sales
            .post(
                person,
                &format!("/api/v1/announcements/{on_sales}/dismiss"),
                json!({}),
            )
            .await;
        assert_eq!(code, 200);
        if n == 0 {
            // One reader would be named by a count: nothing new is reported.
            delivered(sales).await;
            let entry = admin_entry(eng, &eng_admin, &id).await;
            assert_eq!(sales_reach(&entry).unwrap()["read_by"], Value::Null);
        }
    }
    eventually("Sales' two readers reported", || async {
        let entry = admin_entry(eng, &eng_admin, &id).await;
        (sales_reach(&entry)?["read_by"] == 2).then_some(())
    })
    .await;
    // Alice alone read it in Engineering: suppressed there, so the company total counts
    // Sales' two and says it is a lower bound.
    eng.post(
        &alice,
        &format!("/api/v1/announcements/{id}/dismiss"),
        json!({}),
    )
    .await;
    let entry = admin_entry(eng, &eng_admin, &id).await;
    let company = &entry["company"];
    let eng_audience = 2; // the administrator and Alice
    assert_eq!(
        company["audience"],
        eng_audience + sales_audience,
        "{entry}"
    );
    assert_eq!(company["read_by"], 2);
    assert_eq!(company["read_by_is_lower_bound"], true);
    assert_eq!(company["departments"][0]["domain"], domain(eng));
    assert_eq!(company["departments"][0]["read_by"], Value::Null);
    assert_eq!(entry["read_by"], Value::Null, "one reader here: suppressed");
    for name in ["alice", "bob", "carol"] {
        assert!(!entry.to_string().contains(name), "never who: {entry}");
    }
    let named = entry
        .to_string()
        .replace(&domain(sales), "sales.test")
        .replace(&domain(eng), "eng.test");
    let named: Value = serde_json::from_str(&named).unwrap();
    insta::assert_json_snapshot!("admin_company_announcement", normalise(&named, &eng.base));

    // Engineering edits it: Sales shows the new text, read state kept.
    let (code, body) = send(
        eng,
        reqwest::Method::PUT,
        &eng_admin,
        &format!("/api/v1/groundswell/admin/announcements/{id}"),
        json!({"text": "**All hands** moved to Monday", "company_wide": true}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    arrives(sales, bob, "moved to Monday").await;
    let (_, list) = sales
        .get(Some(bob), "/api/v1/announcements?with_dismissed=true")
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["read"], true);

    // The local one made company-wide reaches Sales; no longer company-wide, it leaves.
    let local_id = local["id"].as_str().unwrap();
    let path = format!("/api/v1/groundswell/admin/announcements/{local_id}");
    let (code, _) = send(
        eng,
        reqwest::Method::PUT,
        &eng_admin,
        &path,
        json!({"text": "Lunch for everyone on Thursday", "company_wide": true}),
    )
    .await;
    assert_eq!(code, 200);
    arrives(sales, bob, "Lunch for everyone").await;
    let (code, _) = send(
        eng,
        reqwest::Method::PUT,
        &eng_admin,
        &path,
        json!({"text": "Lunch for Eng on Thursday", "company_wide": false}),
    )
    .await;
    assert_eq!(code, 200);
    leaves(sales, bob, "Lunch").await;

    // Other departments fetch it signed only.
    let resp = eng
        .client
        .get(eng.url(&format!("/announcements/{id}")))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "unsigned fetches are refused");

    // Withdrawn: gone in Sales too.
    let (code, _) = send(
        eng,
        reqwest::Method::DELETE,
        &eng_admin,
        &format!("/api/v1/groundswell/admin/announcements/{id}"),
        json!({}),
    )
    .await;
    assert_eq!(code, 200);
    leaves(sales, bob, "All hands").await;

    // From the CLI, with the company's reach in the list.
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "closed.md", "Offices closed on Monday");
    let out = assert_ok(&run_cli(
        &eng.db,
        &[
            "announcement",
            "publish",
            "--company-wide",
            file.to_str().unwrap(),
        ],
    ));
    assert!(out.starts_with("published announcement "), "{out}");
    let carol = &sales_people[1];
    arrives(sales, carol, "Offices closed").await;
    // (The CLI reads the default settings: a threshold of 5.)
    let listed = eventually("Sales' reach in the CLI's list", || async {
        let listed = assert_ok(&run_cli(&eng.db, &["announcement", "list"]));
        listed
            .contains(&format!(
                "{}: fewer than 5 of {sales_audience}",
                domain(sales)
            ))
            .then_some(listed)
    })
    .await;
    assert!(
        listed.contains("company-wide") && listed.contains("across the company: read by"),
        "{listed}"
    );
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(company_wide_announcements_reach_every_department);

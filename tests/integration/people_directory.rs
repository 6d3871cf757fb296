//! The people directory across three real departments: each publishes its discoverable
//! employees (`GET /directory`, signed fetches only) and syncs the others'; an employee
//! finds colleagues anywhere by what they post about or follow, by name, title or
//! department. Opting out (`discoverable`), a suspension, deletion by the IdP (SCIM), a
//! department-only post's hashtag: none of them shows.

use serde_json::{Value, json};

use crate::common::*;
use crate::federation::{departments_with, domain, eventually};
use crate::on_both_backends;
use crate::policy::staff;
use groundswell::service::users::Role;

async fn people(f: &Fixture, who: &TestUser, query: &str) -> Vec<Value> {
    let (code, body) = f
        .get(Some(who), &format!("/api/v1/groundswell/people?{query}"))
        .await;
    assert_eq!(code, 200, "{body}");
    body.as_array().unwrap().clone()
}

fn accts(found: &[Value]) -> Vec<String> {
    found
        .iter()
        .map(|p| p["acct"].as_str().unwrap().to_string())
        .collect()
}

async fn patch_profile(f: &Fixture, who: &TestUser, body: Value) {
    let resp = f
        .client
        .patch(f.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&who.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

const SCIM_TOKEN: &str = "ops-scim-secret";

/// A SCIM call to `f` as the company's provisioning client.
async fn scim(
    f: &Fixture,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = f
        .client
        .request(method, f.url(&format!("/scim/v2{path}")))
        .bearer_auth(SCIM_TOKEN);
    if let Some(body) = body {
        req = req
            .header("content-type", "application/scim+json")
            .body(body.to_string());
    }
    let resp = req.send().await.unwrap();
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or(Value::Null))
}

async fn directory_finds_colleagues_in_every_department(db: TestDb) {
    let deps = departments_with(
        db,
        3,
        |_, _| true,
        |i, s| {
            s.directory.sync_interval_secs = 1;
            if i == 2 {
                s.auth.scim.token = SCIM_TOKEN.into();
            }
        },
    )
    .await;
    let (eng, sales, ops) = (&deps[0], &deps[1], &deps[2]);
    let (sales_domain, ops_domain) = (domain(sales), domain(ops));
    let alice = eng.user("alice").await;
    let sam = sales.user("sam").await;
    let sue = sales.user("sue").await;
    let olga = ops.user("olga").await;
    let ops_admin = staff(ops, "root", Role::Admin).await;

    // Alice: a platform engineer who posts about #rust and follows #kubernetes.
    patch_profile(
        eng,
        &alice,
        json!({"display_name": "Alice Liddell",
               "fields_attributes": [{"name": "Title", "value": "Platform engineer"}]}),
    )
    .await;
    for text in ["Shipping #rust today", "More #Rust notes"] {
        eng.status(&alice, json!({"status": text})).await;
    }
    let (code, body) = eng
        .post(&alice, "/api/v1/tags/kubernetes/follow", json!({}))
        .await;
    assert_eq!(code, 200, "{body}");
    // Sam posts about #rust once, and about #falcon only to his department.
    sales
        .status(&sam, json!({"status": "Learning #rust"}))
        .await;
    sales
        .status(
            &sam,
            json!({"status": "Project #falcon update", "visibility": "local"}),
        )
        .await;
    // Sue posts about #rust but is not discoverable.
    patch_profile(sales, &sue, json!({"discoverable": false})).await;
    sales.status(&sue, json!({"status": "Also #rust"})).await;
    // Olga in Ops posts about #kubernetes.
    ops.status(&olga, json!({"status": "Upgrading #kubernetes"}))
        .await;

    // "Who knows about Rust?": Alice (two posts), then Sam (one); never Sue.
    let sam_acct = format!("sam@{sales_domain}");
    let found = eventually("the directory synced", || async {
        let found = people(eng, &alice, "tag=%23Rust").await;
        (accts(&found) == ["alice", sam_acct.as_str()]).then_some(found)
    })
    .await;
    assert_eq!(found[0]["department"], domain(eng));
    assert_eq!(
        found[0]["fields"],
        json!([{"name": "Title", "value": "Platform engineer"}])
    );
    assert_eq!(
        found[0]["interests"][0],
        json!({"name": "rust", "posts": 2, "follows": false})
    );
    assert_eq!(
        found[0]["id"],
        json!(alice.id),
        "known here: followable at once"
    );
    let sam_entry = &found[1];
    assert_eq!(sam_entry["department"], sales_domain.as_str());
    assert_eq!(sam_entry["display_name"], "sam");
    assert!(
        !sam_entry["interests"].to_string().contains("falcon"),
        "a department-only post's hashtag stays in its department: {sam_entry}"
    );
    // Kubernetes: Olga posts about it, Alice only follows it.
    let olga_acct = format!("olga@{ops_domain}");
    let found = eventually("Ops synced", || async {
        let found = people(eng, &alice, "tag=kubernetes").await;
        (accts(&found) == [olga_acct.as_str(), "alice"]).then_some(found)
    })
    .await;
    assert_eq!(
        found[1]["interests"][1],
        json!({"name": "kubernetes", "posts": 0, "follows": true})
    );
    // By name, title and department; Sales sees the same directory.
    assert_eq!(
        accts(&people(eng, &alice, "q=platform%20engineer").await),
        ["alice"]
    );
    assert_eq!(accts(&people(eng, &alice, "q=Liddell").await), ["alice"]);
    // Ops' administrator is an employee there too.
    let ops_root = format!("root@{ops_domain}");
    assert_eq!(
        accts(&people(eng, &alice, &format!("department={ops_domain}")).await),
        [olga_acct.as_str(), ops_root.as_str()]
    );
    eventually("Sales finds Alice", || async {
        let found = people(sales, &sam, "q=platform").await;
        (accts(&found) == [format!("alice@{}", domain(eng))]).then_some(())
    })
    .await;
    // Opting out and back in: Alice leaves the directory everywhere, then returns.
    patch_profile(eng, &alice, json!({"discoverable": false})).await;
    eventually("Alice gone from Sales' directory", || async {
        people(sales, &sam, "q=platform")
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    patch_profile(eng, &alice, json!({"discoverable": true})).await;
    eventually("Alice back", || async {
        (people(sales, &sam, "q=platform").await.len() == 1).then_some(())
    })
    .await;
    // Olga is suspended in Ops: gone from Engineering's directory.
    let (code, body) = ops
        .post(
            &ops_admin,
            &format!("/api/v1/admin/accounts/{}/action", olga.id),
            json!({"type": "suspend", "text": "left the company"}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    eventually("Olga gone", || async {
        let found = people(eng, &alice, &format!("department={ops_domain}")).await;
        (accts(&found) == [ops_root.as_str()]).then_some(())
    })
    .await;

    // Oscar, provisioned in Ops by the company's IdP (SCIM), is listed everywhere; when IT
    // deletes him there, he is gone from Engineering's directory too.
    let (code, oscar) = scim(
        ops,
        reqwest::Method::POST,
        "/Users",
        Some(
            json!({"userName": "oscar@corp.example", "displayName": "Oscar Ops",
                    "emails": [{"value": "oscar@corp.example"}]}),
        ),
    )
    .await;
    assert_eq!(code, 201, "{oscar}");
    eventually("Oscar listed in Engineering", || async {
        (people(eng, &alice, "q=oscar").await.len() == 1).then_some(())
    })
    .await;
    let (code, body) = scim(
        ops,
        reqwest::Method::DELETE,
        &format!("/Users/{}", oscar["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(code, 204, "{body}");
    eventually("Oscar gone", || async {
        people(eng, &alice, "q=oscar")
            .await
            .is_empty()
            .then_some(())
    })
    .await;

    // The collection is for departments only: unsigned fetches are refused; a token
    // without read:accounts cannot search.
    let resp = eng
        .client
        .get(eng.url("/directory"))
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let writer = eng.user_with_scopes("wanda", "write").await;
    let (code, body) = eng
        .get(Some(&writer), "/api/v1/groundswell/people?q=a")
        .await;
    assert_eq!(code, 403, "{body}");
    assert!(body["error"].is_string());
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(directory_finds_colleagues_in_every_department);

//! The federation policy changed at run time: real departments on loopback ports, over signed
//! ActivityPub. A block is in force at once, in both directions, on every app node, and is
//! lifted as quickly; silence and reject_media change what employees see; blocklist mode lets
//! unlisted departments in. Mastodon's admin endpoints keep Mastodon's shapes and checks.

use serde_json::{Value, json};

use crate::api_media::{photo, upload};
use crate::common::*;
use crate::federation::{departments, departments_with, domain, eventually, home_has, resolve};
use crate::on_both_backends;
use crate::usage_policy::{send, user_with_role};

on_both_backends!(
    a_department_blocked_at_run_time_is_refused_both_ways_until_allowed_again,
    silence_hides_from_public_timelines_and_reject_media_drops_attachments,
    blocklist_mode_lets_an_unlisted_department_in,
    the_admin_endpoints_have_mastodons_shapes_and_checks,
    the_cli_changes_the_policy_of_a_running_server,
);

const ADMIN_SCOPES: &str = "read write follow admin:read admin:write";

/// An unsigned activity claiming to come from `actor`: the inbox answers 403 when the policy
/// refuses the actor's department (checked first), 401 when it would let it in (unsigned).
async fn inbox_probe(f: &Fixture, base: &str, actor: &str) -> u16 {
    f.client
        .post(format!("{base}/inbox"))
        .header("Content-Type", "application/activity+json")
        .json(&json!({
            "id": format!("{actor}/activities/probe"),
            "type": "Follow",
            "actor": actor,
            "object": format!("{base}/users/nobody"),
        }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `who` on `from` follows `acct` and waits until it is accepted.
async fn follow(from: &Fixture, who: &TestUser, acct: &str) {
    let id = resolve(from, who, acct).await;
    let (code, rel) = from
        .post(who, &format!("/api/v1/accounts/{id}/follow"), json!({}))
        .await;
    assert_eq!(code, 200, "{rel}");
    eventually("the follow to be accepted", || async {
        let (_, rels) = from
            .get(
                Some(who),
                &format!("/api/v1/accounts/relationships?id[]={id}"),
            )
            .await;
        (rels[0]["following"] == true).then_some(())
    })
    .await;
}

/// Search `acct` with resolve: the accounts found.
async fn search(f: &Fixture, who: &TestUser, acct: &str) -> Value {
    let (code, body) = f
        .get(
            Some(who),
            &format!(
                "/api/v2/search?q=%40{}&resolve=true&type=accounts",
                acct.replace('@', "%40")
            ),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    body["accounts"].clone()
}

/// Once the activity whose payload contains `needle` is prepared: how many deliveries it has
/// to `to`.
async fn deliveries_to(f: &Fixture, needle: &str, to: &str) -> Option<i64> {
    let (needle, to) = (format!("%{needle}%"), to.to_string());
    f.ctx
        .db
        .read(move |conn| {
            use diesel::prelude::*;
            use groundswell::db::schema::{deliveries, outgoing_activities};
            let prepared: Vec<i64> = outgoing_activities::table
                .filter(outgoing_activities::payload.like(&needle))
                .select(outgoing_activities::id)
                .load(conn)?;
            if prepared.is_empty() {
                return Ok(None);
            }
            Ok(Some(
                deliveries::table
                    .filter(deliveries::activity_id.eq_any(prepared))
                    .filter(deliveries::domain.eq(&to))
                    .count()
                    .get_result(conn)?,
            ))
        })
        .await
        .unwrap()
}

async fn a_department_blocked_at_run_time_is_refused_both_ways_until_allowed_again(db: TestDb) {
    warn_log();
    let deps = departments(db, 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let root = user_with_role(eng, "root", "admin", ADMIN_SCOPES).await;
    let alice = eng.user("alice").await;
    let bob = sales.user("bob").await;
    let (eng_domain, sales_domain) = (domain(eng), domain(sales));
    follow(sales, &bob, &format!("alice@{eng_domain}")).await;
    follow(eng, &alice, &format!("bob@{sales_domain}")).await;
    eng.status(&alice, json!({"status": "Before the block"}))
        .await;
    eventually("alice's post on Sales", || {
        home_has(sales, &bob, "Before the block")
    })
    .await;

    // An admin suspends Sales: in force at once, no restart.
    let (code, block) = eng
        .post(
            &root,
            "/api/v1/admin/domain_blocks",
            json!({"domain": sales_domain, "severity": "suspend"}),
        )
        .await;
    assert_eq!(code, 200, "{block}");
    assert_eq!(block["severity"], "suspend");
    let sales_actor = format!("http://{sales_domain}/users/bob");
    assert_eq!(inbox_probe(eng, &eng.base, &sales_actor).await, 403);

    // Nothing is sent to Sales …
    eng.status(&alice, json!({"status": "During the block"}))
        .await;
    let sent = eventually("the post prepared for delivery", || {
        deliveries_to(eng, "During the block", &sales_domain)
    })
    .await;
    assert_eq!(sent, 0, "a delivery to a suspended department was queued");
    // … what Sales delivers is refused with 403 …
    sales
        .status(&bob, json!({"status": "From Sales during the block"}))
        .await;
    eventually("Sales to be refused with 403", || async {
        let refused = warn_log().lines_with(&[
            "another server refused a delivery",
            &format!("{eng_domain}/"),
            "status=403",
        ]);
        (!refused.is_empty()).then_some(())
    })
    .await;
    assert!(
        home_has(eng, &alice, "From Sales during the block")
            .await
            .is_none()
    );
    // … and neither fetches from the other.
    sales.user("carl").await;
    assert_eq!(
        search(eng, &alice, &format!("carl@{sales_domain}")).await,
        json!([])
    );
    eng.user("erin").await;
    assert_eq!(
        search(sales, &bob, &format!("erin@{eng_domain}")).await,
        json!([])
    );

    // Lifted by the CLI (another process): Sales is allowed again, both ways.
    let out = assert_ok(&run_cli(&eng.db, &["federation", "remove", &sales_domain]));
    assert!(out.contains("removed the block"), "{out}");
    eventually("the inbox to let Sales in again", || async {
        (inbox_probe(eng, &eng.base, &sales_actor).await == 401).then_some(())
    })
    .await;
    eng.status(&alice, json!({"status": "After the block"}))
        .await;
    eventually("alice's new post on Sales", || {
        home_has(sales, &bob, "After the block")
    })
    .await;
    assert!(
        home_has(sales, &bob, "During the block").await.is_none(),
        "what was not sent during the block is not sent later"
    );
    sales
        .status(&bob, json!({"status": "From Sales after the block"}))
        .await;
    eventually("bob's post on Eng", || {
        home_has(eng, &alice, "From Sales after the block")
    })
    .await;
    let found = search(eng, &alice, &format!("carl@{sales_domain}")).await;
    assert_eq!(found[0]["username"], "carl", "{found}");
}

async fn silence_hides_from_public_timelines_and_reject_media_drops_attachments(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_path_buf();
    let deps = departments_with(
        db,
        2,
        |_, _| true,
        move |i, s| s.storage.data_dir = data_dir.join(i.to_string()),
    )
    .await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let root = user_with_role(eng, "root", "admin", ADMIN_SCOPES).await;
    let alice = eng.user("alice").await;
    let ann = eng.user("ann").await;
    let bob = sales.user("bob").await;
    let sales_domain = domain(sales);
    follow(eng, &alice, &format!("bob@{sales_domain}")).await;

    let (code, block) = eng
        .post(
            &root,
            "/api/v1/admin/domain_blocks",
            json!({"domain": sales_domain, "severity": "silence", "reject_media": true}),
        )
        .await;
    assert_eq!(code, 200, "{block}");
    let block_id = block["id"].as_str().unwrap().to_string();

    let (code, media) = upload(sales, &bob, photo(64, 48), Some("a chart")).await;
    assert_eq!(code, 200, "{media}");
    sales
        .status(
            &bob,
            json!({"status": "Quarterly #news from Sales", "media_ids": [media["id"]]}),
        )
        .await;
    // Alice follows bob: his post is in her home, without its attachment.
    let seen = eventually("bob's post in alice's home", || {
        home_has(eng, &alice, "Quarterly")
    })
    .await;
    assert_eq!(seen["media_attachments"], json!([]), "{seen}");
    let stored: i64 = eng
        .ctx
        .db
        .read(|conn| {
            use diesel::prelude::*;
            use groundswell::db::schema::media_attachments;
            Ok(media_attachments::table.count().get_result(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(stored, 0, "a rejected department's attachment was stored");

    // The public and hashtag timelines hide it from those who do not follow bob.
    let has = |body: &Value, needle: &str| {
        body.as_array()
            .unwrap()
            .iter()
            .any(|s| s["content"].as_str().is_some_and(|c| c.contains(needle)))
    };
    for path in [
        "/api/v1/timelines/public?remote=true",
        "/api/v1/timelines/public",
        "/api/v1/timelines/tag/news",
    ] {
        let (_, body) = eng.get(Some(&ann), path).await;
        assert!(!has(&body, "Quarterly"), "{path} for ann: {body}");
        let (_, body) = eng.get(None, path).await;
        assert!(!has(&body, "Quarterly"), "{path} anonymous: {body}");
        let (_, body) = eng.get(Some(&alice), path).await;
        assert!(
            has(&body, "Quarterly"),
            "{path} for alice, who follows bob: {body}"
        );
    }

    // Changed to media only: the post is public again at once; new attachments are stored.
    let (code, changed) = send(
        eng,
        reqwest::Method::PUT,
        &root,
        &format!("/api/v1/admin/domain_blocks/{block_id}"),
        json!({"severity": "noop", "reject_media": false}),
    )
    .await;
    assert_eq!(code, 200, "{changed}");
    let (_, body) = eng
        .get(Some(&ann), "/api/v1/timelines/public?remote=true")
        .await;
    assert!(has(&body, "Quarterly"), "{body}");
    let (_, media) = upload(sales, &bob, photo(32, 32), Some("a photo")).await;
    sales
        .status(
            &bob,
            json!({"status": "Team photo from Sales", "media_ids": [media["id"]]}),
        )
        .await;
    let seen = eventually("bob's photo in alice's home", || {
        home_has(eng, &alice, "Team photo")
    })
    .await;
    assert_eq!(seen["media_attachments"].as_array().unwrap().len(), 1);
    let id = seen["id"].as_str().unwrap().to_string();

    // Media rejected again: what was stored is no longer shown.
    let (code, _) = send(
        eng,
        reqwest::Method::PUT,
        &root,
        &format!("/api/v1/admin/domain_blocks/{block_id}"),
        json!({"reject_media": true}),
    )
    .await;
    assert_eq!(code, 200);
    let (_, status) = eng
        .get(Some(&alice), &format!("/api/v1/statuses/{id}"))
        .await;
    assert_eq!(status["media_attachments"], json!([]), "{status}");
}

async fn blocklist_mode_lets_an_unlisted_department_in(db: TestDb) {
    // Eng allows nobody by its config; Sales allows Eng.
    let deps = departments(db, 2, |i, _| i == 1).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let root = user_with_role(eng, "root", "admin", ADMIN_SCOPES).await;
    let moderator = user_with_role(eng, "mod", "moderator", ADMIN_SCOPES).await;
    let alice = eng.user("alice").await;
    let bob = sales.user("bob").await;
    let (eng_domain, sales_domain) = (domain(eng), domain(sales));
    let alice_acct = format!("alice@{eng_domain}");
    assert_eq!(search(sales, &bob, &alice_acct).await, json!([]));

    let (code, mode) = eng
        .get(Some(&moderator), "/api/v1/groundswell/admin/federation")
        .await;
    assert_eq!(code, 200);
    assert_eq!(mode, json!({"mode": "allowlist", "configured_domains": []}));
    let (code, _) = send(
        eng,
        reqwest::Method::PUT,
        &moderator,
        "/api/v1/groundswell/admin/federation",
        json!({"mode": "blocklist"}),
    )
    .await;
    assert_eq!(code, 403, "moderators read the mode, admins change it");
    let (code, bad) = send(
        eng,
        reqwest::Method::PUT,
        &root,
        "/api/v1/groundswell/admin/federation",
        json!({"mode": "open"}),
    )
    .await;
    assert_eq!(code, 422, "{bad}");
    let (code, mode) = send(
        eng,
        reqwest::Method::PUT,
        &root,
        "/api/v1/groundswell/admin/federation",
        json!({"mode": "blocklist"}),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(mode["mode"], "blocklist");

    // Sales, listed nowhere at Eng, now federates with it.
    follow(sales, &bob, &alice_acct).await;
    eng.status(&alice, json!({"status": "Hello from blocklist mode"}))
        .await;
    eventually("alice's post on Sales", || {
        home_has(sales, &bob, "Hello from blocklist mode")
    })
    .await;

    // A suspension refuses it again, in either mode.
    let (code, _) = eng
        .post(
            &root,
            "/api/v1/admin/domain_blocks",
            json!({"domain": sales_domain, "severity": "suspend"}),
        )
        .await;
    assert_eq!(code, 200);
    let actor = format!("http://{sales_domain}/users/bob");
    assert_eq!(inbox_probe(eng, &eng.base, &actor).await, 403);
    let other = "http://unlisted.example:8123/users/x";
    assert_eq!(inbox_probe(eng, &eng.base, other).await, 401);
    // Back to allowlist mode, an unlisted department is refused.
    send(
        eng,
        reqwest::Method::PUT,
        &root,
        "/api/v1/groundswell/admin/federation",
        json!({"mode": "allowlist"}),
    )
    .await;
    assert_eq!(inbox_probe(eng, &eng.base, other).await, 403);
}

async fn the_admin_endpoints_have_mastodons_shapes_and_checks(db: TestDb) {
    let f = Fixture::start(db).await;
    let root = user_with_role(&f, "root", "admin", ADMIN_SCOPES).await;
    let moderator = user_with_role(&f, "mod", "moderator", ADMIN_SCOPES).await;
    let employee = f.user_with_scopes("eve", ADMIN_SCOPES).await;
    let unscoped = user_with_role(&f, "plain", "admin", "read write").await;
    let allows_only = user_with_role(&f, "allows", "admin", "admin:read:domain_allows").await;
    let snap = |name: &str, v: &Value| {
        let normalised = crate::snapshots::normalise(v, &f.base);
        insta::assert_json_snapshot!(name, normalised);
    };

    // Domain allows: create (again: the same one), list, get, delete.
    let (code, allow) = f
        .post(
            &root,
            "/api/v1/admin/domain_allows",
            json!({"domain": "HR.corp.example"}),
        )
        .await;
    assert_eq!(code, 200, "{allow}");
    snap("admin_domain_allow", &allow);
    let (_, again) = f
        .post(
            &root,
            "/api/v1/admin/domain_allows",
            json!({"domain": "hr.corp.example"}),
        )
        .await;
    assert_eq!(again["id"], allow["id"]);
    let allow_id = allow["id"].as_str().unwrap();
    let (code, list) = f.get(Some(&moderator), "/api/v1/admin/domain_allows").await;
    assert_eq!(code, 200);
    assert_eq!(list, json!([allow]));
    let (code, one) = f
        .get(
            Some(&allows_only),
            &format!("/api/v1/admin/domain_allows/{allow_id}"),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(one, allow);

    // Domain blocks: create, a covered subdomain refused with the existing block, change.
    let (code, block) = f
        .post(
            &root,
            "/api/v1/admin/domain_blocks",
            json!({
                "domain": "partner.example",
                "severity": "silence",
                "reject_media": true,
                "private_comment": "Floods the timeline",
                "public_comment": "Too many automated posts",
            }),
        )
        .await;
    assert_eq!(code, 200, "{block}");
    snap("admin_domain_block", &block);
    let (code, exists) = f
        .post(
            &root,
            "/api/v1/admin/domain_blocks",
            json!({"domain": "news.partner.example", "severity": "suspend"}),
        )
        .await;
    assert_eq!(code, 422);
    snap("admin_domain_block_exists", &exists);
    let block_id = block["id"].as_str().unwrap();
    let (code, changed) = send(
        &f,
        reqwest::Method::PUT,
        &root,
        &format!("/api/v1/admin/domain_blocks/{block_id}"),
        json!({"severity": "suspend", "obfuscate": true, "private_comment": ""}),
    )
    .await;
    assert_eq!(code, 200, "{changed}");
    assert_eq!(changed["severity"], "suspend");
    assert_eq!(changed["obfuscate"], true);
    assert_eq!(changed["reject_media"], true, "unchanged");
    assert_eq!(changed["private_comment"], Value::Null);
    assert_eq!(changed["public_comment"], "Too many automated posts");
    let (_, list) = f.get(Some(&moderator), "/api/v1/admin/domain_blocks").await;
    assert_eq!(list, json!([changed]));
    for bad in [
        json!({"domain": "x.example", "severity": "ban"}),
        json!({"severity": "silence"}),
        json!({"domain": "*.x.example"}),
        json!({"domain": "x.example", "public_comment": "x".repeat(1001)}),
    ] {
        let (code, body) = f
            .post(&root, "/api/v1/admin/domain_blocks", bad.clone())
            .await;
        assert_eq!(code, 422, "{bad}: {body}");
    }

    // Who may do what: admins change, moderators read, employees nothing; the token's admin
    // scope is needed too.
    let reads = ["/api/v1/admin/domain_allows", "/api/v1/admin/domain_blocks"];
    for who in [&employee, &unscoped] {
        for path in reads {
            assert_eq!(
                f.get(Some(who), path).await.0,
                403,
                "{} {path}",
                who.username
            );
        }
    }
    assert_eq!(
        f.get(Some(&allows_only), "/api/v1/admin/domain_blocks")
            .await
            .0,
        403
    );
    for path in reads {
        assert_eq!(f.get(None, path).await.0, 401);
    }
    for who in [&moderator, &employee, &allows_only] {
        let (code, _) = f
            .post(
                who,
                "/api/v1/admin/domain_blocks",
                json!({"domain": "y.example"}),
            )
            .await;
        assert_eq!(code, 403, "{}", who.username);
        let (code, _) = f
            .post(
                who,
                "/api/v1/admin/domain_allows",
                json!({"domain": "y.example"}),
            )
            .await;
        assert_eq!(code, 403, "{}", who.username);
        let (code, _) = send(
            &f,
            reqwest::Method::DELETE,
            who,
            &format!("/api/v1/admin/domain_blocks/{block_id}"),
            json!({}),
        )
        .await;
        assert_eq!(code, 403, "{}", who.username);
    }

    // Deleting answers `{}`; what is gone is 404.
    for path in [
        format!("/api/v1/admin/domain_allows/{allow_id}"),
        format!("/api/v1/admin/domain_blocks/{block_id}"),
    ] {
        let (code, body) = send(&f, reqwest::Method::DELETE, &root, &path, json!({})).await;
        assert_eq!((code, body), (200, json!({})), "{path}");
        assert_eq!(f.get(Some(&root), &path).await.0, 404, "{path}");
    }
    f.stop().await;
}

async fn the_cli_changes_the_policy_of_a_running_server(db: TestDb) {
    let f = Fixture::start_with(db, |s| {
        s.federation.allowed_domains = vec!["sales.corp.example".into()];
    })
    .await;
    let sales = "https://sales.corp.example/users/bob";
    let probe = || inbox_probe(&f, &f.base, sales);
    assert_eq!(probe().await, 401);

    let out = assert_ok(&run_cli(
        &f.db,
        &["federation", "block", "sales.corp.example"],
    ));
    assert_eq!(
        out.trim(),
        "blocked sales.corp.example and its subdomains: suspend"
    );
    eventually("the CLI's block in force", || async {
        (probe().await == 403).then_some(())
    })
    .await;
    let out = assert_ok(&run_cli(
        &f.db,
        &["federation", "allow", "sales.corp.example"],
    ));
    assert!(
        out.starts_with("allowed sales.corp.example (its block is lifted)"),
        "{out}"
    );
    eventually("the CLI's allow in force", || async {
        (probe().await == 401).then_some(())
    })
    .await;

    let out = assert_ok(&run_cli(
        &f.db,
        &[
            "federation",
            "block",
            "partner.example",
            "--silence",
            "--reject-media",
        ],
    ));
    assert!(out.contains("silence, media rejected"), "{out}");
    let out = assert_ok(&run_cli(&f.db, &["federation", "mode", "blocklist"]));
    assert!(out.contains("DANGER_FEDERATION_ALLOW_LOCAL_IP"), "{out}");
    let unlisted = "https://unlisted.example/users/x";
    eventually("blocklist mode in force", || async {
        (inbox_probe(&f, &f.base, unlisted).await == 401).then_some(())
    })
    .await;
    let out = assert_ok(&run_cli(&f.db, &["federation", "list", "--format", "json"]));
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed["mode"], "blocklist");
    assert_eq!(listed["allows"][0]["domain"], "sales.corp.example");
    assert_eq!(listed["blocks"][0]["domain"], "partner.example");
    assert_eq!(listed["blocks"][0]["severity"], "silence");
    assert_eq!(listed["blocks"][0]["reject_media"], true);
    let table = assert_ok(&run_cli(&f.db, &["federation", "list"]));
    assert!(table.starts_with("mode: blocklist\n"), "{table}");
    assert!(table.contains("partner.example"), "{table}");

    // The whole policy as one file, and into another department.
    let exported = assert_ok(&run_cli(&f.db, &["federation", "export"]));
    assert!(exported.contains("mode = \"blocklist\""), "{exported}");
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "federation.toml", &exported);
    let other = f.db.another();
    assert_ok(&run_cli(&other, &["migrate"]));
    let out = assert_ok(&run_cli(
        &other,
        &["federation", "import", file.to_str().unwrap()],
    ));
    assert!(
        out.contains("mode blocklist, 1 allow(s), 1 block(s)"),
        "{out}"
    );
    assert_eq!(
        assert_ok(&run_cli(&other, &["federation", "export"])),
        exported
    );
    let json_out = assert_ok(&run_cli(
        &other,
        &["federation", "export", "--format", "json"],
    ));
    let json_file = write_file(dir.path(), "federation.json", &json_out);
    assert_ok(&run_cli(
        &other,
        &["federation", "import", json_file.to_str().unwrap()],
    ));
    assert_eq!(
        assert_ok(&run_cli(&other, &["federation", "export"])),
        exported
    );

    // Mistakes are one clear line.
    let line = assert_cli_error(&run_cli(&f.db, &["federation", "block", "*.corp.example"]));
    assert!(line.contains("wildcards"), "{line}");
    let line = assert_cli_error(&run_cli(
        &f.db,
        &["federation", "remove", "nothing.example"],
    ));
    assert!(line.contains("no rule names nothing.example"), "{line}");
    let bad = write_file(
        dir.path(),
        "bad.toml",
        "mode = \"allowlist\"\nallows = []\n",
    );
    let line = assert_cli_error(&run_cli(
        &f.db,
        &["federation", "import", bad.to_str().unwrap()],
    ));
    assert!(line.contains("allows"), "{line}");
    let twice = write_file(
        dir.path(),
        "twice.toml",
        "allow = [\"a.example\", \"A.example\"]\n",
    );
    let line = assert_cli_error(&run_cli(
        &f.db,
        &["federation", "import", twice.to_str().unwrap()],
    ));
    assert!(line.contains("`a.example` is allowed twice"), "{line}");
    assert_eq!(
        assert_ok(&run_cli(&f.db, &["federation", "export"])),
        exported,
        "a refused import changes nothing"
    );

    let out = assert_ok(&run_cli(
        &f.db,
        &["federation", "remove", "sales.corp.example"],
    ));
    assert!(
        out.contains("removed the allow of sales.corp.example"),
        "{out}"
    );
    f.stop().await;
}

/// Two app nodes on one PostgreSQL: a block made through one is enforced by the other at
/// once, and so is its lifting by the CLI.
#[actix_web::test]
async fn a_change_on_one_app_node_is_enforced_by_the_other() {
    crate::common::scenario(a_change_on_one_app_node_is_enforced_by_the_other_body()).await
}

async fn a_change_on_one_app_node_is_enforced_by_the_other_body() {
    let f = Fixture::start_with(TestDb::postgres(), |s| {
        s.federation.allowed_domains = vec!["sales.corp.example".into()];
    })
    .await;
    let root = user_with_role(&f, "root", "admin", ADMIN_SCOPES).await;
    let mut settings = (*f.ctx.settings).clone();
    settings.http.bind = "127.0.0.1:0".parse().unwrap();
    let (second, _) = start_server(settings).await;
    let other = format!("http://{}", second.addr);
    let sales = "https://sales.corp.example/users/bob";
    // The second node has read the policy (Sales allowed).
    assert_eq!(inbox_probe(&f, &other, sales).await, 401);

    let (code, block) = f
        .post(
            &root,
            "/api/v1/admin/domain_blocks",
            json!({"domain": "corp.example", "severity": "suspend"}),
        )
        .await;
    assert_eq!(code, 200, "{block}");
    eventually("the second node to refuse Sales", || async {
        (inbox_probe(&f, &other, sales).await == 403).then_some(())
    })
    .await;
    assert_ok(&run_cli(&f.db, &["federation", "remove", "corp.example"]));
    for base in [f.base.clone(), other.clone()] {
        eventually("both nodes to let Sales in again", || async {
            (inbox_probe(&f, &base, sales).await == 401).then_some(())
        })
        .await;
    }
    f.stop().await;
}

//! Department admins act: reports reach the moderators and are worked through Mastodon's
//! admin API; account actions take effect here and in the other departments; posts are taken
//! down with a reason; every action is in the audit log, which nothing can change.

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::common::*;
use crate::federation::{departments, domain, eventually, home_has, notification, resolve};
use crate::on_both_backends;
use crate::policy::staff;
use crate::security::sign_in;
use crate::write_path::follow;
use groundswell::service::users::{self, Role};

/// An employee who signs in with a password.
pub(crate) async fn with_password(f: &Fixture, name: &str, password: &str) -> TestUser {
    let (n, p) = (name.to_string(), password.to_string());
    let prepared = tokio::task::spawn_blocking(move || {
        let password = groundswell::auth::password::Password::parse(&p).unwrap();
        users::NewLocalUser::prepare(
            users::Username::parse(&n).unwrap(),
            users::Email::parse(&format!("{n}@eng.corp.example")).unwrap(),
            None,
            Role::User,
            Some(&password),
        )
        .unwrap()
    })
    .await
    .unwrap();
    let instance = f.ctx.settings.instance.clone();
    let scopes = groundswell::auth::Scopes::parse("read write follow").unwrap();
    let (id, token) = f
        .ctx
        .db
        .write(move |conn| {
            let user = users::create_local_user(conn, &instance, prepared)?;
            let token =
                groundswell::service::tokens::issue_personal_token(conn, &user, &scopes, None)?;
            Ok((user.account.id, token))
        })
        .await
        .unwrap();
    TestUser {
        username: name.to_string(),
        id: id.to_string(),
        token,
    }
}

async fn audit(f: &Fixture, admin: &TestUser, query: &str) -> Vec<Value> {
    let (code, body) = f
        .get(
            Some(admin),
            &format!("/api/v1/groundswell/admin/audit_log?{query}"),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    body.as_array().unwrap().clone()
}

fn actions(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

async fn act(f: &Fixture, by: &TestUser, id: &str, body: Value) -> (u16, Value) {
    f.post(by, &format!("/api/v1/admin/accounts/{id}/action"), body)
        .await
}

/// A report reaches the moderators (a notification, the queue); they assign it, resolve it,
/// reopen it and change its category through Mastodon's admin API; each step is audited.
async fn reports_reach_the_moderators_and_are_worked_through(db: TestDb) {
    let f = Fixture::start_with(db, |s| {
        s.instance.rules = vec!["Be kind".into(), "No spam".into()]
    })
    .await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let moderator = staff(&f, "mod", Role::Moderator).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let rude = f
        .status(
            &bob,
            json!({"status": "you are all wrong", "visibility": "private"}),
        )
        .await;
    follow(&f, &alice, &bob.id, json!({})).await;
    let (code, filed) = f
        .post(&alice, "/api/v1/reports", json!({"account_id": bob.id, "status_ids": [rude], "comment": "rude", "category": "other"}))
        .await;
    assert_eq!(code, 200, "{filed}");
    let id = filed["id"].as_str().unwrap().to_string();

    let told = notification(&f, &moderator, "admin.report")
        .await
        .expect("moderator told");
    assert_eq!(told["report"]["id"], id.as_str());
    assert_eq!(told["report"]["target_account"]["id"], bob.id.as_str());
    assert!(notification(&f, &admin, "admin.report").await.is_some());
    assert!(
        notification(&f, &bob, "admin.report").await.is_none(),
        "nobody else hears of it"
    );

    let (code, queue) = f.get(Some(&moderator), "/api/v1/admin/reports").await;
    assert_eq!(code, 200, "{queue}");
    assert_eq!(queue[0]["id"], id.as_str());
    assert_eq!(queue[0]["account"]["account"]["id"], alice.id.as_str());
    assert_eq!(queue[0]["target_account"]["account"]["id"], bob.id.as_str());
    assert_eq!(
        queue[0]["statuses"][0]["id"],
        rude.as_str(),
        "moderators see the reported post"
    );
    assert_eq!(f.get(Some(&alice), "/api/v1/admin/reports").await.0, 403);
    // The shape is Mastodon's Admin::Report.
    let normalised = crate::snapshots::normalise(&queue[0], &format!("http://{}", domain(&f)));
    insta::assert_json_snapshot!("admin_report", normalised);

    let url = |step: &str| format!("/api/v1/admin/reports/{id}/{step}");
    let (_, mine) = f.post(&moderator, &url("assign_to_self"), json!({})).await;
    assert_eq!(mine["assigned_account"]["id"], moderator.id.as_str());
    let (_, unassigned) = f.post(&moderator, &url("unassign"), json!({})).await;
    assert!(unassigned["assigned_account"].is_null());
    let resp = f
        .client
        .put(f.url(&format!("/api/v1/admin/reports/{id}")))
        .bearer_auth(&moderator.token)
        .json(&json!({"rule_ids": ["2"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let updated: Value = resp.json().await.unwrap();
    assert_eq!(updated["category"], "violation");
    assert_eq!(updated["rules"][0]["text"], "No spam");
    let (_, resolved) = f.post(&moderator, &url("resolve"), json!({})).await;
    assert_eq!(resolved["action_taken"], true);
    assert_eq!(
        resolved["action_taken_by_account"]["id"],
        moderator.id.as_str()
    );
    let (_, open) = f.get(Some(&moderator), "/api/v1/admin/reports").await;
    assert_eq!(open, json!([]));
    let (_, done) = f
        .get(Some(&moderator), "/api/v1/admin/reports?resolved=true")
        .await;
    assert_eq!(done[0]["id"], id.as_str());
    let (_, reopened) = f.post(&moderator, &url("reopen"), json!({})).await;
    assert_eq!(reopened["action_taken"], false);

    let log = audit(&f, &admin, &format!("target_type=report&target_id={id}")).await;
    assert_eq!(
        actions(&log),
        [
            "report.reopen",
            "report.resolve",
            "report.update",
            "report.unassign",
            "report.assign"
        ]
    );
    assert!(log.iter().all(|e| e["actor"] == "@mod"));
    f.stop().await;
}

on_both_backends!(reports_reach_the_moderators_and_are_worked_through);

/// Warn, sensitive, silence and disable take effect at once and are undone; the employee is
/// told; each is audited; a report answered by an action is resolved with it.
async fn account_actions_take_effect_and_are_undone(db: TestDb) {
    let f = Fixture::start(db).await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let moderator = staff(&f, "mod", Role::Moderator).await;
    let alice = with_password(&f, "alice", "correct horse battery").await;
    let carol = f.user("carol").await;
    let dave = f.user("dave").await;
    follow(&f, &dave, &alice.id, json!({})).await;
    let (_, report) = f
        .post(
            &carol,
            "/api/v1/reports",
            json!({"account_id": alice.id, "comment": "spam"}),
        )
        .await;
    let report_id = report["id"].as_str().unwrap();

    // Warn: the employee sees it; the report it answers is resolved.
    let (code, body) = act(
        &f,
        &moderator,
        &alice.id,
        json!({"type": "none", "text": "Keep it civil.", "report_id": report_id}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let warned = notification(&f, &alice, "moderation_warning")
        .await
        .expect("warned");
    assert_eq!(warned["moderation_warning"]["action"], "none");
    assert_eq!(warned["moderation_warning"]["text"], "Keep it civil.");
    let (_, answered) = f
        .get(
            Some(&moderator),
            &format!("/api/v1/admin/reports/{report_id}"),
        )
        .await;
    assert_eq!(answered["action_taken"], true);

    // Silence: off the department timeline for those who do not follow; followers still see.
    let post = f.status(&alice, json!({"status": "hello all"})).await;
    act(&f, &moderator, &alice.id, json!({"type": "silence"})).await;
    let (_, account) = f
        .get(
            Some(&moderator),
            &format!("/api/v1/admin/accounts/{}", alice.id),
        )
        .await;
    assert_eq!(account["silenced"], true);
    let public_has = |who: Option<&TestUser>| {
        let f = &f;
        let post = post.clone();
        let who = who.cloned();
        async move {
            let (_, tl) = f
                .get(who.as_ref(), "/api/v1/timelines/public?local=true")
                .await;
            tl.as_array()
                .unwrap()
                .iter()
                .any(|s| s["id"] == post.as_str())
        }
    };
    assert!(!public_has(Some(&carol)).await);
    assert!(!public_has(None).await);
    assert!(
        public_has(Some(&dave)).await,
        "followers still see a silenced account"
    );
    assert_eq!(
        f.get(Some(&carol), &format!("/api/v1/statuses/{post}"))
            .await
            .0,
        200
    );
    f.post(
        &moderator,
        &format!("/api/v1/admin/accounts/{}/unsilence", alice.id),
        json!({}),
    )
    .await;
    assert!(public_has(Some(&carol)).await);

    // Sensitive: every attachment shown as sensitive, until undone.
    let (_, media) =
        crate::api_media::upload(&f, &alice, crate::api_media::photo(32, 32), None).await;
    let pic = f
        .status(&alice, json!({"status": "pic", "media_ids": [media["id"]]}))
        .await;
    act(&f, &moderator, &alice.id, json!({"type": "sensitive"})).await;
    let (_, shown) = f
        .get(Some(&carol), &format!("/api/v1/statuses/{pic}"))
        .await;
    assert_eq!(shown["sensitive"], true);
    let (_, text_only) = f
        .get(Some(&carol), &format!("/api/v1/statuses/{post}"))
        .await;
    assert_eq!(
        text_only["sensitive"], false,
        "posts without media are not marked"
    );
    f.post(
        &moderator,
        &format!("/api/v1/admin/accounts/{}/unsensitive", alice.id),
        json!({}),
    )
    .await;
    assert_eq!(
        f.get(Some(&carol), &format!("/api/v1/statuses/{pic}"))
            .await
            .1["sensitive"],
        false
    );

    // Disable: no sign-in, tokens refused; enabled, she signs in again.
    assert_eq!(
        sign_in(&f, "alice", "correct horse battery", None).await,
        303
    );
    act(&f, &moderator, &alice.id, json!({"type": "disable"})).await;
    assert_eq!(
        f.get(Some(&alice), "/api/v1/accounts/verify_credentials")
            .await
            .0,
        401
    );
    assert_eq!(
        sign_in(&f, "alice", "correct horse battery", None).await,
        403
    );
    let (_, account) = f
        .get(
            Some(&moderator),
            &format!("/api/v1/admin/accounts/{}", alice.id),
        )
        .await;
    assert_eq!(account["disabled"], true);
    f.post(
        &moderator,
        &format!("/api/v1/admin/accounts/{}/enable", alice.id),
        json!({}),
    )
    .await;
    assert_eq!(
        sign_in(&f, "alice", "correct horse battery", None).await,
        303
    );

    let log = audit(
        &f,
        &admin,
        &format!("action=account.&target_id={}", alice.id),
    )
    .await;
    assert_eq!(
        actions(&log),
        [
            "account.enable",
            "account.disable",
            "account.unsensitive",
            "account.sensitive",
            "account.unsilence",
            "account.silence",
            "account.none"
        ]
    );
    assert_eq!(log.last().unwrap()["reason"], "Keep it civil.");
    assert!(actions(&audit(&f, &admin, "action=report.resolve").await).len() == 1);
    f.stop().await;
}

on_both_backends!(account_actions_take_effect_and_are_undone);

/// A suspension federates: the employee's tokens and streams end here, and the other
/// department hides the account and its posts; lifted, both show it again. A moderator
/// takes a post down with a reason: gone here and there, its author told why.
async fn suspensions_and_removals_reach_the_other_department(db: TestDb) {
    let deps = departments(db, 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let admin = staff(eng, "admin", Role::Admin).await;
    let moderator = staff(eng, "mod", Role::Moderator).await;
    let alice = eng.user("alice").await;
    let bob = sales.user("bob").await;
    let alice_on_sales = resolve(sales, &bob, &format!("alice@{}", domain(eng))).await;
    follow(sales, &bob, &alice_on_sales, json!({})).await;
    eng.status(&alice, json!({"status": "Quarterly plan"}))
        .await;
    let removable = eng
        .status(&alice, json!({"status": "Off-topic rant"}))
        .await;
    eventually("alice's posts at sales", || {
        home_has(sales, &bob, "Off-topic rant")
    })
    .await;

    // Taken down with a reason.
    let (code, body) = eng
        .post(
            &moderator,
            &format!("/api/v1/groundswell/admin/statuses/{removable}/remove"),
            json!({}),
        )
        .await;
    assert_eq!(code, 422, "a reason is required: {body}");
    let (code, _) = eng
        .post(
            &moderator,
            &format!("/api/v1/groundswell/admin/statuses/{removable}/remove"),
            json!({"reason": "Off-topic for the company channel."}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        eng.get(Some(&alice), &format!("/api/v1/statuses/{removable}"))
            .await
            .0,
        404
    );
    let warned = notification(eng, &alice, "moderation_warning")
        .await
        .unwrap();
    assert_eq!(warned["moderation_warning"]["action"], "delete_statuses");
    assert_eq!(
        warned["moderation_warning"]["status_ids"],
        json!([removable])
    );
    eventually("the post gone at sales", || async {
        home_has(sales, &bob, "Off-topic rant")
            .await
            .is_none()
            .then_some(())
    })
    .await;

    // Suspended: access ends here, the account hides there.
    let (code, _) = act(
        eng,
        &moderator,
        &alice.id,
        json!({"type": "suspend", "text": "Repeated harassment."}),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(
        eng.get(Some(&alice), "/api/v1/accounts/verify_credentials")
            .await
            .0,
        401
    );
    eventually("alice hidden at sales", || async {
        home_has(sales, &bob, "Quarterly plan")
            .await
            .is_none()
            .then_some(())
    })
    .await;
    let (code, body) = sales
        .get(
            Some(&bob),
            &format!("/api/v1/accounts/{alice_on_sales}/statuses"),
        )
        .await;
    assert!(code == 404 || body == json!([]), "{code} {body}");
    let (_, listed) = eng
        .get(Some(&moderator), "/api/v2/admin/accounts?status=suspended")
        .await;
    assert_eq!(listed[0]["id"], alice.id.as_str());

    // Lifted: shown again there.
    let (code, body) = eng
        .post(
            &moderator,
            &format!("/api/v1/admin/accounts/{}/unsuspend", alice.id),
            json!({}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["suspended"], false);
    eventually("alice shown again at sales", || {
        home_has(sales, &bob, "Quarterly plan")
    })
    .await;

    let log = audit(eng, &admin, &format!("target_id={}", alice.id)).await;
    assert_eq!(actions(&log), ["account.unsuspend", "account.suspend"]);
    let removal = audit(eng, &admin, "action=status.remove").await;
    assert_eq!(removal[0]["reason"], "Off-topic for the company channel.");
    assert_eq!(removal[0]["target_id"], removable.as_str());
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(suspensions_and_removals_reach_the_other_department);

/// Moderators act on employees, not on staff, and change neither roles nor rules;
/// administrators change roles (not their own); employees get 403 everywhere; the token's
/// admin scope is checked with the role.
async fn roles_and_scopes_bound_every_admin_endpoint(db: TestDb) {
    let f = Fixture::start(db).await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let other_admin = staff(&f, "root", Role::Admin).await;
    let moderator = staff(&f, "mod", Role::Moderator).await;
    let other_moderator = staff(&f, "mod2", Role::Moderator).await;
    let alice = f
        .user_with_scopes("alice", "read write admin:read admin:write")
        .await;
    let read_only = f.user_with_scopes("auditor", "read admin:read").await;
    let name = "auditor".to_string();
    f.ctx
        .db
        .write(move |c| users::set_role(c, &name, Role::Moderator).map(drop))
        .await
        .unwrap();
    let bob = f.user("bob").await;

    let reads = [
        "/api/v1/admin/accounts".to_string(),
        "/api/v2/admin/accounts".to_string(),
        format!("/api/v1/admin/accounts/{}", bob.id),
        "/api/v1/admin/reports".to_string(),
        "/api/v1/groundswell/admin/audit_log".to_string(),
    ];
    for path in &reads {
        assert_eq!(
            f.get(Some(&alice), path).await.0,
            403,
            "an employee reads {path}"
        );
    }
    for path in &reads[..4] {
        assert_eq!(
            f.get(Some(&moderator), path).await.0,
            200,
            "a moderator reads {path}"
        );
    }
    assert_eq!(
        f.get(Some(&moderator), &reads[4]).await.0,
        403,
        "the audit log is for administrators"
    );
    assert_eq!(f.get(Some(&admin), &reads[4]).await.0, 200);

    assert_eq!(
        act(&f, &alice, &bob.id, json!({"type": "silence"})).await.0,
        403
    );
    assert_eq!(
        act(&f, &read_only, &bob.id, json!({"type": "silence"}))
            .await
            .0,
        403,
        "admin:read does not act"
    );
    assert_eq!(
        act(
            &f,
            &moderator,
            &other_moderator.id,
            json!({"type": "silence"})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        act(&f, &moderator, &admin.id, json!({"type": "suspend"}))
            .await
            .0,
        403
    );
    assert_eq!(
        act(&f, &moderator, &moderator.id, json!({"type": "silence"}))
            .await
            .0,
        403
    );
    assert_eq!(
        act(&f, &admin, &admin.id, json!({"type": "suspend"}))
            .await
            .0,
        403
    );
    assert_eq!(
        act(&f, &admin, &other_moderator.id, json!({"type": "silence"}))
            .await
            .0,
        200
    );
    let (code, body) = act(&f, &moderator, &bob.id, json!({"type": "explode"})).await;
    assert_eq!(code, 422, "{body}");
    assert_eq!(
        act(&f, &moderator, "999999", json!({"type": "silence"}))
            .await
            .0,
        404
    );

    let role = |id: &str| format!("/api/v1/groundswell/admin/accounts/{id}/role");
    assert_eq!(
        f.post(&moderator, &role(&bob.id), json!({"role": "moderator"}))
            .await
            .0,
        403
    );
    assert_eq!(
        f.post(&admin, &role(&admin.id), json!({"role": "user"}))
            .await
            .0,
        403
    );
    let (code, promoted) = f
        .post(&admin, &role(&bob.id), json!({"role": "moderator"}))
        .await;
    assert_eq!(code, 200, "{promoted}");
    assert_eq!(promoted["role"]["name"], "Moderator");
    assert_eq!(promoted["role"]["permissions"], "1308");
    assert_eq!(
        f.post(&other_admin, &role(&bob.id), json!({"role": "pope"}))
            .await
            .0,
        422
    );
    let log = audit(&f, &admin, "action=account.role").await;
    assert_eq!(
        log[0]["details"],
        json!({"from": "user", "to": "moderator"})
    );

    // Nobody is pending approval.
    assert_eq!(
        f.post(
            &admin,
            &format!("/api/v1/admin/accounts/{}/approve", bob.id),
            json!({})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        f.post(
            &admin,
            &format!("/api/v1/admin/accounts/{}/reject", bob.id),
            json!({})
        )
        .await
        .0,
        403
    );
    f.stop().await;
}

on_both_backends!(roles_and_scopes_bound_every_admin_endpoint);

/// Mastodon's account listings filter as documented and page with `Link`.
async fn admin_account_listings_filter_and_page(db: TestDb) {
    let deps = departments(db, 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let admin = staff(eng, "admin", Role::Admin).await;
    let moderator = staff(eng, "mod", Role::Moderator).await;
    let alice = eng.user("alice").await;
    let carol = eng.user("carol").await;
    sales.user("bob").await;
    let bob = resolve(eng, &alice, &format!("bob@{}", domain(sales))).await;
    act(eng, &moderator, &carol.id, json!({"type": "silence"})).await;
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect()
    };
    let get = |q: &str| {
        let q = q.to_string();
        let (eng, admin) = (eng, &admin);
        async move { eng.get(Some(admin), &q).await.1 }
    };
    assert_eq!(
        ids(&get("/api/v2/admin/accounts?origin=remote").await),
        vec![bob.clone()]
    );
    assert_eq!(
        ids(&get("/api/v1/admin/accounts?remote=true").await),
        vec![bob.clone()]
    );
    assert_eq!(
        ids(&get(&format!(
            "/api/v2/admin/accounts?by_domain={}",
            domain(sales)
        ))
        .await),
        vec![bob.clone()]
    );
    assert_eq!(
        ids(&get("/api/v2/admin/accounts?status=silenced").await),
        vec![carol.id.clone()]
    );
    assert_eq!(
        ids(&get("/api/v1/admin/accounts?silenced=true").await),
        vec![carol.id.clone()]
    );
    assert_eq!(
        ids(&get("/api/v2/admin/accounts?username=ali").await),
        vec![alice.id.clone()]
    );
    assert_eq!(
        ids(&get("/api/v1/admin/accounts?email=carol@").await),
        vec![carol.id.clone()]
    );
    assert_eq!(
        ids(&get("/api/v2/admin/accounts?permissions=staff").await),
        vec![moderator.id.clone(), admin.id.clone()]
    );
    assert_eq!(
        ids(&get("/api/v2/admin/accounts?role_ids[]=1").await),
        vec![moderator.id.clone()]
    );
    assert_eq!(
        ids(&get("/api/v2/admin/accounts?status=pending").await),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&get("/api/v1/admin/accounts?ip=10.0.0.1").await),
        Vec::<String>::new()
    );
    let (code, _) = eng
        .get(Some(&admin), "/api/v2/admin/accounts?origin=mars")
        .await;
    assert_eq!(code, 422);
    let local = get("/api/v2/admin/accounts?origin=local&limit=2").await;
    assert_eq!(local.as_array().unwrap().len(), 2);
    let resp = eng
        .client
        .get(eng.url("/api/v2/admin/accounts?origin=local&limit=2"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    let link = resp.headers()["link"].to_str().unwrap().to_string();
    assert!(link.contains("rel=\"next\""), "{link}");
    // The shapes are Mastodon's Admin::Account.
    let one = eng
        .get(
            Some(&admin),
            &format!("/api/v1/admin/accounts/{}", alice.id),
        )
        .await
        .1;
    let normalised = crate::snapshots::normalise(&one, &format!("http://{}", domain(eng)));
    insta::assert_json_snapshot!("admin_account", normalised);
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(admin_account_listings_filter_and_page);

/// The audit log lists and exports (CSV, NDJSON) what was done, filtered; nothing can change
/// it, not even a direct connection to the database.
async fn the_audit_log_is_exported_and_append_only(db: TestDb) {
    let f = Fixture::start(db).await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let moderator = staff(&f, "mod", Role::Moderator).await;
    let alice = f.user("alice").await;
    act(
        &f,
        &moderator,
        &alice.id,
        json!({"type": "silence", "text": "Too loud, \"really\""}),
    )
    .await;
    crate::policy::set_rules(
        &f,
        &admin,
        "[[rule]]\nname = \"Flag x\"\nwhen = { keyword = \"x\" }\naction = \"flag\"\n",
    )
    .await;
    let out = assert_ok(&run_cli(
        &f.db,
        &["admin", "set-role", "alice", "moderator"],
    ));
    assert!(out.contains("moderator"));

    let all = audit(&f, &admin, "").await;
    assert_eq!(
        actions(&all),
        ["account.role", "policy.import", "account.silence"]
    );
    assert_eq!(all[0]["actor"], "cli");
    assert_eq!(all[1]["actor"], "@admin");
    assert_eq!(all[1]["target"], "rules version 1");
    assert_eq!(all[2]["target"], "@alice");
    assert_eq!(
        audit(&f, &admin, &format!("actor_account_id={}", moderator.id))
            .await
            .len(),
        1
    );
    assert_eq!(
        audit(&f, &admin, "since=2000-01-01&until=2000-01-02")
            .await
            .len(),
        0
    );
    let (code, _) = f
        .get(
            Some(&admin),
            "/api/v1/groundswell/admin/audit_log?since=yesterday",
        )
        .await;
    assert_eq!(code, 422);

    let export = |format: &str| {
        let req = f
            .client
            .get(f.url(&format!(
                "/api/v1/groundswell/admin/audit_log/export?format={format}"
            )))
            .bearer_auth(&admin.token);
        async move {
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            let kind = resp.headers()["content-type"].to_str().unwrap().to_string();
            (kind, resp.text().await.unwrap())
        }
    };
    let (kind, csv) = export("csv").await;
    assert!(kind.starts_with("text/csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,created_at,actor,action,target_type,target_id,target,reason,details"
    );
    assert_eq!(lines.len(), 4);
    assert!(
        lines[3].contains("\"Too loud, \"\"really\"\"\""),
        "{}",
        lines[3]
    );
    let (kind, ndjson) = export("ndjson").await;
    assert_eq!(kind, "application/x-ndjson");
    let parsed: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(actions(&parsed), actions(&all));
    assert_eq!(parsed[2]["reason"], "Too loud, \"really\"");
    let (code, _) = f
        .get(
            Some(&admin),
            "/api/v1/groundswell/admin/audit_log/export?format=xml",
        )
        .await;
    assert_eq!(code, 422);

    // Append-only, whatever connects.
    let mut conn = f.db.connect();
    use groundswell::db::schema::audit_log;
    let update = diesel::update(audit_log::table)
        .set(audit_log::reason.eq("nothing happened"))
        .execute(&mut conn);
    assert!(update.is_err(), "an entry was changed");
    let delete = diesel::delete(audit_log::table).execute(&mut conn);
    assert!(delete.is_err(), "an entry was deleted");
    assert_eq!(audit(&f, &admin, "").await.len(), 3);

    // The usage policy and the federation policy are audited too, from the CLI and the API.
    let dir = tempfile::tempdir().unwrap();
    let text = write_file(dir.path(), "policy.md", "# Be kind\n\nThat is all.\n");
    assert_ok(&run_cli(
        &f.db,
        &["usage-policy", "publish", text.to_str().unwrap()],
    ));
    let (code, body) = f
        .post(
            &admin,
            "/api/v1/admin/domain_blocks",
            json!({"domain": "rogue.example", "severity": "suspend"}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let more = audit(&f, &admin, "limit=2").await;
    assert_eq!(actions(&more), ["domain.block", "usage_policy.publish"]);
    assert_eq!(more[0]["target"], "rogue.example");
    assert_eq!(more[0]["actor"], "@admin");
    assert_eq!(more[1]["actor"], "cli");
    f.stop().await;
}

on_both_backends!(the_audit_log_is_exported_and_append_only);

/// Another department forwards a report (a signed `Flag` naming an employee here and her
/// post): it joins the queue, the moderators are told; a Flag naming nobody here is
/// accepted and changes nothing.
async fn reports_forwarded_by_another_department_join_the_queue(db: TestDb) {
    let deps = departments(db, 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let moderator = staff(eng, "mod", Role::Moderator).await;
    let alice = eng.user("alice").await;
    let bob = sales.user("bob").await;
    // Eng knows bob (as it would know a department's moderator who forwards).
    resolve(eng, &alice, &format!("bob@{}", domain(sales))).await;
    drop(bob);
    let post = eng
        .status(&alice, json!({"status": "something rude"}))
        .await;
    let base = format!("http://{}", domain(eng));
    let bob_keys = crate::security::actor_keys(sales, "bob");
    let flag = |n: u32, objects: Value| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/flags/{n}", bob_keys.0),
            "type": "Flag",
            "actor": bob_keys.0,
            "object": objects,
            "content": "<p>Reported from Sales: rude to a customer</p>",
        })
    };
    let code = crate::security::deliver(
        eng,
        &bob_keys,
        flag(
            1,
            json!([
                format!("{base}/users/alice"),
                format!("{base}/users/alice/statuses/{post}")
            ]),
        ),
    )
    .await;
    assert!(code < 300, "{code}");
    let told = notification(eng, &moderator, "admin.report")
        .await
        .expect("moderators told");
    assert_eq!(told["report"]["target_account"]["id"], alice.id.as_str());
    assert_eq!(told["report"]["status_ids"], json!([post]));
    let (_, queue) = eng.get(Some(&moderator), "/api/v1/admin/reports").await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    assert_eq!(
        queue[0]["comment"],
        "Reported from Sales: rude to a customer"
    );
    assert_eq!(queue[0]["forwarded"], true);
    assert_eq!(queue[0]["account"]["domain"], domain(sales));
    // Naming nobody here: accepted, nothing filed; a redelivery files nothing twice.
    let code = crate::security::deliver(
        eng,
        &bob_keys,
        flag(2, json!("http://elsewhere.example/users/x")),
    )
    .await;
    assert!(code < 300, "{code}");
    let code = crate::security::deliver(
        eng,
        &bob_keys,
        flag(1, json!([format!("{base}/users/alice")])),
    )
    .await;
    assert!(code < 300, "{code}");
    let (_, queue) = eng.get(Some(&moderator), "/api/v1/admin/reports").await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(reports_forwarded_by_another_department_join_the_queue);

// ---------------------------------------------------------------------------------------------
// The admin console (its pages in a browser: tests/browser/admin-console.test.mjs)
// ---------------------------------------------------------------------------------------------

/// A browser (cookies kept, redirects not followed) signed in as `name`.
pub(crate) async fn console_browser(f: &Fixture, name: &str, password: &str) -> reqwest::Client {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = browser.get(f.url("/auth/sign_in")).send().await.unwrap();
    let csrf = csrf_of(&form.text().await.unwrap());
    let resp = browser
        .post(f.url("/auth/sign_in"))
        .form(&[
            ("username", name),
            ("password", password),
            ("csrf_token", csrf.as_str()),
            ("return_to", "/admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "{name} signs in");
    browser
}

fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .expect("a form with a CSRF token")
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

/// A console page: its status and HTML (never JSON).
pub(crate) async fn page(f: &Fixture, browser: &reqwest::Client, path: &str) -> (u16, String) {
    let resp = browser.get(f.url(path)).send().await.unwrap();
    let status = resp.status().as_u16();
    if status != 303 {
        let kind = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
    }
    (status, resp.text().await.unwrap())
}

pub(crate) async fn submit(
    f: &Fixture,
    browser: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let resp = browser.post(f.url(path)).form(form).send().await.unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, resp.text().await.unwrap())
}

/// Every console page answers an administrator on this backend; a rule added and a held post
/// approved through the console's forms take effect and are audited as the administrator's;
/// a moderator is refused the administrators' pages, an employee the console, a form without
/// the session's CSRF token is refused.
async fn the_console_pages_and_forms_work(db: TestDb) {
    let f = Fixture::start(db).await;
    let ada = with_password(&f, "ada", "correct horse battery").await;
    let mona = with_password(&f, "mona", "correct horse battery").await;
    with_password(&f, "erin", "correct horse battery").await;
    f.ctx
        .db
        .write(|conn| {
            users::set_role(conn, "ada", Role::Admin)?;
            users::set_role(conn, "mona", Role::Moderator).map(drop)
        })
        .await
        .unwrap();
    let bob = f.user("bob").await;
    let admin_api = staff(&f, "ada_api", Role::Admin).await;

    let admin = console_browser(&f, "ada", "correct horse battery").await;
    let (_, dashboard) = page(&f, &admin, "/admin").await;
    let csrf = csrf_of(&dashboard);
    for path in [
        "/admin",
        "/admin/reports",
        "/admin/reports?resolved=1",
        "/admin/held",
        "/admin/accounts",
        "/admin/accounts?q=bo&status=active&origin=local",
        &format!("/admin/accounts/{}", bob.id),
        "/admin/rules",
        "/admin/rules/new",
        "/admin/federation",
        "/admin/usage-policy",
        "/admin/announcements",
        "/admin/engagement",
        "/admin/engagement?start=2026-01-01&end=2026-01-31",
        "/admin/audit",
        "/admin/audit?action=account.&since=2026-01-01&until=2099-12-31",
    ] {
        let (status, html) = page(&f, &admin, path).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(
            html.contains("Signed in as <strong>@ada</strong>"),
            "{path}"
        );
    }
    let (status, _) = page(&f, &admin, "/admin/reports/12345").await;
    assert_eq!(status, 404);
    // The engagement page's download, and a range it refuses with a readable page.
    let resp = admin
        .get(f.url("/admin/engagement/export?format=csv&start=2026-01-01&end=2026-01-02"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let csv = resp.text().await.unwrap();
    assert!(
        csv.starts_with("date,measure,department,hashtag,language,value,suppressed\r\n2026-01-01,active_users,,,,,true"),
        "{csv}"
    );
    let (status, html) = page(
        &f,
        &admin,
        "/admin/engagement?start=2026-02-01&end=2026-01-01",
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("end must not be before start"), "{html}");

    // A rule through the form; refused input comes back on the form with what was typed.
    let (status, _, html) = submit(
        &f,
        &admin,
        "/admin/rules",
        &[
            ("csrf_token", &csrf),
            ("name", "Codenames"),
            ("action", "hold"),
            ("direction", "local"),
            ("keywords", "Project Falcon"),
            ("more", "no_such_condition = 1"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("no_such_condition"), "{html}");
    assert!(html.contains(">Project Falcon</textarea>"), "{html}");
    let (status, location, _) = submit(
        &f,
        &admin,
        "/admin/rules",
        &[
            ("csrf_token", &csrf),
            ("name", "Codenames"),
            ("action", "hold"),
            ("direction", "local"),
            ("keywords", "Project Falcon"),
            ("explain", "Checked first"),
            ("enabled", "1"),
        ],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/admin/rules?done=rule_added")
    );
    let (_, rules) = f
        .get(Some(&admin_api), "/api/v1/groundswell/admin/policy/rules")
        .await;
    let rule = &rules["rules"][0];
    assert_eq!(rule["name"], "Codenames", "{rules}");
    assert_eq!(rule["when"]["keyword"], json!(["Project Falcon"]));
    assert_eq!(rule["direction"], json!(["local"]));
    assert_eq!(rules["changed_by"], "@ada");

    // Held, then approved from the console.
    let (code, held) = f
        .post(
            &bob,
            "/api/v1/statuses",
            json!({"status": "Project Falcon is go"}),
        )
        .await;
    assert_eq!(code, 200, "{held}");
    assert_eq!(held["held_for_review"], "post");
    let id = held["id"].as_str().unwrap();
    let (_, queue) = page(&f, &admin, "/admin/held").await;
    assert!(queue.contains("Project Falcon is go"), "{queue}");
    let (status, location, _) = submit(
        &f,
        &admin,
        &format!("/admin/held/{id}/approve"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/admin/held?done=approved")
    );
    let (code, _) = f
        .get(Some(&admin_api), &format!("/api/v1/statuses/{id}"))
        .await;
    assert_eq!(code, 200, "published");
    let log = audit(&f, &admin_api, "").await;
    let by_ada: Vec<&Value> = log.iter().filter(|e| e["actor"] == "@ada").collect();
    assert_eq!(
        by_ada
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["status.approve", "policy.rule.add"]
    );

    // An account action from the console, then lifted.
    let (status, location, _) = submit(
        &f,
        &admin,
        &format!("/admin/accounts/{}/action", bob.id),
        &[
            ("csrf_token", &csrf),
            ("type", "silence"),
            ("text", "Cool down"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("/admin/accounts/{}?done=acted", bob.id));
    let (_, account) = page(&f, &admin, &format!("/admin/accounts/{}", bob.id)).await;
    assert!(account.contains(">silenced</span>"), "{account}");
    let (status, _, _) = submit(
        &f,
        &admin,
        &format!("/admin/accounts/{}/undo", bob.id),
        &[("csrf_token", &csrf), ("what", "unsilence")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        actions(&audit(&f, &admin_api, "action=account.").await),
        vec!["account.unsilence", "account.silence"]
    );

    // An announcement: refused input comes back on the form; published, employees' apps
    // show it; withdrawn, they do not.
    let (status, _, html) = submit(
        &f,
        &admin,
        "/admin/announcements",
        &[
            ("csrf_token", &csrf),
            ("text", "Town hall on **Friday**"),
            ("starts_at", "next week"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("starts_at"), "{html}");
    assert!(
        html.contains(">Town hall on **Friday**</textarea>"),
        "{html}"
    );
    let (status, location, _) = submit(
        &f,
        &admin,
        "/admin/announcements",
        &[
            ("csrf_token", &csrf),
            ("text", "Town hall on **Friday**"),
            ("starts_at", "2026-01-01T09:00"),
        ],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/admin/announcements?done=announced")
    );
    let (_, shown) = f.get(Some(&bob), "/api/v1/announcements").await;
    let announced = shown[0]["id"]
        .as_str()
        .expect("shown to employees")
        .to_string();
    assert!(
        shown[0]["content"]
            .as_str()
            .unwrap()
            .contains("<strong>Friday</strong>"),
        "{shown}"
    );
    let (_, listed) = page(&f, &admin, "/admin/announcements").await;
    assert!(listed.contains("nobody yet"), "{listed}");
    let (status, _, _) = submit(
        &f,
        &admin,
        &format!("/admin/announcements/{announced}/delete"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        f.get(Some(&bob), "/api/v1/announcements").await.1,
        json!([])
    );
    assert_eq!(
        actions(&audit(&f, &admin_api, "action=announcement.").await),
        vec!["announcement.delete", "announcement.publish"]
    );

    // A form without the session's token changes nothing.
    let (status, _, html) = submit(
        &f,
        &admin,
        "/admin/rules/import",
        &[("csrf_token", "forged"), ("file", "")],
    )
    .await;
    assert_eq!(status, 403);
    assert!(html.contains("The form expired"), "{html}");
    let (_, rules) = f
        .get(Some(&admin_api), "/api/v1/groundswell/admin/policy/rules")
        .await;
    assert_eq!(rules["version"], 1, "{rules}");

    // A moderator: the moderation pages, not the administrators'.
    let moderator = console_browser(&f, "mona", "correct horse battery").await;
    assert_eq!(page(&f, &moderator, "/admin/held").await.0, 200);
    assert_eq!(page(&f, &moderator, "/admin/reports").await.0, 200);
    for path in [
        "/admin/rules",
        "/admin/federation",
        "/admin/usage-policy",
        "/admin/announcements",
        "/admin/engagement",
        "/admin/audit",
    ] {
        let (status, html) = page(&f, &moderator, path).await;
        assert_eq!(status, 403, "{path}");
        assert!(
            html.contains("This page is for the department&#39;s administrators."),
            "{html}"
        );
    }
    let (_, mod_page) = page(&f, &moderator, "/admin").await;
    let (status, _, _) = submit(
        &f,
        &moderator,
        &format!("/admin/accounts/{}/role", bob.id),
        &[("csrf_token", &csrf_of(&mod_page)), ("role", "admin")],
    )
    .await;
    assert_eq!(status, 403, "moderators do not change roles");
    let (status, _, html) = submit(
        &f,
        &moderator,
        &format!("/admin/accounts/{}/action", ada.id),
        &[("csrf_token", &csrf_of(&mod_page)), ("type", "suspend")],
    )
    .await;
    assert_eq!(status, 403, "{html}");
    drop(mona);

    // An employee: a readable 403; a visitor: to the sign-in page.
    let employee = console_browser(&f, "erin", "correct horse battery").await;
    assert_eq!(page(&f, &employee, "/admin").await.0, 403);
    let visitor = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (status, _) = page(&f, &visitor, "/admin/held").await;
    assert_eq!(status, 303);
    f.stop().await;
}

on_both_backends!(the_console_pages_and_forms_work);

/// A report about an account of another department, with `forward`, reaches that
/// department's moderators as a Flag from this department (the employee who reported is not
/// named there), with the reported post; without `forward`, it stays here.
async fn reports_are_forwarded_to_the_reported_department(db: TestDb) {
    let deps = departments(db, 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let carol = eng.user("carol").await;
    let sam = sales.user("sam").await;
    let sales_moderator = staff(sales, "salesmod", Role::Moderator).await;
    let sam_on_eng = resolve(eng, &carol, &format!("sam@{}", domain(sales))).await;
    follow(eng, &carol, &sam_on_eng, json!({})).await;
    let post = sales
        .status(&sam, json!({"status": "Buy our premium plan today"}))
        .await;
    let post_on_eng = eventually("sam's post at eng", || async {
        let (_, home) = eng.get(Some(&carol), "/api/v1/timelines/home").await;
        home.as_array()?
            .iter()
            .find(|s| {
                s["content"]
                    .as_str()
                    .is_some_and(|c| c.contains("premium plan"))
            })
            .map(|s| s["id"].as_str().unwrap().to_string())
    })
    .await;

    // Kept here.
    let (code, kept) = eng
        .post(
            &carol,
            "/api/v1/reports",
            json!({"account_id": sam_on_eng, "status_ids": [post_on_eng], "comment": "Kept here"}),
        )
        .await;
    assert_eq!(code, 200, "{kept}");
    assert_eq!(kept["forwarded"], false);
    // Forwarded.
    let (code, forwarded) = eng
        .post(
            &carol,
            "/api/v1/reports",
            json!({
                "account_id": sam_on_eng,
                "status_ids": [post_on_eng],
                "comment": "Sales pitch in the engineering channel",
                "forward": true,
            }),
        )
        .await;
    assert_eq!(code, 200, "{forwarded}");
    assert_eq!(forwarded["forwarded"], true);

    let queue = eventually("the forwarded report at sales", || async {
        let (_, queue) = sales
            .get(Some(&sales_moderator), "/api/v1/admin/reports")
            .await;
        (queue.as_array()?.len() == 1).then_some(queue)
    })
    .await;
    let report = &queue[0];
    assert_eq!(report["comment"], "Sales pitch in the engineering channel");
    assert_eq!(report["forwarded"], true);
    assert_eq!(report["target_account"]["username"], "sam");
    assert_eq!(report["statuses"][0]["id"], post, "{report}");
    // Sent by the department: Carol is not named.
    let reporter = &report["account"];
    assert_eq!(reporter["domain"], domain(eng), "{reporter}");
    assert_ne!(reporter["username"], "carol", "{reporter}");
    assert!(!report.to_string().contains("carol"), "{report}");
    // The moderators there were told.
    let told = notification(sales, &sales_moderator, "admin.report").await;
    assert!(told.is_some());
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(reports_are_forwarded_to_the_reported_department);

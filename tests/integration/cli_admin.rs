//! `groundswell admin …`: what IT scripts rely on, on both backends.

use diesel::prelude::*;
use groundswell::db::schema::{accounts, oauth_access_tokens, users};
use serde_json::Value;

use crate::common::*;
use crate::on_both_backends;

fn list_users_json(db: &TestDb) -> Vec<Value> {
    let out = assert_ok(&run_cli(db, &["admin", "list-users", "--format", "json"]));
    serde_json::from_str::<Value>(&out)
        .expect("list-users --format json prints JSON")
        .as_array()
        .expect("an array")
        .clone()
}

fn find<'a>(users: &'a [Value], username: &str) -> &'a Value {
    users
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("{username} not listed in {users:?}"))
}

async fn create_user_and_list(db: TestDb) {
    assert_ok(&run_cli(&db, &["migrate"]));

    // With --password-stdin the password is taken from stdin and not echoed.
    let out = run_cli_with_stdin(
        &db,
        &[
            "admin",
            "create-user",
            "Alice",
            "--email",
            "Alice@Eng.Corp.Example",
            "--display-name",
            "Alice Liddell",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("correct horse battery\n"),
    );
    let printed = assert_ok(&out);
    assert_eq!(
        printed.trim(),
        "created alice (alice@eng.corp.example, role admin)"
    );
    assert!(!printed.contains("correct horse"));

    // The stored hash is Argon2id and verifies the password given.
    let mut conn = db.connect();
    let (hash, ap_id, key): (Option<String>, String, Option<String>) = users::table
        .inner_join(accounts::table)
        .filter(accounts::username.eq("alice"))
        .select((
            users::password_hash,
            accounts::ap_id,
            accounts::private_key_pem,
        ))
        .first(&mut conn)
        .unwrap();
    let hash = hash.expect("a password hash");
    assert!(hash.starts_with("$argon2id$"));
    assert!(groundswell::auth::password::verify(
        "correct horse battery",
        &hash
    ));
    assert!(!groundswell::auth::password::verify("wrong", &hash));
    assert_eq!(ap_id, "http://localhost:8080/users/alice");
    assert!(
        key.unwrap().contains("PRIVATE KEY"),
        "local accounts get a signing key"
    );

    // Without a password option one is generated and printed once.
    let out = assert_ok(&run_cli(
        &db,
        &[
            "admin",
            "create-user",
            "bob",
            "--email",
            "bob@eng.corp.example",
        ],
    ));
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("generated password printed");
    assert!(password.len() >= 20);
    let hash: Option<String> = users::table
        .filter(users::email.eq("bob@eng.corp.example"))
        .select(users::password_hash)
        .first(&mut conn)
        .unwrap();
    assert!(groundswell::auth::password::verify(
        password,
        &hash.unwrap()
    ));

    // SSO-only accounts have no password at all.
    assert_ok(&run_cli(
        &db,
        &[
            "admin",
            "create-user",
            "carol",
            "--email",
            "carol@eng.corp.example",
            "--no-password",
            "--role",
            "moderator",
        ],
    ));

    let listed = list_users_json(&db);
    assert_eq!(listed.len(), 3);
    let alice = find(&listed, "alice");
    assert_eq!(alice["email"], "alice@eng.corp.example");
    assert_eq!(alice["display_name"], "Alice Liddell");
    assert_eq!(alice["role"], "admin");
    assert_eq!(alice["suspended"], false);
    assert_eq!(find(&listed, "bob")["role"], "user");
    assert_eq!(find(&listed, "bob")["display_name"], "bob");
    assert_eq!(find(&listed, "carol")["role"], "moderator");

    let table = assert_ok(&run_cli(&db, &["admin", "list-users"]));
    let header = table.lines().next().unwrap();
    assert!(header.starts_with("USERNAME"), "{table}");
    let alice_row = table.lines().find(|l| l.starts_with("alice ")).unwrap();
    assert!(
        alice_row.contains("admin") && alice_row.contains("active"),
        "{alice_row}"
    );
}

async fn create_user_refuses_bad_input(db: TestDb) {
    assert_ok(&run_cli(&db, &["migrate"]));
    assert_ok(&run_cli(
        &db,
        &[
            "admin",
            "create-user",
            "alice",
            "--email",
            "alice@eng.corp.example",
        ],
    ));

    let line = assert_cli_error(&run_cli(
        &db,
        &[
            "admin",
            "create-user",
            "ALICE",
            "--email",
            "other@eng.corp.example",
        ],
    ));
    assert_eq!(line, "error: the username `alice` is already taken");

    let line = assert_cli_error(&run_cli(
        &db,
        &[
            "admin",
            "create-user",
            "alice2",
            "--email",
            "ALICE@eng.corp.example",
        ],
    ));
    assert!(line.contains("already used"), "{line}");

    let line = assert_cli_error(&run_cli(
        &db,
        &[
            "admin",
            "create-user",
            "not valid",
            "--email",
            "x@eng.corp.example",
        ],
    ));
    assert!(line.contains("username `not valid` is not valid"), "{line}");

    let line = assert_cli_error(&run_cli(
        &db,
        &["admin", "create-user", "dave", "--email", "not-an-email"],
    ));
    assert!(line.contains("not a valid e-mail address"), "{line}");

    let line = assert_cli_error(&run_cli_with_stdin(
        &db,
        &[
            "admin",
            "create-user",
            "erin",
            "--email",
            "erin@eng.corp.example",
            "--password-stdin",
        ],
        Some("short\n"),
    ));
    assert!(line.contains("too short"), "{line}");

    let line = assert_cli_error(&run_cli_with_stdin(
        &db,
        &[
            "admin",
            "create-user",
            "erin",
            "--email",
            "erin@eng.corp.example",
            "--password-stdin",
        ],
        Some(""),
    ));
    assert!(line.contains("no password on standard input"), "{line}");

    // Clap refuses an unknown role before anything happens (usage error, exit 2).
    let out = run_cli(
        &db,
        &[
            "admin",
            "create-user",
            "frank",
            "--email",
            "frank@eng.corp.example",
            "--role",
            "root",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("use admin, moderator or user"),
        "{}",
        stderr(&out)
    );

    // Nothing was created by the failures.
    let listed = list_users_json(&db);
    assert_eq!(listed.len(), 1, "{listed:?}");
}

async fn roles_suspension_and_tokens(db: TestDb) {
    assert_ok(&run_cli(&db, &["migrate"]));
    assert_ok(&run_cli(
        &db,
        &[
            "admin",
            "create-user",
            "alice",
            "--email",
            "alice@eng.corp.example",
        ],
    ));

    let out = assert_ok(&run_cli(&db, &["admin", "set-role", "alice", "moderator"]));
    assert_eq!(out.trim(), "alice is now moderator");
    assert_eq!(find(&list_users_json(&db), "alice")["role"], "moderator");
    let line = assert_cli_error(&run_cli(&db, &["admin", "set-role", "nobody", "admin"]));
    assert_eq!(line, "error: no local user named `nobody`");

    // Tokens are printed once and stored only as a hash, with exactly the scopes asked for.
    let token = assert_ok(&run_cli(
        &db,
        &[
            "admin",
            "issue-token",
            "alice",
            "--scopes",
            "read write follow",
            "--description",
            "backup script",
        ],
    ));
    let token = token.trim();
    assert_eq!(token.len(), 43, "{token}");
    let mut conn = db.connect();
    let (stored_hash, scopes, revoked): (String, String, Option<chrono::NaiveDateTime>) =
        oauth_access_tokens::table
            .select((
                oauth_access_tokens::token_hash,
                oauth_access_tokens::scopes,
                oauth_access_tokens::revoked_at,
            ))
            .first(&mut conn)
            .unwrap();
    assert_eq!(stored_hash, groundswell::auth::secrets::hash_token(token));
    assert_ne!(stored_hash, token);
    assert_eq!(scopes, "read write follow");
    assert!(revoked.is_none());

    let line = assert_cli_error(&run_cli(
        &db,
        &["admin", "issue-token", "alice", "--scopes", "read sudo"],
    ));
    assert_eq!(line, "error: --scopes: unknown scope `sudo`");
    let line = assert_cli_error(&run_cli(&db, &["admin", "issue-token", "ghost"]));
    assert_eq!(line, "error: no local user named `ghost`");

    // Suspension ends access: every token is revoked and no new one can be issued.
    let out = assert_ok(&run_cli(&db, &["admin", "suspend", "alice"]));
    assert_eq!(out.trim(), "suspended alice (1 token(s) revoked)");
    let revoked: Option<chrono::NaiveDateTime> = oauth_access_tokens::table
        .select(oauth_access_tokens::revoked_at)
        .first(&mut conn)
        .unwrap();
    assert!(revoked.is_some());
    assert_eq!(find(&list_users_json(&db), "alice")["suspended"], true);
    let line = assert_cli_error(&run_cli(&db, &["admin", "issue-token", "alice"]));
    assert!(line.contains("is suspended"), "{line}");
    let line = assert_cli_error(&run_cli(&db, &["admin", "suspend", "alice"]));
    assert_eq!(line, "error: `alice` is already suspended");

    let out = assert_ok(&run_cli(&db, &["admin", "unsuspend", "alice"]));
    assert_eq!(out.trim(), "unsuspended alice");
    assert_eq!(find(&list_users_json(&db), "alice")["suspended"], false);
    let line = assert_cli_error(&run_cli(&db, &["admin", "unsuspend", "alice"]));
    assert_eq!(line, "error: `alice` is not suspended");
    // The old token stays revoked; a new one can be issued.
    assert_ok(&run_cli(&db, &["admin", "issue-token", "alice"]));
}

on_both_backends!(
    create_user_and_list,
    create_user_refuses_bad_input,
    roles_suspension_and_tokens
);

//! Configuration: defaults, file, environment; errors that name the key.

use std::path::Path;

use crate::common::*;

fn config_cmd(args: &[&str], env: &[(&str, &str)], cwd: Option<&Path>) -> std::process::Output {
    let mut cmd = groundswell_cmd();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    cmd.output().expect("run groundswell")
}

fn effective(args: &[&str], env: &[(&str, &str)]) -> toml::Value {
    let mut all = args.to_vec();
    all.push("config");
    let out = assert_ok(&config_cmd(&all, env, None));
    toml::from_str(&out).expect("`groundswell config` prints TOML")
}

#[test]
fn defaults_need_no_config() {
    let cfg = effective(&[], &[]);
    assert_eq!(cfg["instance"]["domain"].as_str(), Some("localhost:8080"));
    assert_eq!(cfg["http"]["bind"].as_str(), Some("127.0.0.1:8080"));
    assert_eq!(
        cfg["database"]["url"].as_str(),
        Some("sqlite://data/groundswell.sqlite3")
    );
    assert_eq!(cfg["log"]["format"].as_str(), Some("text"));
}

#[test]
fn example_config_documents_every_key_with_its_default() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config/example.toml");
    let from_example = effective(&["--config", example], &[]);
    let defaults = effective(&[], &[]);
    assert_eq!(
        from_example, defaults,
        "example.toml must hold the defaults"
    );

    // Every key the server knows appears in the example, and nothing else.
    let text = std::fs::read_to_string(example).unwrap();
    let written: toml::Value = toml::from_str(&text).unwrap();
    // Nested sections (`[auth.oidc]`) count key by key.
    fn collect(prefix: &str, v: &toml::Value, out: &mut Vec<String>) {
        for (key, value) in v.as_table().unwrap() {
            let name = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            if value.is_table() {
                collect(&name, value, out);
            } else {
                out.push(name);
            }
        }
    }
    let keys = |v: &toml::Value| -> Vec<String> {
        let mut out = Vec::new();
        collect("", v, &mut out);
        out.sort();
        out
    };
    assert_eq!(keys(&written), keys(&defaults));
    assert!(keys(&defaults).contains(&"auth.oidc.admin_groups".to_string()));
    // Optional keys are documented as comments.
    assert!(text.contains("# https = true"));
    assert!(text.contains("# sso_only = true"));
}

#[test]
fn environment_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(
        dir.path(),
        "eng.toml",
        r#"
[instance]
domain = "eng.corp.example"
name = "Engineering"

[http]
bind = "127.0.0.1:9000"
workers = 3
"#,
    );
    let file = file.to_str().unwrap();
    let cfg = effective(
        &["--config", file],
        &[
            ("GROUNDSWELL_HTTP__BIND", "0.0.0.0:8081"),
            (
                "GROUNDSWELL_DATABASE__URL",
                "postgres://gs:s3cret@127.0.0.1:5432/eng",
            ),
            ("GROUNDSWELL_LOG__FORMAT", "json"),
            ("GROUNDSWELL_METRICS__BEARER_TOKEN", "prometheus-s3cret"),
        ],
    );
    assert_eq!(cfg["instance"]["domain"].as_str(), Some("eng.corp.example"));
    assert_eq!(cfg["instance"]["name"].as_str(), Some("Engineering"));
    assert_eq!(
        cfg["http"]["bind"].as_str(),
        Some("0.0.0.0:8081"),
        "env beats file"
    );
    assert_eq!(
        cfg["http"]["workers"].as_integer(),
        Some(3),
        "file beats defaults"
    );
    assert_eq!(cfg["log"]["format"].as_str(), Some("json"));
    let url = cfg["database"]["url"].as_str().unwrap();
    assert!(!url.contains("s3cret"), "secrets are redacted: {url}");
    assert!(url.starts_with("postgres://gs:"), "{url}");
    assert_eq!(cfg["metrics"]["bearer_token"].as_str(), Some("REDACTED"));

    // GROUNDSWELL_CONFIG names the file like --config does.
    let cfg = effective(&[], &[("GROUNDSWELL_CONFIG", file)]);
    assert_eq!(cfg["instance"]["name"].as_str(), Some("Engineering"));
}

fn config_error(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut all = args.to_vec();
    all.push("config");
    let out = config_cmd(&all, env, None);
    assert_eq!(out.status.code(), Some(1), "stdout: {}", stdout(&out));
    let err = stderr(&out);
    assert!(err.starts_with("error: "), "{err}");
    err
}

#[test]
fn unknown_keys_and_bad_values_are_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let typo = write_file(dir.path(), "typo.toml", "[instance]\nnmae = \"Eng\"\n");
    let err = config_error(&["--config", typo.to_str().unwrap()], &[]);
    assert!(err.contains("`instance.nmae`"), "{err}");
    assert!(err.contains("typo.toml"), "names the file: {err}");
    assert!(err.contains("unknown key"), "{err}");

    let section = write_file(dir.path(), "section.toml", "[federaton]\nx = 1\n");
    let err = config_error(&["--config", section.to_str().unwrap()], &[]);
    assert!(err.contains("`federaton`"), "{err}");

    let err = config_error(&[], &[("GROUNDSWELL_HTTP__BINDD", "127.0.0.1:1")]);
    assert!(err.contains("`http.bindd`"), "{err}");
    assert!(
        err.contains("GROUNDSWELL_HTTP__BINDD"),
        "names the variable: {err}"
    );

    let err = config_error(&[], &[("GROUNDSWELL_HTTP__BIND", "not-an-address")]);
    assert!(err.contains("`http.bind`"), "{err}");

    let err = config_error(&[], &[("GROUNDSWELL_HTTP__WORKERS", "many")]);
    assert!(err.contains("`http.workers`"), "{err}");

    let err = config_error(&[], &[("GROUNDSWELL_DATABASE__URL", "mysql://db/eng")]);
    assert!(err.contains("`database.url`"), "{err}");
    assert!(
        err.contains("sqlite://") && err.contains("postgres://"),
        "{err}"
    );

    let err = config_error(
        &[],
        &[("GROUNDSWELL_INSTANCE__DOMAIN", "https://eng.corp.example")],
    );
    assert!(err.contains("`instance.domain`"), "{err}");
    assert!(err.contains("without scheme"), "{err}");

    let err = config_error(&[], &[("GROUNDSWELL_LOG__FORMAT", "xml")]);
    assert!(err.contains("`log.format`"), "{err}");

    let err = config_error(&[], &[("GROUNDSWELL_LOG__LEVEL", "verbose=???")]);
    assert!(err.contains("`log.level`"), "{err}");

    let err = config_error(&[], &[("GROUNDSWELL_DATABASE__POOL_SIZE", "0")]);
    assert!(err.contains("`database.pool_size`"), "{err}");

    let bad_toml = write_file(dir.path(), "broken.toml", "[instance\n");
    let err = config_error(&["--config", bad_toml.to_str().unwrap()], &[]);
    assert!(err.contains("broken.toml"), "{err}");

    let err = config_error(&["--config", "/nonexistent/groundswell.toml"], &[]);
    assert!(
        err.contains("/nonexistent/groundswell.toml does not exist"),
        "{err}"
    );
}

#[test]
fn serve_refuses_a_bad_config_before_starting() {
    let dir = tempfile::tempdir().unwrap();
    let out = config_cmd(
        &["serve"],
        &[("GROUNDSWELL_HTTP__BIND", "127.0.0.1:notaport")],
        Some(dir.path()),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("`http.bind`"), "{}", stderr(&out));
    assert!(
        !dir.path().join("data").exists(),
        "nothing is created when the config is refused"
    );
}

#[test]
fn json_logs_for_log_collectors() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/gs.sqlite3", dir.path().display());
    let env = [
        ("GROUNDSWELL_DATABASE__URL", url.as_str()),
        ("GROUNDSWELL_LOG__FORMAT", "json"),
        ("GROUNDSWELL_LOG__LEVEL", "info"),
    ];
    assert_ok(&config_cmd(&["migrate"], &env, Some(dir.path())));
    let out = config_cmd(
        &[
            "admin",
            "create-user",
            "alice",
            "--email",
            "alice@eng.corp.example",
            "--no-password",
        ],
        &env,
        Some(dir.path()),
    );
    assert_ok(&out);
    let logs = stderr(&out);
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let created = lines
        .iter()
        .find(|l| l["message"] == "local user created")
        .unwrap_or_else(|| panic!("{logs}"));
    assert_eq!(created["level"], "INFO");
    assert_eq!(created["role"], "user");
    assert!(created["account_id"].is_number());
    assert!(!logs.contains("PRIVATE KEY"), "no secrets in logs");
}

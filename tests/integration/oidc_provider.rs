//! The test OpenID Provider (`tests/oidc-provider/server.mjs`, the npm package `oidc-provider`)
//! and a browser that signs in through it with plain HTTP requests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use reqwest::redirect::Policy;
use serde_json::{Value, json};
use url::Url;

pub const CLIENT_ID: &str = "groundswell";
pub const CLIENT_SECRET: &str = "groundswell-test-secret";

fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider")
}

/// Make sure the provider's node_modules are installed (tests/run.sh does it beforehand and
/// sets GROUNDSWELL_TEST_OIDC_PROVIDER; a plain `cargo test` installs them here, once).
fn ensure_installed() {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    let result = INSTALLED.get_or_init(|| {
        let dir = provider_dir();
        if let Ok(cache) = std::env::var("GROUNDSWELL_TEST_OIDC_PROVIDER")
            && !Path::new(&cache)
                .join("node_modules/oidc-provider/package.json")
                .is_file()
        {
            return Err(format!(
                "GROUNDSWELL_TEST_OIDC_PROVIDER={cache} holds no node_modules/oidc-provider \
                 (run tests/oidc-provider/install.sh)"
            ));
        }
        if dir
            .join("node_modules/oidc-provider/package.json")
            .is_file()
        {
            return Ok(());
        }
        let out = Command::new(dir.join("install.sh"))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run tests/oidc-provider/install.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "tests/oidc-provider/install.sh failed (Node.js >= 20 and npm are needed): {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("the SSO tests need the test OpenID Provider: {e}");
    }
}

/// A running `oidc-provider` with the static client `groundswell` for one Groundswell base URL.
pub struct TestProvider {
    child: Child,
    pub issuer: String,
    http: reqwest::Client,
}

impl TestProvider {
    pub fn start(groundswell_base: &str) -> TestProvider {
        ensure_installed();
        let options = json!({
            "groundswell": groundswell_base,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        });
        let mut child = Command::new("node")
            .arg(provider_dir().join("server.mjs"))
            .arg(options.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start node tests/oidc-provider/server.mjs (is Node.js installed?)");
        let stdout = child.stdout.take().expect("provider stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the provider's issuer");
        let issuer = line
            .trim()
            .strip_prefix("issuer=")
            .unwrap_or_else(|| panic!("the test provider did not start: {line:?}"))
            .to_string();
        TestProvider {
            child,
            issuer,
            http: crate::common::http(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    async fn test_post(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("test provider request");
        assert_eq!(resp.status(), 200, "{path}");
        resp.json().await.expect("test provider JSON")
    }

    /// Create or change a user's claims (`null` removes a claim).
    pub async fn set_user(&self, sub: &str, claims: Value) {
        self.test_post(&format!("/test/users/{sub}"), claims).await;
    }

    /// Replace the next ID token by a forged one: `claims` merged into the real one, signed
    /// as `sign` says (`provider`, `none`, `unknown-key`).
    pub async fn tamper_next_id_token(&self, claims: Value, sign: &str) {
        self.test_post("/test/tamper", json!({ "claims": claims, "sign": sign }))
            .await;
    }

    /// Publish a new key and sign every later ID token with it.
    pub async fn rotate_keys(&self) -> String {
        self.test_post("/test/rotate", json!({})).await["kid"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A logout token signed with the provider's key.
    pub async fn logout_token(&self, body: Value) -> String {
        self.test_post("/test/logout-token", body).await["logout_token"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser: cookies kept, redirects followed by hand so tests can see and stop at each hop.
pub fn browser() -> reqwest::Client {
    groundswell::install_crypto_provider();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The last response of a chain of redirects, and the URL it answered.
pub struct Landed {
    pub url: Url,
    pub status: u16,
    pub body: String,
    pub location: Option<Url>,
}

/// GET `url` and follow redirects until a page (or until `stop` says the next hop is not to
/// be taken: then the redirect itself is returned, with `location` set).
pub async fn follow(browser: &reqwest::Client, url: &str, stop: impl Fn(&Url) -> bool) -> Landed {
    let mut current = Url::parse(url).unwrap();
    let mut resp = browser.get(current.clone()).send().await.unwrap();
    for _ in 0..20 {
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .map(|l| current.join(l.to_str().unwrap()).unwrap());
        match location {
            Some(next) if (300..400).contains(&status) && !stop(&next) => {
                current = next;
                resp = browser.get(current.clone()).send().await.unwrap();
            }
            location => {
                return Landed {
                    url: current,
                    status,
                    body: resp.text().await.unwrap_or_default(),
                    location,
                };
            }
        }
    }
    panic!("too many redirects from {url}");
}

/// POST a form and follow the redirects that come back, like `follow`.
pub async fn post_and_follow(
    browser: &reqwest::Client,
    url: &str,
    form: &[(String, String)],
    stop: impl Fn(&Url) -> bool,
) -> Landed {
    let current = Url::parse(url).unwrap();
    let resp = browser
        .post(current.clone())
        .form(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| current.join(l.to_str().unwrap()).unwrap());
    match location {
        Some(next) if (300..400).contains(&status) && !stop(&next) => {
            follow(browser, next.as_str(), stop).await
        }
        location => Landed {
            url: current,
            status,
            body: resp.text().await.unwrap_or_default(),
            location,
        },
    }
}

/// The action and fields of the first `<form>` whose action contains `action_part`.
pub fn form(html: &str, action_part: &str) -> (String, Vec<(String, String)>) {
    for chunk in html.split("<form").skip(1) {
        let head = chunk.split('>').next().unwrap_or_default();
        let action = attr(head, "action").unwrap_or_default();
        if !action.contains(action_part) {
            continue;
        }
        let body = chunk.split("</form>").next().unwrap_or_default();
        let mut fields = Vec::new();
        for input in body.split("<input").skip(1) {
            let tag = input.split('>').next().unwrap_or_default();
            if let Some(name) = attr(tag, "name") {
                fields.push((name, attr(tag, "value").unwrap_or_default()));
            }
        }
        return (action, fields);
    }
    panic!("no form with action containing {action_part:?} in:\n{html}");
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = tag[start..].find('"')? + start;
    Some(
        tag[start..end]
            .replace("&#38;", "&")
            .replace("&amp;", "&")
            .replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&#x2F;", "/")
            .replace("&#47;", "/"),
    )
}

/// At the provider's login page (`page`), sign in as `username`; follow redirects back (until
/// `stop`).
pub async fn log_in_at_provider(
    browser: &reqwest::Client,
    page: &Landed,
    username: &str,
    stop: impl Fn(&Url) -> bool,
) -> Landed {
    assert_eq!(page.status, 200, "{}: {}", page.url, page.body);
    let (action, mut fields) = form(&page.body, "/interaction/");
    fields.retain(|(k, _)| k != "username");
    fields.push(("username".into(), username.into()));
    let target = page.url.join(&action).unwrap();
    post_and_follow(browser, target.as_str(), &fields, stop).await
}

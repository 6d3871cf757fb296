//! SCIM 2.0 provisioning as Entra ID and Okta drive it: create, find by userName, page,
//! replace, patch (`active: false` suspends and revokes, `true` restores), delete, groups that
//! give roles, and linking a provisioned user to the first OIDC sign-in.

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;
use crate::oidc_provider::*;
use crate::on_both_backends;

const TOKEN: &str = "scim-test-token-0123456789";

struct Scim<'a> {
    f: &'a Fixture,
}

impl Scim<'_> {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .f
            .client
            .request(method, self.f.url(&format!("/scim/v2{path}")))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        if status != 204 {
            assert_eq!(
                resp.headers()["content-type"],
                "application/scim+json",
                "{path}"
            );
        }
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

fn alice_resource() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": "alice@corp.example",
        "externalId": "sub-alice",
        "name": {"givenName": "Alice", "familyName": "Anders"},
        "emails": [{"value": "alice@corp.example", "type": "work", "primary": true}],
        "active": true,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Engineering"}
    })
}

fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

async fn token_for(f: &Fixture, username: &str) -> String {
    use groundswell::service::{tokens, users};
    let name = username.to_string();
    f.ctx
        .db
        .write(move |conn| {
            let user = users::find_local_user(conn, &name)?;
            tokens::issue_personal_token(
                conn,
                &user,
                &groundswell::auth::Scopes::parse("read").unwrap(),
                None,
            )
        })
        .await
        .unwrap()
}

async fn credentials_status(f: &Fixture, token: &str) -> u16 {
    f.client
        .get(f.url("/api/v1/accounts/verify_credentials"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn provisioning_lifecycle(db: TestDb) {
    let reserved = reserve_port();
    let port = reserved.number();
    let op = TestProvider::start(&format!("http://127.0.0.1:{port}"));
    let issuer = op.issuer.clone();
    let f = Fixture::start_on(db, reserved, move |s| {
        s.auth.scim.token = TOKEN.into();
        s.auth.oidc.issuer = issuer;
        s.auth.oidc.client_id = CLIENT_ID.into();
        s.auth.oidc.client_secret = CLIENT_SECRET.into();
        s.auth.oidc.admin_groups = vec!["it-admins".into()];
    })
    .await;
    let scim = Scim { f: &f };

    // Bearer token required; errors in SCIM's format.
    for auth in [None, Some("wrong-token")] {
        let mut req = f.client.get(f.url("/scim/v2/Users"));
        if let Some(t) = auth {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        assert_eq!(body["status"], "401");
    }
    let (code, config) = scim.call(Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(code, 200);
    assert_eq!(config["patch"]["supported"], true);

    // Create; the same userName again is a uniqueness conflict.
    let (code, alice) = scim
        .call(Method::POST, "/Users", Some(alice_resource()))
        .await;
    assert_eq!(code, 201, "{alice}");
    let id = alice["id"].as_str().unwrap().to_string();
    assert_eq!(alice["userName"], "alice@corp.example");
    assert_eq!(alice["displayName"], "Alice Anders");
    assert_eq!(alice["active"], true);
    assert_eq!(
        alice["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        "Engineering"
    );
    assert_eq!(
        alice["meta"]["location"],
        f.url(&format!("/scim/v2/Users/{id}"))
    );
    let (code, dup) = scim
        .call(Method::POST, "/Users", Some(alice_resource()))
        .await;
    assert_eq!(code, 409);
    assert_eq!(dup["scimType"], "uniqueness");
    let (code, _) = scim
        .call(Method::POST, "/Users", Some(json!({"externalId": "x"})))
        .await;
    assert_eq!(code, 400, "userName is required");

    // Filter by userName (case-insensitive), page.
    for name in ["bob@corp.example", "carla@corp.example"] {
        let (code, _) = scim
            .call(
                Method::POST,
                "/Users",
                Some(json!({"userName": name, "emails": [{"value": name}]})),
            )
            .await;
        assert_eq!(code, 201);
    }
    let (code, found) = scim
        .call(
            Method::GET,
            "/Users?filter=userName%20eq%20%22ALICE%40corp.example%22",
            None,
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        found["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    );
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    let (_, none) = scim
        .call(
            Method::GET,
            "/Users?filter=userName%20eq%20%22nobody%22",
            None,
        )
        .await;
    assert_eq!(none["totalResults"], 0);
    assert_eq!(none["Resources"], json!([]));
    let (_, page) = scim
        .call(Method::GET, "/Users?startIndex=2&count=1", None)
        .await;
    assert_eq!(page["totalResults"], 3);
    assert_eq!(page["startIndex"], 2);
    assert_eq!(page["itemsPerPage"], 1);
    assert_eq!(page["Resources"][0]["userName"], "bob@corp.example");
    let (code, bad) = scim
        .call(Method::GET, "/Users?filter=title%20co%20%22x%22", None)
        .await;
    assert_eq!(code, 400);
    assert_eq!(bad["scimType"], "invalidFilter");

    // Deactivate as Entra does ("Replace", "False"): suspended, tokens revoked, streams
    // closed.
    let token = token_for(&f, "alice").await;
    assert_eq!(credentials_status(&f, &token).await, 200);
    let stream = f
        .client
        .get(f.url("/api/v1/streaming/user"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut stream = Box::pin(stream.bytes_stream());
    assert!(stream.next().await.is_some(), "the stream greets");
    let (code, off) = scim
        .call(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(patch(
                json!([{"op": "Replace", "path": "active", "value": "False"}]),
            )),
        )
        .await;
    assert_eq!(code, 200, "{off}");
    assert_eq!(off["active"], false);
    assert_eq!(credentials_status(&f, &token).await, 401, "token revoked");
    let closed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
    assert!(
        closed.is_ok(),
        "the deactivated employee's stream was closed"
    );
    // Reactivate: the account works again (old tokens stay revoked).
    let (_, on) = scim
        .call(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(patch(
                json!([{"op": "replace", "value": {"active": true, "displayName": "Alice A."}}]),
            )),
        )
        .await;
    assert_eq!(on["active"], true);
    assert_eq!(on["displayName"], "Alice A.");
    let fresh = token_for(&f, "alice").await;
    assert_eq!(credentials_status(&f, &fresh).await, 200);

    // PUT replaces.
    let mut replaced = alice_resource();
    replaced["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"] =
        json!("Platform");
    let (code, put) = scim
        .call(Method::PUT, &format!("/Users/{id}"), Some(replaced))
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        put["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        "Platform"
    );

    // Groups: it-admins members are admins; leaving the group ends it.
    let (code, group) = scim
        .call(
            Method::POST,
            "/Groups",
            Some(json!({"displayName": "it-admins", "members": [{"value": id}]})),
        )
        .await;
    assert_eq!(code, 201, "{group}");
    let gid = group["id"].as_str().unwrap().to_string();
    let (_, me) = f
        .get(
            Some(&TestUser {
                username: "alice".into(),
                id: id.clone(),
                token: fresh.clone(),
            }),
            "/api/v1/accounts/verify_credentials",
        )
        .await;
    assert_eq!(me["role"]["name"], "Admin", "{me}");
    let (_, user) = scim.call(Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(user["groups"][0]["display"], "it-admins");
    let (code, group) = scim
        .call(
            Method::PATCH,
            &format!("/Groups/{gid}"),
            Some(patch(
                json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]),
            )),
        )
        .await;
    assert_eq!(code, 200, "{group}");
    assert_eq!(group["members"], json!([]));
    let (code, _) = scim
        .call(
            Method::GET,
            "/Groups?filter=displayName%20eq%20%22it-admins%22",
            None,
        )
        .await;
    assert_eq!(code, 200);

    // The provisioned user signs in for the first time: linked by externalId = sub, no
    // second account.
    let b = browser();
    let idp = follow(&b, &f.url("/auth/oidc/login"), |_| false).await;
    let landed = log_in_at_provider(&b, &idp, "alice", |_| false).await;
    assert_eq!(landed.url.as_str(), f.url("/"), "{}", landed.body);
    let (_, all) = scim.call(Method::GET, "/Users", None).await;
    assert_eq!(all["totalResults"], 3, "no account was added");
    let (code, linked) = scim.call(Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(code, 200);
    assert_eq!(linked["id"], id.as_str());

    // Delete deprovisions: suspended, and the resource is gone.
    let (code, _) = scim
        .call(Method::DELETE, &format!("/Users/{id}"), None)
        .await;
    assert_eq!(code, 204);
    let (code, gone) = scim.call(Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(code, 404);
    assert_eq!(gone["status"], "404");
    assert_eq!(credentials_status(&f, &fresh).await, 401);
    f.stop().await;
}

async fn scim_is_off_without_a_token(db: TestDb) {
    let f = Fixture::start(db).await;
    let resp = f
        .client
        .get(f.url("/scim/v2/Users"))
        .bearer_auth("anything")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    f.stop().await;
}

on_both_backends!(provisioning_lifecycle, scim_is_off_without_a_token);

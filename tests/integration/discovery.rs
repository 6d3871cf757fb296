//! How other servers and apps find a department's accounts: WebFinger, host-meta, NodeInfo.

use serde_json::json;

use crate::common::*;
use crate::on_both_backends;

async fn webfinger_host_meta_and_nodeinfo(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    f.status(&alice, json!({"status": "hello"})).await;
    let domain = f.base.trim_start_matches("http://").to_string();

    let resp = f
        .client
        .get(f.url(&format!(
            "/.well-known/webfinger?resource=acct:alice@{domain}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/jrd+json")
    );
    let jrd: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(jrd["subject"], format!("acct:alice@{domain}"));
    let actor = format!("{}/users/alice", f.base);
    let self_link = jrd["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .unwrap();
    assert_eq!(self_link["href"], actor.as_str());
    assert_eq!(self_link["type"], "application/activity+json");

    // The actor URL works as a resource too; other domains and unknown people do not.
    let (code, by_url) = f
        .get(None, &format!("/.well-known/webfinger?resource={actor}"))
        .await;
    assert_eq!(
        (code, by_url["subject"].clone()),
        (200, jrd["subject"].clone())
    );
    for resource in [
        "acct:alice@sales.corp.example".to_string(),
        format!("acct:nobody@{domain}"),
        "https://elsewhere.example/users/alice".to_string(),
    ] {
        let (code, _) = f
            .get(None, &format!("/.well-known/webfinger?resource={resource}"))
            .await;
        assert_eq!(code, 404, "{resource}");
    }
    let (code, body) = f.get(None, "/.well-known/webfinger").await;
    assert_eq!(code, 400, "{body}");

    let resp = f
        .client
        .get(f.url("/.well-known/host-meta"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["content-type"],
        "application/xrd+xml; charset=utf-8"
    );
    let xml = resp.text().await.unwrap();
    assert!(
        xml.contains(&format!(
            "template=\"{}/.well-known/webfinger?resource={{uri}}\"",
            f.base
        )),
        "{xml}"
    );

    let (_, links) = f.get(None, "/.well-known/nodeinfo").await;
    assert_eq!(links["links"][0]["href"], f.url("/nodeinfo/2.1"));
    let (code, info) = f.get(None, "/nodeinfo/2.1").await;
    assert_eq!(code, 200);
    assert_eq!(info["software"]["name"], "groundswell");
    assert_eq!(info["protocols"], json!(["activitypub"]));
    assert_eq!(info["openRegistrations"], false);
    assert_eq!(info["usage"]["users"]["total"], 1);
    assert_eq!(info["usage"]["users"]["activeMonth"], 1);
    assert_eq!(info["usage"]["localPosts"], 1);
    f.stop().await;
}

on_both_backends!(webfinger_host_meta_and_nodeinfo);

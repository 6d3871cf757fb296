//! The people directory between departments: `GET /directory` (a signed fetch, paged like
//! any ActivityPub collection) publishes this department's discoverable employees; [`fetch`]
//! reads another department's, signed as our instance actor. Mapping only: who is listed,
//! and what is kept, is `service::people`'s.

use activitypub_federation::fetch::fetch_object_http;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::apub::protocol;
use crate::context::AppContext;
use crate::service::people::{self, Field, Interest, Person};

/// The collection's address on a department.
async fn collection_url(ctx: &AppContext, domain: &str) -> Result<String, String> {
    // The default inbox tells the scheme a department is reached with.
    let policy = ctx.policy.current().await.map_err(|e| e.to_string())?;
    let inbox = policy.default_inbox(domain);
    Ok(format!("{}/directory", inbox.trim_end_matches("/inbox")))
}

/// One employee as the collection lists them: an actor with our `interests`.
pub fn render_person(base: &str, p: &Person) -> Value {
    json!({
        "type": "Person",
        "id": p.ap_id,
        "preferredUsername": p.username,
        "name": p.display_name,
        "summary": p.note,
        "url": p.url,
        "icon": p.avatar_url.as_ref().map(|u| json!({"type": "Image", "url": u})),
        "attachment": p.fields.iter().map(|f| json!({
            "type": "PropertyValue", "name": f.name, "value": f.value,
        })).collect::<Vec<_>>(),
        "tag": p.interests.iter().map(|i| json!({
            "type": "Hashtag",
            "name": format!("#{}", i.name),
            "href": format!("{base}/tags/{}", i.name),
        })).collect::<Vec<_>>(),
        "interests": p.interests,
    })
}

/// The collection (`page` `None`) or one of its pages.
pub fn render(base: &str, page: Option<i64>, total: i64, people: &[Person]) -> Value {
    let id = format!("{base}/directory");
    let mut out = match page {
        None => json!({
            "type": "OrderedCollection",
            "id": id,
            "totalItems": total,
            "first": format!("{id}?page=1"),
        }),
        Some(n) => {
            let next = (n * people::PAGE_SIZE < total).then(|| format!("{id}?page={}", n + 1));
            json!({
                "type": "OrderedCollectionPage",
                "id": format!("{id}?page={n}"),
                "partOf": id,
                "totalItems": total,
                "next": next,
                "orderedItems": people.iter().map(|p| render_person(base, p)).collect::<Vec<_>>(),
            })
        }
    };
    out["@context"] = protocol::directory_context();
    out
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    first: Option<String>,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    ordered_items: Vec<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    id: String,
    preferred_username: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    url: Option<Value>,
    #[serde(default)]
    icon: Option<Value>,
    #[serde(default)]
    attachment: Vec<Value>,
    #[serde(default)]
    interests: Vec<Interest>,
}

fn string_of(v: &Option<Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => o.get("url").or(o.get("href"))?.as_str().map(str::to_string),
        _ => None,
    }
}

fn person(item: Value) -> Option<Person> {
    let l: Listed = serde_json::from_value(item).ok()?;
    Some(Person {
        ap_id: l.id,
        username: l.preferred_username,
        display_name: l.name.unwrap_or_default(),
        note: l.summary.unwrap_or_default(),
        fields: l
            .attachment
            .iter()
            .filter(|a| a.get("type").and_then(Value::as_str) == Some("PropertyValue"))
            .filter_map(|a| {
                Some(Field {
                    name: a.get("name")?.as_str()?.to_string(),
                    value: a.get("value")?.as_str()?.to_string(),
                })
            })
            .collect(),
        avatar_url: string_of(&l.icon),
        url: string_of(&l.url),
        interests: l.interests,
    })
}

/// Every employee `domain` lists (all pages, at most [`people::MAX_PAGES`]): a readable error
/// when it cannot be read whole (the last complete copy is then kept).
pub async fn fetch(ctx: &AppContext, domain: &str) -> Result<Vec<Person>, String> {
    let federation = ctx
        .federation
        .get()
        .ok_or_else(|| "federation is not started".to_string())?;
    let mut next = Some(collection_url(ctx, domain).await?);
    let mut first = true;
    let mut found = Vec::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        pages += 1;
        if pages > people::MAX_PAGES + 1 {
            return Err(format!("more than {} pages", people::MAX_PAGES));
        }
        let url = Url::parse(&url).map_err(|e| format!("bad page address {url}: {e}"))?;
        if url.host_str().map(|h| match url.port() {
            Some(p) => format!("{h}:{p}"),
            None => h.to_string(),
        }) != Some(domain.to_string())
        {
            return Err(format!("a page on another domain: {url}"));
        }
        let data = federation.to_request_data();
        let page: Page = fetch_object_http(&url, &data)
            .await
            .map_err(|e| format!("{url}: {e}"))?
            .object;
        if first && page.ordered_items.is_empty() && page.first.is_some() {
            next = page.first.clone();
        } else {
            found.extend(page.ordered_items.into_iter().filter_map(person));
            next = page.next.clone();
        }
        first = false;
    }
    Ok(found)
}

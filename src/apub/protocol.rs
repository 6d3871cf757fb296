//! ActivityPub wire types, as Mastodon, GoToSocial and Pleroma send them. Parsing is lenient
//! where those implementations differ (a single value or a list, `as:Public` or the full
//! public URI, objects embedded or referenced by id) and strict where it matters for safety
//! (ids, actors and keys must be URLs).

use chrono::{DateTime, Utc};
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use url::Url;

/// The public collection, in all the spellings found in the wild.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

pub fn is_public(address: &str) -> bool {
    matches!(address, PUBLIC | "as:Public" | "Public")
}

/// The JSON-LD context of everything we serve and send.
pub fn context() -> Value {
    serde_json::json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "sensitive": "as:sensitive",
            "Hashtag": "as:Hashtag",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "featured": {"@id": "toot:featured", "@type": "@id"},
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value"
        }
    ])
}

/// [`context`] with Groundswell's own terms, for company-wide announcements and their reads.
pub fn announcement_context() -> Value {
    let mut context = context();
    if let Some(Value::Object(terms)) = context.get_mut(2) {
        for (term, id) in [
            ("groundswell", "urn:groundswell:ns#"),
            ("Announcement", "groundswell:Announcement"),
            ("allDay", "groundswell:allDay"),
            ("reached", "groundswell:reached"),
            ("readers", "groundswell:readers"),
        ] {
            terms.insert(term.into(), Value::String(id.into()));
        }
    }
    context
}

/// The `@context` of the people directory (`GET /directory`): ActivityStreams and our terms
/// for what an employee posts about and follows.
pub fn directory_context() -> Value {
    let mut context = context();
    if let Some(Value::Object(terms)) = context.get_mut(2) {
        for (term, id) in [
            ("groundswell", "urn:groundswell:ns#"),
            ("interests", "groundswell:interests"),
            ("posts", "groundswell:posts"),
            ("follows", "groundswell:follows"),
        ] {
            terms.insert(term.into(), Value::String(id.into()));
        }
    }
    context
}

/// A string or a list of strings (addressing fields).
pub fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<Value>),
        Null,
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None | Some(OneOrMany::Null) => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(items)) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                Value::Object(o) => o.get("id").and_then(|id| id.as_str()).map(String::from),
                _ => None,
            })
            .collect(),
    })
}

/// An object given inline or by its id: we only need the id (and, inline, its fields).
#[derive(Debug, Clone)]
pub struct IdOrObject {
    pub id: Url,
    pub object: Option<Value>,
}

impl IdOrObject {
    pub fn kind(&self) -> Option<&str> {
        self.object.as_ref()?.get("type")?.as_str()
    }

    /// A URL field of the inline object (`actor`, `object`).
    pub fn url_field(&self, field: &str) -> Option<Url> {
        let v = self.object.as_ref()?.get(field)?;
        let s = match v {
            Value::String(s) => s.as_str(),
            Value::Object(o) => o.get("id")?.as_str()?,
            _ => return None,
        };
        Url::parse(s).ok()
    }
}

impl<'de> Deserialize<'de> for IdOrObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let id = match &v {
            Value::String(s) => s.clone(),
            Value::Object(o) => o
                .get("id")
                .and_then(|id| id.as_str())
                .map(String::from)
                .ok_or_else(|| serde::de::Error::custom("object without an id"))?,
            _ => return Err(serde::de::Error::custom("expected an id or an object")),
        };
        let id = Url::parse(&id).map_err(serde::de::Error::custom)?;
        Ok(IdOrObject {
            id,
            object: match v {
                Value::Object(_) => Some(v),
                _ => None,
            },
        })
    }
}

impl Serialize for IdOrObject {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.object {
            Some(o) => o.serialize(s),
            None => self.id.serialize(s),
        }
    }
}

/// A link that may be written as a string, an object with `href`, or a list of those
/// (`url`, `icon`).
pub fn first_href(v: &Option<Value>) -> Option<String> {
    match v.as_ref()? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o
            .get("href")
            .or_else(|| o.get("url"))
            .and_then(|h| match h {
                Value::String(s) => Some(s.clone()),
                other => first_href(&Some(other.clone())),
            }),
        Value::Array(items) => items.iter().find_map(|i| first_href(&Some(i.clone()))),
        _ => None,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKey {
    pub id: String,
    pub owner: Url,
    pub public_key_pem: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<Url>,
}

/// An actor: Person for employees; Service/Application for instance actors; Group and
/// Organization are accepted too.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub preferred_username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Value>,
    pub inbox: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub featured: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    pub public_key: PublicKey,
    #[serde(default)]
    pub manually_approves_followers: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discoverable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    /// Mastodon's `toot:suspended`: the account's own department suspended it (sent only
    /// when true; an actor without it is not suspended there).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspended: bool,
}

/// A post. Article, Page and Question are read as Notes (their text is kept).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub attributed_to: IdOrObject,
    #[serde(default, deserialize_with = "one_or_many")]
    pub to: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub cc: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<IdOrObject>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_map: Option<serde_json::Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub sensitive: Option<bool>,
    #[serde(default)]
    pub published: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Value>,
    #[serde(default, deserialize_with = "lenient_list")]
    pub tag: Vec<Value>,
    #[serde(default, deserialize_with = "lenient_list")]
    pub attachment: Vec<Value>,
}

/// A list, a single item, or null.
fn lenient_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Value>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => vec![other],
    })
}

/// A `tag` entry we understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    Mention { href: Url },
    Hashtag { name: String },
}

pub fn parse_tag(v: &Value) -> Option<Tag> {
    let kind = v.get("type")?.as_str()?;
    match kind {
        "Mention" => Some(Tag::Mention {
            href: Url::parse(v.get("href")?.as_str()?).ok()?,
        }),
        "Hashtag" => {
            let name = v.get("name")?.as_str()?.trim_start_matches('#');
            (!name.is_empty()).then(|| Tag::Hashtag {
                name: name.to_string(),
            })
        }
        _ => None,
    }
}

/// `Tombstone` or plain id: what a Delete carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tombstone {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
}

/// An OrderedCollection (or its first page) we serve.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollection {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub total_items: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_of: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_items: Option<Vec<Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addressing_accepts_one_or_many_and_every_public_spelling() {
        let note: Note = serde_json::from_value(serde_json::json!({
            "type": "Note",
            "id": "https://sales.example/n/1",
            "attributedTo": "https://sales.example/u/bob",
            "to": "as:Public",
            "cc": ["https://sales.example/u/bob/followers", {"id": "https://eng.example/u/a"}],
            "tag": {"type": "Mention", "href": "https://eng.example/u/a", "name": "@a"},
            "content": "<p>hi</p>"
        }))
        .unwrap();
        assert!(is_public(&note.to[0]));
        assert_eq!(note.cc.len(), 2);
        assert_eq!(
            parse_tag(&note.tag[0]),
            Some(Tag::Mention {
                href: Url::parse("https://eng.example/u/a").unwrap()
            })
        );
    }

    #[test]
    fn hrefs_in_every_shape() {
        assert_eq!(
            first_href(&Some(
                serde_json::json!({"type": "Image", "url": "https://x/a.png"})
            )),
            Some("https://x/a.png".into())
        );
        assert_eq!(
            first_href(&Some(
                serde_json::json!([{"type": "Link", "href": "https://x/p", "mediaType": "text/html"}])
            )),
            Some("https://x/p".into())
        );
    }
}

/// A department's company-wide announcement (Groundswell's own type: Mastodon does not
/// federate announcements).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Announcement {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    pub attributed_to: Url,
    pub content: String,
    #[serde(default)]
    pub source: Option<Source>,
    #[serde(default)]
    pub start_time: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    pub end_time: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    pub all_day: bool,
    #[serde(default)]
    pub published: Option<chrono::DateTime<chrono::Utc>>,
}

/// An object's source (`source.content` in `source.mediaType`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub content: String,
    #[serde(default)]
    pub media_type: Option<String>,
}

/// What an incoming activity says about itself, read before anything of it is verified,
/// fetched or stored: its kind (for `/metrics`), id and actor, and how long its lists are.
/// Lists are counted as they are read, never kept, and what is not read here is skipped
/// without recursion, so a hundred thousand recipients or ten thousand levels of nesting
/// cost one pass over the (size-limited) body.
#[derive(Debug, Deserialize)]
pub struct ActivityClaim {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub id: Option<Url>,
    pub actor: IdOrObject,
    #[serde(default)]
    to: Count,
    #[serde(default)]
    cc: Count,
    #[serde(default)]
    bto: Count,
    #[serde(default)]
    bcc: Count,
    #[serde(default)]
    audience: Count,
    #[serde(default)]
    object: ObjectClaim,
}

impl ActivityClaim {
    /// The longest list the activity or its object has, and its name (`cc`, `object.tag` …).
    pub fn longest_list(&self) -> (&'static str, usize) {
        let o = &self.object;
        [
            ("to", self.to),
            ("cc", self.cc),
            ("bto", self.bto),
            ("bcc", self.bcc),
            ("audience", self.audience),
            ("object", o.objects),
            ("object.to", o.to),
            ("object.cc", o.cc),
            ("object.bto", o.bto),
            ("object.bcc", o.bcc),
            ("object.audience", o.audience),
            ("object.tag", o.tag),
        ]
        .into_iter()
        .map(|(name, count)| (name, count.0))
        .max_by_key(|(_, n)| *n)
        .unwrap_or(("to", 0))
    }
}

/// How many entries a value lists: an array's length, none for null, one for anything else.
#[derive(Debug, Default, Clone, Copy)]
struct Count(usize);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Counter)
    }
}

struct Counter;

impl<'de> Visitor<'de> for Counter {
    type Value = Count;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a value or a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Count, A::Error> {
        let mut n = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(Count(n))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Count, A::Error> {
        IgnoredAny.visit_map(map)?;
        Ok(Count(1))
    }
    fn visit_unit<E>(self) -> Result<Count, E> {
        Ok(Count(0))
    }
    fn visit_str<E>(self, _: &str) -> Result<Count, E> {
        Ok(Count(1))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Count, E> {
        Ok(Count(1))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Count, E> {
        Ok(Count(1))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Count, E> {
        Ok(Count(1))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Count, E> {
        Ok(Count(1))
    }
}

/// The lists of an activity's `object`: an id (nothing), one object (its addressing and
/// tags), or a list of objects (a Flag's: how many).
#[derive(Debug, Default)]
struct ObjectClaim {
    objects: Count,
    to: Count,
    cc: Count,
    bto: Count,
    bcc: Count,
    audience: Count,
    tag: Count,
}

impl<'de> Deserialize<'de> for ObjectClaim {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Lists;
        impl<'de> Visitor<'de> for Lists {
            type Value = ObjectClaim;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an id, an object or a list of them")
            }
            fn visit_str<E>(self, _: &str) -> Result<ObjectClaim, E> {
                Ok(ObjectClaim {
                    objects: Count(1),
                    ..ObjectClaim::default()
                })
            }
            fn visit_unit<E>(self) -> Result<ObjectClaim, E> {
                Ok(ObjectClaim::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ObjectClaim, A::Error> {
                Ok(ObjectClaim {
                    objects: Counter.visit_seq(seq)?,
                    ..ObjectClaim::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ObjectClaim, A::Error> {
                let mut lists = ObjectClaim {
                    objects: Count(1),
                    ..ObjectClaim::default()
                };
                while let Some(key) = map.next_key::<String>()? {
                    let list = match key.as_str() {
                        "to" => &mut lists.to,
                        "cc" => &mut lists.cc,
                        "bto" => &mut lists.bto,
                        "bcc" => &mut lists.bcc,
                        "audience" => &mut lists.audience,
                        "tag" => &mut lists.tag,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *list = map.next_value()?;
                }
                Ok(lists)
            }
        }
        d.deserialize_any(Lists)
    }
}

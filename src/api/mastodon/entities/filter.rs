use serde_json::{Value, json};

use super::iso_datetime;
use crate::db::models::{Filter, FilterKeyword, FilterStatus};
use crate::service::filters::{FilterMatch, FilterRules, contexts_of};

fn contexts(filter: &Filter) -> Vec<&'static str> {
    contexts_of(filter).iter().map(|c| c.as_str()).collect()
}

/// <https://docs.joinmastodon.org/entities/Filter/> without its rules, as inside a
/// FilterResult.
pub fn filter_summary(filter: &Filter) -> Value {
    json!({
        "id": filter.id.to_string(),
        "title": filter.title,
        "context": contexts(filter),
        "expires_at": filter.expires_at.map(iso_datetime),
        "filter_action": filter.filter_action,
    })
}

/// <https://docs.joinmastodon.org/entities/Filter/>
pub fn filter_entity(rules: &FilterRules) -> Value {
    let mut entity = filter_summary(&rules.filter);
    entity["keywords"] = rules.keywords.iter().map(filter_keyword_entity).collect();
    entity["statuses"] = rules.statuses.iter().map(filter_status_entity).collect();
    entity
}

/// <https://docs.joinmastodon.org/entities/FilterKeyword/>
pub fn filter_keyword_entity(keyword: &FilterKeyword) -> Value {
    json!({
        "id": keyword.id.to_string(),
        "keyword": keyword.keyword,
        "whole_word": keyword.whole_word,
    })
}

/// <https://docs.joinmastodon.org/entities/FilterStatus/>
pub fn filter_status_entity(entry: &FilterStatus) -> Value {
    json!({
        "id": entry.id.to_string(),
        "status_id": entry.status_id.to_string(),
    })
}

/// <https://docs.joinmastodon.org/entities/FilterResult/>
pub fn filter_result_entity(m: &FilterMatch) -> Value {
    let or_null = |v: Vec<String>| if v.is_empty() { Value::Null } else { json!(v) };
    json!({
        "filter": filter_summary(&m.filter),
        "keyword_matches": or_null(m.keyword_matches.clone()),
        "status_matches": or_null(m.status_matches.iter().map(|id| id.to_string()).collect()),
    })
}

/// <https://docs.joinmastodon.org/entities/V1_Filter/>: one keyword of a filter.
pub fn v1_filter_entity(keyword: &FilterKeyword, filter: &Filter) -> Value {
    json!({
        "id": keyword.id.to_string(),
        "phrase": keyword.keyword,
        "context": contexts(filter),
        "whole_word": keyword.whole_word,
        "expires_at": filter.expires_at.map(iso_datetime),
        "irreversible": filter.filter_action == "hide",
    })
}

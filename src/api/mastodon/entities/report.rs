use serde_json::{Value, json};
use url::Url;

use super::account::account_from_row;
use super::iso_datetime;
use crate::db::models::{Account, Report};

/// <https://docs.joinmastodon.org/entities/Report/>
pub fn report_entity(report: &Report, target: &Account, base: &Url) -> Value {
    let strings = |ids: Vec<i64>| ids.iter().map(|id| id.to_string()).collect::<Vec<_>>();
    json!({
        "id": report.id.to_string(),
        "action_taken": report.action_taken_at.is_some(),
        "action_taken_at": report.action_taken_at.map(iso_datetime),
        "category": report.category,
        "comment": report.comment,
        "forwarded": report.forwarded,
        "created_at": iso_datetime(report.created_at),
        "status_ids": strings(report.status_id_list()),
        "rule_ids": report.rule_id_list().map(strings),
        "target_account": account_from_row(target, base),
    })
}

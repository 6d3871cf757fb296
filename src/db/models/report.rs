use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::reports;

/// A report by an employee (`account_id`) about an account, for the moderators.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = reports)]
pub struct Report {
    pub id: i64,
    pub account_id: i64,
    pub target_account_id: i64,
    /// JSON array of status ids.
    pub status_ids: String,
    /// JSON array of rule ids, for `violation` reports.
    pub rule_ids: Option<String>,
    pub comment: String,
    /// `spam`, `legal`, `violation` or `other`.
    pub category: String,
    /// The reporter asked for it to be forwarded to the account's department.
    pub forward: bool,
    pub forwarded: bool,
    pub assigned_account_id: Option<i64>,
    pub action_taken_by_account_id: Option<i64>,
    pub action_taken_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The Flag activity another department forwarded it with.
    pub ap_id: Option<String>,
}

impl Report {
    pub fn status_id_list(&self) -> Vec<i64> {
        serde_json::from_str(&self.status_ids).unwrap_or_default()
    }

    pub fn rule_id_list(&self) -> Option<Vec<i64>> {
        self.rule_ids
            .as_deref()
            .map(|r| serde_json::from_str(r).unwrap_or_default())
    }
}

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::follows;

/// `account_id` follows `target_account_id`; not yet `accepted` = a pending follow request.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = follows)]
pub struct Follow {
    pub id: i64,
    pub account_id: i64,
    pub target_account_id: i64,
    pub accepted: bool,
    pub show_reblogs: bool,
    pub notify: bool,
    pub ap_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

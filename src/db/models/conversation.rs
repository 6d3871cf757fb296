use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::account_conversations;

/// One employee's state of a direct conversation (the thread rooted at `conversation_id`).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = account_conversations)]
pub struct AccountConversation {
    pub id: i64,
    pub account_id: i64,
    pub conversation_id: i64,
    pub last_read_status_id: Option<i64>,
    /// Removed from their list up to this status; a newer one brings it back.
    pub removed_through_status_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

use serde_json::{Value, json};

use crate::service::accounts::Relationship;

/// <https://docs.joinmastodon.org/entities/Relationship/>
pub fn relationship_entity(r: &Relationship) -> Value {
    json!({
        "id": r.id.to_string(),
        "following": r.following,
        "showing_reblogs": r.showing_reblogs,
        "notifying": r.notifying,
        "languages": null,
        "followed_by": r.followed_by,
        "blocking": r.blocking,
        "blocked_by": r.blocked_by,
        "muting": r.muting,
        "muting_notifications": r.muting_notifications,
        "requested": r.requested,
        "requested_by": r.requested_by,
        "domain_blocking": r.domain_blocking,
        "endorsed": r.endorsed,
        "note": r.note,
    })
}

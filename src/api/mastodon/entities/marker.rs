use serde_json::{Value, json};

use super::iso_datetime;
use crate::db::models::Marker;

/// <https://docs.joinmastodon.org/entities/Marker/>
pub fn marker_entity(marker: &Marker) -> Value {
    json!({
        "last_read_id": marker.last_read_id.to_string(),
        "version": marker.version,
        "updated_at": iso_datetime(marker.updated_at),
    })
}

/// Markers keyed by their timeline, as Mastodon returns them.
pub fn markers_by_timeline(markers: &[Marker]) -> Value {
    Value::Object(
        markers
            .iter()
            .map(|m| (m.timeline.clone(), marker_entity(m)))
            .collect(),
    )
}

//! Mastodon's id-range pagination: `max_id`, `since_id`, `min_id`, `limit`.
//! <https://docs.joinmastodon.org/api/guidelines/#pagination>

/// A checked page request.
#[derive(Debug, Clone)]
pub struct Page {
    /// Only items older than this id.
    pub max_id: Option<i64>,
    /// Only items newer than this id (newest first).
    pub since_id: Option<i64>,
    /// Only items newer than this id, the oldest of them first (then returned newest first).
    pub min_id: Option<i64>,
    pub limit: i64,
}

impl Page {
    /// `limit` defaults to `default` and is capped at `max` (Mastodon: 20 and 40).
    pub fn new(
        max_id: Option<&str>,
        since_id: Option<&str>,
        min_id: Option<&str>,
        limit: Option<u32>,
        default: i64,
        max: i64,
    ) -> Page {
        // Ids that do not parse match nothing newer/older: treat them as absent.
        let id = |s: Option<&str>| s.and_then(|s| s.trim().parse::<i64>().ok());
        Page {
            max_id: id(max_id),
            since_id: id(since_id),
            min_id: id(min_id),
            limit: limit.map(i64::from).unwrap_or(default).clamp(1, max),
        }
    }

    pub fn first(limit: i64) -> Page {
        Page {
            max_id: None,
            since_id: None,
            min_id: None,
            limit,
        }
    }
}

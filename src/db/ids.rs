//! Time-sortable 64-bit ids, in the style of Mastodon's snowflakes.
//!
//! `id = unix_milliseconds << 16 | sequence`. Ids from one process strictly increase; the
//! sequence starts at a random value per process, so two app nodes on one database are very
//! unlikely to pick the same id in the same millisecond (and the primary key refuses it if they
//! do). Because ids sort by creation time, `max_id`/`min_id` pagination is an index range scan,
//! and an id can be made from a time for `created_at`-based cut-offs.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

static STATE: Mutex<Option<(i64, u16)>> = Mutex::new(None);

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A new id, greater than every id this process handed out before.
pub fn next_id() -> i64 {
    let now = now_millis();
    let mut state = STATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (millis, seq) = match *state {
        None => (now, rand::random::<u16>() & 0x7fff),
        Some((last, seq)) if now > last => (now, seq.wrapping_add(1)),
        // Same millisecond (or the clock stepped back): keep counting; when the 16-bit sequence
        // is exhausted, borrow the next millisecond.
        Some((last, seq)) => match seq.checked_add(1) {
            Some(next) => (last, next),
            None => (last + 1, 0),
        },
    };
    *state = Some((millis, seq));
    (millis << 16) | i64::from(seq)
}

/// The smallest id that could have been created at `millis` (for time-based cut-offs).
pub fn id_at_millis(millis: i64) -> i64 {
    millis << 16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_and_sort_by_time() {
        let mut previous = next_id();
        for _ in 0..200_000 {
            let id = next_id();
            assert!(id > previous, "{id} <= {previous}");
            previous = id;
        }
        let now = now_millis();
        assert!(previous >> 16 >= now - 5_000 && previous >> 16 <= now + 5_000);
        assert!(id_at_millis(now + 60_000) > previous);
    }
}

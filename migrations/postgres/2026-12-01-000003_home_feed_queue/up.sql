-- Statuses published but not yet fanned out to their audience's home feeds. Posting adds
-- the status here (and to its author's feed) in its own transaction; a background worker
-- fans out what is queued, many statuses per transaction, and removes them. Until then a
-- home timeline read takes the queued statuses as candidates too, so no reader ever misses
-- a post that has been published.
CREATE TABLE home_feed_queue (
    status_id BIGINT PRIMARY KEY NOT NULL REFERENCES statuses (id) ON DELETE CASCADE
);

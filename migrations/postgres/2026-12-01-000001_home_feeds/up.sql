-- Home timelines are read from a per-employee feed instead of a search over all statuses.
-- A row says "this status may belong in this employee's home timeline": written when the
-- status is published (fan-out on write) or when a follow brings its author in. The read
-- still applies the full home rule (visibility, blocks, mutes, boosts shown, exclusive
-- lists) to the page's rows, so a row that no longer belongs is skipped, never shown.
CREATE TABLE home_feeds (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, status_id)
);
CREATE INDEX home_feeds_status_id ON home_feeds (status_id);

-- Which feeds are built, and how far back each is whole: below `floor` (the oldest status
-- kept when the feed was trimmed to its size) the home timeline is read by the search. No
-- row: the feed is built at the employee's next read.
CREATE TABLE home_feed_states (
    account_id BIGINT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    floor BIGINT,
    built_at TIMESTAMP NOT NULL
);

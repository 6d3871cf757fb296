-- Engagement metrics: daily aggregates, so dashboards and exports never scan raw posts.

-- Who was active on a day (posted, replied, boosted, favourited, voted, signed in or used an
-- app): the one place that knows people, never exported; only counted.
CREATE TABLE metrics_active_days (
    day TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (day, account_id)
);
CREATE INDEX metrics_active_days_account ON metrics_active_days (account_id, day);

-- One number a day: `measure` (posts, follows, …), `dimension` ('' or, for the
-- cross-department measures, the other department), its `value` and how many distinct
-- people are behind it (`people`: below metrics.min_group_size the value is suppressed).
CREATE TABLE metrics_daily (
    day TEXT NOT NULL,
    measure TEXT NOT NULL,
    dimension TEXT NOT NULL,
    value BIGINT NOT NULL,
    people BIGINT NOT NULL,
    PRIMARY KEY (day, measure, dimension)
);

-- Jobs that one app node at a time runs (the metrics roll-up): who holds it until when.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY NOT NULL,
    node TEXT NOT NULL,
    leased_until TIMESTAMP NOT NULL
);

-- The roll-up reads one day at a time.
CREATE INDEX statuses_created_at ON statuses (created_at);
CREATE INDEX favourites_created_at ON favourites (created_at);
CREATE INDEX follows_created_at ON follows (created_at);
CREATE INDEX poll_votes_created_at ON poll_votes (created_at);

-- The time from each question to its first reply (and to its first reply from another
-- department), by the day it was asked: so the median and 90th percentile over any range
-- come from the roll-up, not from posts. `account_id` (the asker) only counts distinct
-- people, like metrics_active_days: never exported.
CREATE TABLE metrics_first_replies (
    day TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    cross_department BOOLEAN NOT NULL,
    secs BIGINT NOT NULL
);
CREATE INDEX metrics_first_replies_day ON metrics_first_replies (day);

DROP INDEX poll_votes_created_at;
DROP INDEX follows_created_at;
DROP INDEX favourites_created_at;
DROP INDEX statuses_created_at;
DROP TABLE job_leases;
DROP TABLE metrics_daily;
DROP TABLE metrics_active_days;

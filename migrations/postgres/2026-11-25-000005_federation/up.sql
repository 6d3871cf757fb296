-- Federation: the durable outbox, per-department delivery state and the instance actor's keys.
-- The outbox tables of the initial schema were never written to; they are replaced.
DROP TABLE deliveries;
DROP TABLE outgoing_activities;

-- One row per change that other departments must hear of, written in the same transaction as
-- the change. `intent` says what happened (JSON); the delivery worker renders it into an
-- activity (`payload`, `ap_id`) and fans it out into deliveries, once (`prepared_at`).
CREATE TABLE outgoing_activities (
    id BIGINT PRIMARY KEY,
    actor_account_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    intent TEXT NOT NULL,
    ap_id TEXT UNIQUE,
    kind TEXT,
    payload TEXT,
    recipients INTEGER NOT NULL DEFAULT 0,
    prepared_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outgoing_activities_unprepared ON outgoing_activities (id) WHERE prepared_at IS NULL;

-- One row per activity and destination inbox. Each department's deliveries are sent in id
-- order; a failure holds back that department's queue (see federation_domains).
CREATE TABLE deliveries (
    id BIGINT PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES outgoing_activities (id) ON DELETE CASCADE,
    inbox_url TEXT NOT NULL,
    domain TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    delivered_at TIMESTAMP,
    failed_at TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (activity_id, inbox_url)
);
CREATE INDEX deliveries_pending ON deliveries (domain, id)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

-- Delivery state per destination department: backoff after failures, and a lease so that one
-- app node at a time sends to a department (several nodes share one PostgreSQL).
CREATE TABLE federation_domains (
    domain TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_success_at TIMESTAMP,
    last_failure_at TIMESTAMP,
    last_error TEXT
);

-- Keys of actors that are not accounts: the instance actor, which signs fetches.
CREATE TABLE instance_keys (
    name TEXT PRIMARY KEY NOT NULL,
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX received_activities_received_at ON received_activities (received_at);

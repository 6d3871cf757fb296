-- The people directory: the discoverable employees of every department, this one's included,
-- as their departments publish them (GET /directory) and this one synced them.
CREATE TABLE directory_entries (
    ap_id TEXT PRIMARY KEY NOT NULL,
    domain TEXT NOT NULL,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    -- Sanitized HTML.
    note TEXT NOT NULL,
    -- JSON: [{"name": …, "value": …}] (plain text).
    fields TEXT NOT NULL,
    avatar_url TEXT,
    url TEXT,
    -- JSON: [{"name": "rust", "posts": 12, "follows": true}], most posted about first.
    interests TEXT NOT NULL,
    -- " rust kubernetes ": every interest, lowercase, space-delimited (searched with LIKE).
    tags TEXT NOT NULL,
    -- Lowercase text searched by name, department, title and other fields.
    search_text TEXT NOT NULL,
    synced_at TIMESTAMP NOT NULL
);
CREATE INDEX directory_entries_domain ON directory_entries (domain);

-- Each department's last sync: when, how many, and the error when it failed.
CREATE TABLE directory_syncs (
    domain TEXT PRIMARY KEY NOT NULL,
    synced_at TIMESTAMP,
    attempted_at TIMESTAMP NOT NULL,
    entries BIGINT NOT NULL,
    error TEXT
);

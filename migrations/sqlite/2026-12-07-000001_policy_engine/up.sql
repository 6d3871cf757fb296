-- The policy engine: rules as data, versioned; what they matched; held posts; and the
-- warnings moderators (and the rules' reviews) send employees.

-- Every version of the rule set, whole: a change (add, edit, disable, import) writes a new
-- version and keeps the old ones. The current rule set is the highest `number`.
CREATE TABLE policy_versions (
    id BIGINT PRIMARY KEY NOT NULL,
    number BIGINT NOT NULL UNIQUE,
    -- JSON array of the rules, each with the id it keeps from version to version.
    rules TEXT NOT NULL,
    -- What changed, in words ("added rule …", "imported 4 rules").
    summary TEXT NOT NULL,
    -- Who changed it: an administrator's account, or NULL with `author_label` "cli".
    author_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    author_label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Each time a rule matched (dry runs included): hit counts and the last matches per rule.
CREATE TABLE policy_matches (
    id BIGINT PRIMARY KEY NOT NULL,
    rule_id BIGINT NOT NULL,
    rule_name TEXT NOT NULL,
    version BIGINT NOT NULL,
    action TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    -- local, inbound or outbound; post, edit, boost, like or follow.
    direction TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- The status it was about, when one was stored.
    status_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL,
    -- Who wrote or did it.
    account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    -- The ActivityPub id of what was refused (nothing stored to point at).
    object_uri TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX policy_matches_rule ON policy_matches (rule_id, id);
CREATE INDEX policy_matches_status ON policy_matches (status_id) WHERE status_id IS NOT NULL;

-- A post (or an edit of one) a rule held for review: 'post' or 'edit' until a moderator
-- decides; only its author sees it meanwhile.
ALTER TABLE statuses ADD COLUMN held_for_review TEXT;
CREATE INDEX statuses_held ON statuses (id) WHERE held_for_review IS NOT NULL;
-- A followers-only or direct post a rule keeps in the department: it is never sent to, nor
-- served to, another department (department-only posts are visibility 'local').
ALTER TABLE statuses ADD COLUMN local_only BOOLEAN NOT NULL DEFAULT FALSE;

-- What an employee is told about a moderation decision on their account or posts
-- (Mastodon's AccountWarning): a rejected held post, and later warnings and suspensions.
CREATE TABLE account_warnings (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- Who decided; NULL when it was the CLI.
    moderator_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    -- Mastodon's actions: none, disable, mark_statuses_as_sensitive, delete_statuses,
    -- sensitive, silence, suspend.
    action TEXT NOT NULL,
    text TEXT NOT NULL,
    -- JSON array of status ids.
    status_ids TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX account_warnings_account ON account_warnings (account_id, id);
-- A `moderation_warning` notification points at its warning.
ALTER TABLE notifications ADD COLUMN account_warning_id BIGINT REFERENCES account_warnings (id) ON DELETE CASCADE;

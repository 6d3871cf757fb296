-- Moderation: who did what (the audit log), account actions (silence, force-sensitive,
-- disable), and reports that come from or go to other departments.

-- Every moderator and admin action and every rule or policy change: append-only. No
-- foreign keys: an entry outlives what it names, and a cascade would be an edit.
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- Who: an employee's account (an admin or moderator), or NULL for the CLI and the system.
    actor_account_id BIGINT,
    -- `@username`, `cli`, `scim`, `system`.
    actor TEXT NOT NULL,
    -- What: `report.resolve`, `account.suspend`, `policy.import`, `status.approve`, …
    action TEXT NOT NULL,
    -- On what: a kind (`account`, `status`, `report`, `policy`, `rule`, `domain`,
    -- `usage_policy`), its id, and how to name it to a reader.
    target_type TEXT NOT NULL DEFAULT '',
    target_id TEXT NOT NULL DEFAULT '',
    target TEXT NOT NULL DEFAULT '',
    -- Why, as the one acting wrote it.
    reason TEXT NOT NULL DEFAULT '',
    -- What else is worth keeping (JSON object).
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_actor ON audit_log (actor_account_id, id);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;


-- Silenced: off the department and company timelines (followers still see the posts).
ALTER TABLE accounts ADD COLUMN silenced_at TIMESTAMP;
-- Force-sensitive: every attachment shown as sensitive.
ALTER TABLE accounts ADD COLUMN sensitized_at TIMESTAMP;
CREATE INDEX accounts_silenced ON accounts (id) WHERE silenced_at IS NOT NULL;
-- Who suspended an account of another department: this department's moderators (`here`)
-- and/or its own department (`origin`, its actor says `suspended`). Each lifts only its
-- own; `accounts.suspended_at` holds while either does.
CREATE TABLE account_suspensions (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    origin TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, origin)
);
-- Disabled: the employee cannot sign in (their account and posts stay).
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP;
-- A report another department forwarded (its Flag activity's id), and when one of ours was
-- forwarded.
ALTER TABLE reports ADD COLUMN ap_id TEXT;
CREATE INDEX reports_target_open ON reports (target_account_id) WHERE action_taken_at IS NULL;
-- An `admin.report` notification points at its report.
ALTER TABLE notifications ADD COLUMN report_id BIGINT REFERENCES reports (id) ON DELETE CASCADE;

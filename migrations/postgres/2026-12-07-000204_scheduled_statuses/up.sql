-- Posts an employee scheduled (Mastodon's scheduled statuses): published by whichever app
-- node claims them first once they are due; `claimed_until` is that node's lease.
CREATE TABLE scheduled_statuses (
    id BIGINT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scheduled_at TIMESTAMP NOT NULL,
    -- The post as it will be made (JSON: text, visibility, media_ids, poll, …).
    params TEXT NOT NULL,
    application_id BIGINT,
    claimed_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX scheduled_statuses_due ON scheduled_statuses (scheduled_at);
CREATE INDEX scheduled_statuses_account ON scheduled_statuses (account_id, id);

-- Uploads a scheduled post will carry: kept until it is published.
CREATE TABLE scheduled_media (
    scheduled_status_id BIGINT NOT NULL REFERENCES scheduled_statuses (id) ON DELETE CASCADE,
    media_attachment_id BIGINT NOT NULL REFERENCES media_attachments (id) ON DELETE CASCADE,
    PRIMARY KEY (scheduled_status_id, media_attachment_id)
);
CREATE INDEX scheduled_media_attachment ON scheduled_media (media_attachment_id);

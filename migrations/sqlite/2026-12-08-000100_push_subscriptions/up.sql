-- Web Push (Mastodon's push API): one subscription per access token, for the employee the
-- token belongs to. `access_token` is the token itself (only its hash is kept elsewhere): the
-- push payload names it, as Mastodon's does, so that an app with several accounts knows
-- which one a push is for. It goes with the subscription (token revoked → subscription gone).
CREATE TABLE push_subscriptions (
    id BIGINT PRIMARY KEY NOT NULL,
    access_token_id BIGINT NOT NULL UNIQUE REFERENCES oauth_access_tokens (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    access_token TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    -- The app's keys, base64url without padding: an uncompressed P-256 point, 16 bytes.
    key_p256dh TEXT NOT NULL,
    key_auth TEXT NOT NULL,
    -- true: RFC 8291 (aes128gcm); false: the draft Mastodon used before 4.4 (aesgcm).
    standard BOOLEAN NOT NULL,
    -- The notification types pushed, space-separated (`mention follow admin.report`).
    alerts TEXT NOT NULL,
    -- all | followed | follower | none
    policy TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX push_subscriptions_account ON push_subscriptions (account_id);

-- Pushes to send: one per notification and subscription, queued in the transaction that
-- makes the notification, sent by whichever app node claims it (`claimed_until` is its
-- lease), retried with backoff, deleted once sent or given up.
CREATE TABLE push_deliveries (
    id BIGINT PRIMARY KEY NOT NULL,
    subscription_id BIGINT NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
    notification_id BIGINT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX push_deliveries_due ON push_deliveries (next_attempt_at);
CREATE INDEX push_deliveries_subscription ON push_deliveries (subscription_id);
CREATE INDEX push_deliveries_notification ON push_deliveries (notification_id);

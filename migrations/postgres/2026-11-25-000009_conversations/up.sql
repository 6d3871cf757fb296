-- Direct conversations are the threads (by thread_root_id) holding direct statuses an
-- employee wrote or was mentioned in; they are computed from the statuses. This table only
-- keeps each employee's own state: up to which status they read a conversation, and up to
-- which status they removed it from their list (a newer message brings it back).
CREATE TABLE account_conversations (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL,
    last_read_status_id BIGINT,
    removed_through_status_id BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX account_conversations_account_conversation
    ON account_conversations (account_id, conversation_id);

CREATE INDEX statuses_direct_threads ON statuses (thread_root_id, id) WHERE visibility = 'direct';

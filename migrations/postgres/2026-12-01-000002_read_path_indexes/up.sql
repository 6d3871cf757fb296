-- Indexes the read and write paths were missing at a million statuses.

-- Publishing a post joins the replies that arrived before it (another department's answer
-- can come first): it looks them up by the parent's ActivityPub id, which had no index, so
-- every post scanned all statuses. Only replies still waiting for their parent are indexed.
CREATE INDEX statuses_waiting_replies ON statuses (in_reply_to_ap_id)
    WHERE in_reply_to_ap_id IS NOT NULL AND in_reply_to_id IS NULL;

-- Every read hides the statuses of suspended accounts: without an index, finding those few
-- read the whole accounts table (keys included) on every request.
CREATE INDEX accounts_suspended ON accounts (id) WHERE suspended_at IS NOT NULL;

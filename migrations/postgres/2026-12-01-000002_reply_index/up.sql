-- Publishing a post joins the replies that arrived before it (another department's answer
-- can come first): it looks them up by the parent's ActivityPub id, which had no index, so
-- every post scanned all statuses. Only replies still waiting for their parent are indexed.
CREATE INDEX statuses_waiting_replies ON statuses (in_reply_to_ap_id)
    WHERE in_reply_to_ap_id IS NOT NULL AND in_reply_to_id IS NULL;

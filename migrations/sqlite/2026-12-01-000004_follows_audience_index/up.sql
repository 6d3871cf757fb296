-- An account's followers, read whole from the index: fan-out reads every accepted follower
-- of each new status's author, and posting reads which of them asked to be notified. With
-- the follower and the notify flag in the index, neither visits the follows table (an
-- author with 1,000 followers cost 1,000 table-page reads per post).
DROP INDEX follows_target;
CREATE INDEX follows_target ON follows (target_account_id, accepted, account_id, notify);

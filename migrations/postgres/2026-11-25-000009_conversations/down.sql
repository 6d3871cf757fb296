DROP INDEX statuses_direct_threads;
DROP TABLE account_conversations;

DROP INDEX accounts_suspended;
DROP INDEX statuses_waiting_replies;

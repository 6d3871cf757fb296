DROP INDEX statuses_waiting_replies;

DROP TABLE metrics_first_replies;

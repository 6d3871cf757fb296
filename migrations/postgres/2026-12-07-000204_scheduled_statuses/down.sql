DROP TABLE scheduled_media;
DROP TABLE scheduled_statuses;

ALTER TABLE media_attachments DROP COLUMN bitrate;
ALTER TABLE media_attachments DROP COLUMN frame_rate;
ALTER TABLE media_attachments DROP COLUMN duration;

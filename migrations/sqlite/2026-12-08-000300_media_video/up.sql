-- Video and audio uploads: what ffprobe read (duration in seconds, frame rate as "30/1",
-- bits per second).
ALTER TABLE media_attachments ADD COLUMN duration DOUBLE;
ALTER TABLE media_attachments ADD COLUMN frame_rate TEXT;
ALTER TABLE media_attachments ADD COLUMN bitrate BIGINT;

DROP TABLE home_feed_queue;

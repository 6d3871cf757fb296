DROP TABLE home_feed_states;
DROP TABLE home_feeds;

DROP TABLE featured_tags;
DROP TABLE endorsements;

DROP TABLE thread_mutes;

DROP TABLE directory_syncs;
DROP TABLE directory_entries;

DROP TABLE account_notes;

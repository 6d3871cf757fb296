-- The profile directory lists discoverable accounts, most recently active first.
CREATE INDEX accounts_directory ON accounts (discoverable, last_status_at);

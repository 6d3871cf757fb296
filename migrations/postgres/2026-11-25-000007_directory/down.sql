DROP INDEX accounts_directory;

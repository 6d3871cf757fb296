DROP TABLE status_links;
DROP TABLE suggestion_dismissals;
DROP TABLE account_domain_blocks;

DROP TABLE account_domain_blocks;

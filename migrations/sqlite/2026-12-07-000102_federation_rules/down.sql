DROP TABLE domain_blocks;
DROP TABLE domain_allows;
DROP TABLE federation_settings;

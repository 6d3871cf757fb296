DROP TABLE usage_policy_acceptances;
DROP TABLE usage_policy_versions;

-- Profile fields from the company's identity provider (auth.oidc.profile_fields), as the last
-- sign-in brought them: shown first on the profile, marked verified, not editable by the
-- employee. JSON: [{"name": …, "value": …}].
ALTER TABLE users ADD COLUMN directory_fields TEXT NOT NULL DEFAULT '[]';

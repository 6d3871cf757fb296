-- Company-wide announcements: sent to every department, and read there.
-- Ours: whether it goes to every department. Another department's: its ActivityPub id,
-- the department it came from and its content as sanitized HTML (`text` is then its
-- Markdown source when it sent one, else the plain text).
ALTER TABLE announcements ADD COLUMN company_wide BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE announcements ADD COLUMN ap_id TEXT;
ALTER TABLE announcements ADD COLUMN origin_domain TEXT;
ALTER TABLE announcements ADD COLUMN content_html TEXT;
CREATE UNIQUE INDEX announcements_ap_id ON announcements (ap_id);

-- What each department reports of one of our company-wide announcements: how many people
-- it reached and how many read it (NULL: fewer than that department's privacy threshold).
CREATE TABLE announcement_department_reads (
    announcement_id BIGINT NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    audience BIGINT NOT NULL,
    readers BIGINT,
    reported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (announcement_id, domain)
);

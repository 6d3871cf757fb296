DROP TABLE announcement_department_reads;
DROP INDEX announcements_ap_id;
ALTER TABLE announcements DROP COLUMN content_html;
ALTER TABLE announcements DROP COLUMN origin_domain;
ALTER TABLE announcements DROP COLUMN ap_id;
ALTER TABLE announcements DROP COLUMN company_wide;

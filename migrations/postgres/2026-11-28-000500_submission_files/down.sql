ALTER TABLE submissions ADD COLUMN content BYTEA NOT NULL DEFAULT '';
UPDATE submissions s SET content = f.content
    FROM submission_files f WHERE f.submission_id = s.id;
ALTER TABLE submissions ALTER COLUMN content DROP DEFAULT;
DROP TABLE submission_files;

ALTER TABLE submissions ADD COLUMN content BLOB NOT NULL DEFAULT x'';
UPDATE submissions
    SET content = (SELECT f.content FROM submission_files f WHERE f.submission_id = submissions.id)
    WHERE id IN (SELECT submission_id FROM submission_files);
DROP TABLE submission_files;

-- A submission's workbook lives in a table of its own; see the SQLite migration of the same name
-- for why.
CREATE TABLE submission_files (
    submission_id BIGINT PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE,
    content BYTEA NOT NULL
);
INSERT INTO submission_files (submission_id, content) SELECT id, content FROM submissions;
ALTER TABLE submissions DROP COLUMN content;

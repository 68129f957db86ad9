-- A submission's workbook, byte for byte, lives in a table of its own. In the submission's row
-- it was written twice by every import: once when the row was inserted at the start, and again
-- when the report, format and item count were set at the end, for SQLite writes a changed row
-- whole, and the workbook with it — 5.6 MB more log for a 100,000-row file and 17 ms more at
-- the end of its transaction (BENCHMARKS.md, "Import"); marking the previous submission
-- superseded rewrote its workbook too. Now the workbook is written once, while the import
-- waits for its first items.
CREATE TABLE submission_files (
    submission_id INTEGER PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE,
    content BLOB NOT NULL
);
INSERT INTO submission_files (submission_id, content) SELECT id, content FROM submissions;
ALTER TABLE submissions DROP COLUMN content;

-- Back to references checked at each statement (see up.sql).
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(replace(replace(sql,
        'round_id BIGINT NOT NULL REFERENCES rounds (id) DEFERRABLE INITIALLY DEFERRED,',
        'round_id BIGINT NOT NULL REFERENCES rounds (id),'),
        'department_id BIGINT NOT NULL REFERENCES departments (id) DEFERRABLE INITIALLY DEFERRED,',
        'department_id BIGINT NOT NULL REFERENCES departments (id),'),
        'submission_id BIGINT NOT NULL REFERENCES submissions (id) DEFERRABLE INITIALLY DEFERRED,',
        'submission_id BIGINT NOT NULL REFERENCES submissions (id),')
    WHERE type = 'table' AND name = 'items';
UPDATE sqlite_schema SET sql = replace(replace(sql,
        'item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,',
        'item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,'),
        'document_id BIGINT REFERENCES legal_documents (id) DEFERRABLE INITIALLY DEFERRED,',
        'document_id BIGINT REFERENCES legal_documents (id),')
    WHERE type = 'table' AND name = 'legal_bases';
UPDATE sqlite_schema SET sql = replace(sql,
        'item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,',
        'item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,')
    WHERE type = 'table' AND name = 'findings';
PRAGMA writable_schema = RESET;
CREATE TABLE nianjian_schema_changed (x INTEGER);
DROP TABLE nianjian_schema_changed;

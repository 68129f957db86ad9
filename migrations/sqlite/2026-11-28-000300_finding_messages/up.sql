-- A finding's message, in both languages, is stored once in `finding_messages` and findings
-- point at it. A rule says the same words of many items (R04 says one sentence of every kept
-- inspection not yet converted; R02 one per highest basis): a 100,000-row import wrote some
-- 91,000 findings whose two messages were 24 of their 30 MB, and the whole import some 122 MB
-- (BENCHMARKS.md, "Import"). New messages are found again by `digest`, the SHA-256 of both
-- texts (`db::items::message_digest`); the messages carried over here have none (SQLite has no
-- SHA-256 of its own), so they are shared only by the findings that had them.
CREATE TABLE finding_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    digest TEXT,
    message_zh TEXT NOT NULL,
    message_en TEXT NOT NULL,
    CONSTRAINT finding_messages_digest_key UNIQUE (digest)
);
INSERT INTO finding_messages (message_zh, message_en)
    SELECT DISTINCT message_zh, message_en FROM findings ORDER BY message_zh, message_en;

-- SQLite cannot add a NOT NULL column with a reference: the table is rebuilt, its ids kept.
CREATE TABLE findings_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    code TEXT NOT NULL,
    severity TEXT NOT NULL,
    resolved BOOLEAN NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    message_id BIGINT NOT NULL REFERENCES finding_messages (id) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT findings_code_check CHECK (code = 'R01' OR code = 'R02' OR code = 'R03' OR code = 'R04' OR code = 'R05' OR code = 'R06' OR code = 'R07' OR code = 'R08' OR code = 'R09' OR code = 'R10' OR code = 'R11'),
    CONSTRAINT findings_severity_check CHECK (severity = 'error' OR severity = 'warning' OR severity = 'info')
);
INSERT INTO findings_new (id, item_id, code, severity, resolved, computed_at, message_id)
    SELECT f.id, f.item_id, f.code, f.severity, f.resolved, f.computed_at, m.id
    FROM findings f
    JOIN finding_messages m ON m.message_zh = f.message_zh AND m.message_en = f.message_en
    ORDER BY f.id;
DROP TABLE findings;
ALTER TABLE findings_new RENAME TO findings;
CREATE INDEX findings_item_idx ON findings (item_id);
CREATE INDEX findings_code_idx ON findings (code, item_id);

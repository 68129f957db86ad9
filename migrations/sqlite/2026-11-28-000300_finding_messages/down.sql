CREATE TABLE findings_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    code TEXT NOT NULL,
    severity TEXT NOT NULL,
    message_zh TEXT NOT NULL,
    message_en TEXT NOT NULL,
    resolved BOOLEAN NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    CONSTRAINT findings_code_check CHECK (code = 'R01' OR code = 'R02' OR code = 'R03' OR code = 'R04' OR code = 'R05' OR code = 'R06' OR code = 'R07' OR code = 'R08' OR code = 'R09' OR code = 'R10' OR code = 'R11'),
    CONSTRAINT findings_severity_check CHECK (severity = 'error' OR severity = 'warning' OR severity = 'info')
);
INSERT INTO findings_old (id, item_id, code, severity, message_zh, message_en, resolved, computed_at)
    SELECT f.id, f.item_id, f.code, f.severity, m.message_zh, m.message_en, f.resolved, f.computed_at
    FROM findings f JOIN finding_messages m ON m.id = f.message_id
    ORDER BY f.id;
DROP TABLE findings;
ALTER TABLE findings_old RENAME TO findings;
CREATE INDEX findings_item_idx ON findings (item_id);
CREATE INDEX findings_code_idx ON findings (code, item_id);
DROP TABLE finding_messages;

ALTER TABLE findings ADD COLUMN message_zh TEXT, ADD COLUMN message_en TEXT;
UPDATE findings f SET message_zh = m.message_zh, message_en = m.message_en
    FROM finding_messages m WHERE m.id = f.message_id;
ALTER TABLE findings ALTER COLUMN message_zh SET NOT NULL, ALTER COLUMN message_en SET NOT NULL;
ALTER TABLE findings DROP COLUMN message_id;
DROP TABLE finding_messages;

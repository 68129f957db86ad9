-- A finding's message, in both languages, is stored once in `finding_messages` and findings
-- point at it; see the SQLite migration of the same name for why. Here the messages carried
-- over get their digest as the program computes it (`db::items::message_digest`: SHA-256 of
-- the Chinese text's length in bytes, a colon, the Chinese text and the English text), so new
-- findings share them too.
CREATE TABLE finding_messages (
    id BIGSERIAL PRIMARY KEY,
    digest TEXT,
    message_zh TEXT NOT NULL,
    message_en TEXT NOT NULL,
    CONSTRAINT finding_messages_digest_key UNIQUE (digest)
);
INSERT INTO finding_messages (digest, message_zh, message_en)
    SELECT encode(sha256(convert_to(octet_length(message_zh)::text || ':' || message_zh
                                    || message_en, 'UTF8')), 'hex'),
           message_zh, message_en
    FROM (SELECT DISTINCT message_zh, message_en FROM findings) m
    ORDER BY message_zh, message_en;
ALTER TABLE findings ADD COLUMN message_id BIGINT;
UPDATE findings f SET message_id = m.id
    FROM finding_messages m
    WHERE m.message_zh = f.message_zh AND m.message_en = f.message_en;
ALTER TABLE findings ALTER COLUMN message_id SET NOT NULL;
ALTER TABLE findings ADD CONSTRAINT findings_message_id_fkey
    FOREIGN KEY (message_id) REFERENCES finding_messages (id);
ALTER TABLE findings DROP COLUMN message_zh, DROP COLUMN message_en;

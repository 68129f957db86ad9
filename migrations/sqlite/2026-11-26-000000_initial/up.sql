-- The whole schema of DESIGN.md §3. Twin of migrations/postgres/2026-11-26-000000_initial/up.sql:
-- same tables, columns, nullability and named constraints (tests/schema_parity.rs checks it).

CREATE TABLE regions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_id BIGINT REFERENCES regions (id),
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT regions_code_key UNIQUE (code),
    CONSTRAINT regions_code_check CHECK (length(code) BETWEEN 6 AND 12),
    CONSTRAINT regions_level_check CHECK (level IN ('province', 'city', 'county', 'township'))
);
CREATE INDEX regions_parent_idx ON regions (parent_id);

CREATE TABLE departments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id BIGINT NOT NULL REFERENCES regions (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    short_name TEXT,
    contact_person TEXT,
    contact_phone TEXT,
    contact_email TEXT,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT departments_code_key UNIQUE (code),
    CONSTRAINT departments_code_check CHECK (length(code) BETWEEN 1 AND 64)
);
CREATE INDEX departments_region_idx ON departments (region_id);
CREATE INDEX departments_name_idx ON departments (name);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    department_id BIGINT REFERENCES departments (id),
    region_id BIGINT REFERENCES regions (id),
    disabled BOOLEAN NOT NULL,
    must_change_password BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_role_check CHECK (role IN ('submitter', 'reviewer', 'admin')),
    CONSTRAINT users_submitter_department_check CHECK (role <> 'submitter' OR department_id IS NOT NULL)
);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id BIGINT NOT NULL REFERENCES regions (id),
    name TEXT NOT NULL,
    submission_deadline TIMESTAMP,
    consultation_starts_at TIMESTAMP,
    consultation_ends_at TIMESTAMP,
    publication_deadline TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT rounds_consultation_order_check CHECK (
        consultation_starts_at IS NULL OR consultation_ends_at IS NULL
        OR consultation_starts_at < consultation_ends_at)
);
CREATE INDEX rounds_region_idx ON rounds (region_id);

CREATE TABLE submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id BIGINT NOT NULL REFERENCES rounds (id),
    department_id BIGINT NOT NULL REFERENCES departments (id),
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    content BLOB NOT NULL,
    report TEXT NOT NULL,
    item_count BIGINT NOT NULL,
    error_count BIGINT NOT NULL,
    uploaded_by BIGINT REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL,
    superseded_by BIGINT REFERENCES submissions (id),
    CONSTRAINT submissions_format_check CHECK (format IN ('xlsx', 'xlsm', 'xls', 'ods', 'csv')),
    CONSTRAINT submissions_sha256_check CHECK (length(sha256) = 64),
    CONSTRAINT submissions_counts_check CHECK (item_count >= 0 AND error_count >= 0 AND size_bytes >= 0)
);
CREATE INDEX submissions_round_department_idx ON submissions (round_id, department_id);
CREATE INDEX submissions_sha256_idx ON submissions (sha256);

CREATE TABLE items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id BIGINT NOT NULL REFERENCES rounds (id),
    department_id BIGINT NOT NULL REFERENCES departments (id),
    submission_id BIGINT NOT NULL REFERENCES submissions (id),
    identity_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    licence TEXT,
    licence_code TEXT,
    target TEXT,
    cycle_months BIGINT,
    cycle_text TEXT,
    annual_report BOOLEAN,
    self_set BOOLEAN NOT NULL,
    proposed TEXT,
    proposed_cycle_months BIGINT,
    reason TEXT,
    remarks TEXT,
    tied_to TEXT,
    hours DOUBLE,
    fee TEXT,
    fee_basis TEXT,
    provider TEXT,
    provider_designated BOOLEAN,
    sheet TEXT NOT NULL,
    row_number BIGINT NOT NULL,
    state TEXT NOT NULL,
    withdrawn BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT items_identity_key UNIQUE (round_id, department_id, identity_key),
    CONSTRAINT items_kind_check CHECK (kind IN ('inspection', 'training')),
    CONSTRAINT items_proposed_check CHECK (proposed IN ('retain', 'cancel', 'extend_cycle', 'convert_to_annual_report', 'standardise')),
    CONSTRAINT items_tied_to_check CHECK (tied_to IN ('issuance', 'inspection', 'both')),
    CONSTRAINT items_state_check CHECK (state IN ('submitted', 'under_review', 'decided', 'published')),
    CONSTRAINT items_cycle_check CHECK (cycle_months > 0 AND proposed_cycle_months > 0),
    CONSTRAINT items_row_check CHECK (row_number > 0)
);
CREATE INDEX items_round_department_idx ON items (round_id, department_id);
CREATE INDEX items_round_kind_idx ON items (round_id, kind);
CREATE INDEX items_round_state_idx ON items (round_id, state);
CREATE INDEX items_submission_idx ON items (submission_id);
CREATE INDEX items_licence_idx ON items (licence);

CREATE TABLE legal_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    title_key TEXT NOT NULL,
    doc_number TEXT,
    issuer TEXT,
    level TEXT NOT NULL,
    status TEXT NOT NULL,
    issued_on DATE,
    effective_on DATE,
    repealed_on DATE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT legal_documents_title_key_key UNIQUE (title_key),
    CONSTRAINT legal_documents_level_check CHECK (level IN ('law', 'admin_regulation', 'state_council_decision', 'departmental_rule', 'local_regulation', 'local_gov_rule', 'normative_document')),
    CONSTRAINT legal_documents_status_check CHECK (status IN ('in_force', 'amended', 'repealed'))
);

CREATE TABLE legal_bases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    level TEXT,
    level_inferred BOOLEAN NOT NULL,
    title TEXT NOT NULL,
    title_key TEXT NOT NULL,
    article TEXT,
    issuer TEXT,
    document_id BIGINT REFERENCES legal_documents (id),
    CONSTRAINT legal_bases_position_key UNIQUE (item_id, position),
    CONSTRAINT legal_bases_level_check CHECK (level IN ('law', 'admin_regulation', 'state_council_decision', 'departmental_rule', 'local_regulation', 'local_gov_rule', 'normative_document'))
);
CREATE INDEX legal_bases_title_key_idx ON legal_bases (title_key);
CREATE INDEX legal_bases_document_idx ON legal_bases (document_id);

CREATE TABLE findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    severity TEXT NOT NULL,
    message_zh TEXT NOT NULL,
    message_en TEXT NOT NULL,
    resolved BOOLEAN NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    CONSTRAINT findings_code_check CHECK (code IN ('R01', 'R02', 'R03', 'R04', 'R05', 'R06', 'R07', 'R08', 'R09', 'R10', 'R11')),
    CONSTRAINT findings_severity_check CHECK (severity IN ('error', 'warning', 'info'))
);
CREATE INDEX findings_item_idx ON findings (item_id);
CREATE INDEX findings_code_idx ON findings (code, item_id);
CREATE INDEX findings_severity_idx ON findings (severity, item_id);

CREATE TABLE decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    disposition TEXT NOT NULL,
    cycle_months BIGINT,
    rationale TEXT NOT NULL,
    necessity TEXT,
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP NOT NULL,
    superseded_at TIMESTAMP,
    CONSTRAINT decisions_disposition_check CHECK (disposition IN ('retain', 'cancel', 'extend_cycle', 'convert_to_annual_report', 'standardise')),
    CONSTRAINT decisions_cycle_check CHECK (cycle_months > 0),
    CONSTRAINT decisions_extend_cycle_check CHECK (disposition <> 'extend_cycle' OR cycle_months IS NOT NULL)
);
CREATE INDEX decisions_item_idx ON decisions (item_id, superseded_at);

CREATE TABLE consultations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id BIGINT NOT NULL REFERENCES rounds (id),
    title TEXT NOT NULL,
    notice TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT consultations_window_check CHECK (starts_at < ends_at)
);
CREATE INDEX consultations_round_idx ON consultations (round_id);

CREATE TABLE consultation_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    consultation_id BIGINT NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    summary TEXT,
    CONSTRAINT consultation_items_key UNIQUE (consultation_id, item_id)
);
CREATE INDEX consultation_items_item_idx ON consultation_items (item_id);

CREATE TABLE comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    consultation_id BIGINT NOT NULL REFERENCES consultations (id),
    item_id BIGINT NOT NULL REFERENCES items (id),
    stance TEXT NOT NULL,
    body TEXT NOT NULL,
    author_name TEXT,
    author_contact TEXT,
    address_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    moderation_reason TEXT,
    moderated_by BIGINT REFERENCES users (id),
    moderated_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    CONSTRAINT comments_stance_check CHECK (stance IN ('support', 'oppose', 'other')),
    CONSTRAINT comments_state_check CHECK (state IN ('pending', 'approved', 'rejected')),
    CONSTRAINT comments_body_check CHECK (length(body) BETWEEN 1 AND 5000)
);
CREATE INDEX comments_item_idx ON comments (item_id, state);
CREATE INDEX comments_consultation_idx ON comments (consultation_id, state);

CREATE TABLE publications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region_id BIGINT NOT NULL REFERENCES regions (id),
    round_id BIGINT NOT NULL REFERENCES rounds (id),
    number BIGINT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    item_count BIGINT NOT NULL,
    published_by BIGINT REFERENCES users (id),
    published_at TIMESTAMP NOT NULL,
    CONSTRAINT publications_number_key UNIQUE (region_id, number),
    CONSTRAINT publications_number_check CHECK (number > 0)
);

CREATE TABLE published_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    publication_id BIGINT NOT NULL REFERENCES publications (id),
    item_id BIGINT NOT NULL REFERENCES items (id),
    list TEXT NOT NULL,
    serial BIGINT NOT NULL,
    identity_key TEXT NOT NULL,
    region_code TEXT NOT NULL,
    department_code TEXT NOT NULL,
    department_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    licence TEXT,
    target TEXT,
    cycle_months_before BIGINT,
    cycle_months BIGINT,
    cycle_text TEXT,
    disposition TEXT NOT NULL,
    legal_bases TEXT NOT NULL,
    rationale TEXT,
    detail TEXT NOT NULL,
    CONSTRAINT published_items_serial_key UNIQUE (publication_id, list, serial),
    CONSTRAINT published_items_list_check CHECK (list IN ('retained', 'converted', 'cancelled', 'trainings')),
    CONSTRAINT published_items_kind_check CHECK (kind IN ('inspection', 'training')),
    CONSTRAINT published_items_disposition_check CHECK (disposition IN ('retain', 'cancel', 'extend_cycle', 'convert_to_annual_report', 'standardise'))
);
CREATE INDEX published_items_department_idx ON published_items (publication_id, department_code);
CREATE INDEX published_items_identity_idx ON published_items (publication_id, identity_key);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    actor_user_id BIGINT REFERENCES users (id),
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    CONSTRAINT audit_log_hash_key UNIQUE (hash),
    CONSTRAINT audit_log_hash_check CHECK (length(hash) = 64 AND length(prev_hash) = 64)
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);

-- The audit log is append-only: the database itself refuses to change or remove an entry.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

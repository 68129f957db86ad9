CREATE INDEX items_licence_idx ON items (licence);
CREATE INDEX items_submission_idx ON items (submission_id);
CREATE INDEX findings_severity_idx ON findings (severity, item_id);

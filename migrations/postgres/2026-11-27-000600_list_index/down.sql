DROP INDEX items_list_idx;
CREATE INDEX items_round_department_idx ON items (round_id, department_id);
ALTER TABLE items DROP COLUMN open_severities;

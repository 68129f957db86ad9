DROP FUNCTION instr(text, text);
DROP INDEX items_list_idx;
CREATE INDEX items_list_idx
    ON items (round_id, department_id, withdrawn, row_number, open_severities);

-- The consolidated list (issue #5) answers every common filter from one index: the round's live
-- items in display order (department in registration order, row, id), with the open finding
-- severities and the identity key (the normalised name and licence, DESIGN.md §9) beside them.
-- A free-text filter is a substring test on the identity key, so a page of ids and its count
-- are index-only scans; the rows of a page are fetched by id after.
DROP INDEX items_list_idx;
CREATE INDEX items_list_idx
    ON items (round_id, withdrawn, department_id, row_number, id, open_severities, identity_key);

-- SQLite's instr(haystack, needle), so one query serves both backends; inlined by the planner.
CREATE FUNCTION instr(text, text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS 'SELECT strpos($1, $2)';

-- Three indexes no query reads, each kept up by every row an import writes (a 100,000-row
-- import maintains them some 300,000 times; BENCHMARKS.md, "Import"):
-- * items (licence): the licence is only ever searched as a substring (`LIKE '%…%'`), which an
--   index cannot answer;
-- * items (submission_id): the one query by submission (its detail page) also names the
--   submission's round and department, which the unique key (round_id, department_id,
--   identity_key) leads with;
-- * findings (severity, item_id): the round's items with open errors are found by the bits
--   `items.open_severities` keeps in `items_list_idx`, and their findings by `findings_item_idx`.
DROP INDEX items_licence_idx;
DROP INDEX items_submission_idx;
DROP INDEX findings_severity_idx;

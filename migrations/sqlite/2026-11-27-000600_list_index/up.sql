-- The consolidated list (issue #5) reads its pages from one index in display order: by round,
-- department (in the order departments were registered), live items, then row. The item's open
-- finding severities are kept on the item as bits (1 error, 2 warning, 4 info) so the severity
-- filter and the count read the index alone instead of probing `findings` for every item.
ALTER TABLE items ADD COLUMN open_severities INTEGER NOT NULL DEFAULT 0
    CONSTRAINT items_open_severities_check CHECK (open_severities BETWEEN 0 AND 7);

UPDATE items SET open_severities =
      (CASE WHEN EXISTS (SELECT 1 FROM findings f WHERE f.item_id = items.id
                         AND f.severity = 'error' AND f.resolved = 0) THEN 1 ELSE 0 END)
    + (CASE WHEN EXISTS (SELECT 1 FROM findings f WHERE f.item_id = items.id
                         AND f.severity = 'warning' AND f.resolved = 0) THEN 2 ELSE 0 END)
    + (CASE WHEN EXISTS (SELECT 1 FROM findings f WHERE f.item_id = items.id
                         AND f.severity = 'info' AND f.resolved = 0) THEN 4 ELSE 0 END);

DROP INDEX items_round_department_idx;
CREATE INDEX items_list_idx
    ON items (round_id, department_id, withdrawn, row_number, open_severities);

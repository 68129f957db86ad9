-- The public list filtered by list and department (the common case) reads its page straight from
-- this index, in serial order, instead of walking the whole list and skipping other departments.
CREATE INDEX published_items_list_department_idx
    ON published_items (publication_id, list, department_code, serial);

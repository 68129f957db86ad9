-- Two indexes every imported row pays for and only a count reads: items by (round, kind) and by
-- (round, state). A page of the consolidated list, filtered by kind or state or not, is read in
-- `items_list_idx`'s order whatever else exists (SQLite's choice, checked with EXPLAIN QUERY PLAN
-- on a 100,000-item round); only the page's count used them. Without them that count scans the
-- round: 7–10 ms → 17 ms on SQLite at 100,000 items, inside the list's p99 target of 50 ms. With
-- them a 100,000-row import maintained 200,000 more index entries, some 4% of its time
-- (BENCHMARKS.md, "Import").
DROP INDEX items_round_kind_idx;
DROP INDEX items_round_state_idx;

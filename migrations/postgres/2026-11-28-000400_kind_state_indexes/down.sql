CREATE INDEX items_round_kind_idx ON items (round_id, kind);
CREATE INDEX items_round_state_idx ON items (round_id, state);

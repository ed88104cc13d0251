-- The shelters schema. btree_gist makes the no-double-booking exclusion constraint possible.
CREATE EXTENSION IF NOT EXISTS btree_gist;

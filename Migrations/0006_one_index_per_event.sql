-- Events keep one index instead of two (issue 11). Every transition appends an event, three per lifecycle;
-- the primary key (tenant_id, id) was read by nothing, while every reader (an inspection's history in the web
-- console and reports, the soak's chain check) goes through (tenant_id, inspection_id, id). That index becomes
-- the primary key: still unique (id alone is), still led by tenant_id for distribution by tenant.
CREATE UNIQUE INDEX inspection_events_key ON inspection_events (tenant_id, inspection_id, id);
ALTER TABLE inspection_events DROP CONSTRAINT inspection_events_pkey;
ALTER TABLE inspection_events ADD CONSTRAINT inspection_events_pkey PRIMARY KEY USING INDEX inspection_events_key;
DROP INDEX inspection_events_inspection;

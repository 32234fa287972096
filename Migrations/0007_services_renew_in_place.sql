-- A renewal rewrites its service in place (issue 11). Every approval moves the service's expires_on; the index
-- on (tenant_id, expires_on) made each of those updates write all four of the table's indexes, and a full page
-- left no room for the new version beside the old. The index served two once-a-night readers (`nianjian plan`
-- and the report's "expiring without an inspection"), each over one tenant's services, which the primary key
-- (tenant_id, id) reaches as well. Without it, and with room left on each page, a renewal is a HOT update.
-- (fillfactor applies to pages written from now on; `VACUUM FULL services` repacks existing ones, off-hours.)
DROP INDEX services_expiry;
ALTER TABLE services SET (fillfactor = 80);

-- Room on each page for a night's updates (issue 11). A runner updates an inspection twice a night (the
-- submission's write-ahead, then its outcome) and renews its service once, and a batch updates a tenant's
-- neighbouring rows in one transaction: all the rows of a page want a new version beside the old one at once.
-- At fillfactor 80 a page had room for a fifth of them, so most write-aheads and renewals were not HOT and
-- wrote every index of the table (pg_stat_user_tables in `nianjian bench throughput`: 42 % of inspection
-- updates and 53 % of service updates HOT). At 50 each row of a full page has room for one new version.
-- (fillfactor applies to pages written from now on; `VACUUM FULL inspections, services` repacks existing
-- ones, off-hours.)
ALTER TABLE inspections SET (fillfactor = 50);
ALTER TABLE services SET (fillfactor = 50);

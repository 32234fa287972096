-- The lifecycle's hot path (issue 11): what the claim reads apart from what reports read, the fewest
-- indexes that keep the claim an index probe, and events appended without a row-by-row trigger.
--
-- Measured before (pg_stat_statements over `nianjian bench throughput`): every claim rewrote the whole wide
-- inspections row and its eight indexes (no update was HOT), and each event insert ran a foreign-key check.

-- Leases live in their own narrow table: a claim inserts a row here and only locks the inspection (no new
-- version of it, no index entry); a heartbeat updates `expires_at`, which no index holds, so it is a HOT
-- update (fillfactor leaves room on the page); a release deletes the row. The rescuer reads this table,
-- which holds only the work in flight.
CREATE TABLE inspection_leases (
    tenant_id     bigint NOT NULL,
    inspection_id bigint NOT NULL,
    owner         text NOT NULL,
    -- The fencing token: made by the claimer (random, 63 bits), so the claim needs no sequence and stays a
    -- statement on one tenant.
    token         bigint NOT NULL,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, inspection_id)
) WITH (fillfactor = 70);

INSERT INTO inspection_leases (tenant_id, inspection_id, owner, token, expires_at)
SELECT tenant_id, id, lease_owner, COALESCE(lease_token, 0), lease_expires_at
  FROM inspections WHERE lease_owner IS NOT NULL;

ALTER TABLE inspection_leases ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inspection_leases
    USING (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint);
GRANT SELECT ON inspection_leases TO nianjian_tenant;

-- Dropping the lease columns drops the indexes and the check that name them (the claim paths, the leased
-- index); the claim paths come back without the lease in their predicate.
ALTER TABLE inspections DROP COLUMN lease_owner, DROP COLUMN lease_expires_at, DROP COLUMN lease_token;
DROP SEQUENCE lease_tokens;
DROP INDEX IF EXISTS inspections_due_attempt, inspections_due_poll, inspections_resume_submit, inspections_leased;
CREATE INDEX inspections_due_attempt ON inspections (tenant_id, next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX inspections_due_poll ON inspections (tenant_id, next_poll_at, id) WHERE state = 'in_review';
CREATE INDEX inspections_resume_submit ON inspections (tenant_id, id) WHERE state = 'submitting';
-- Reports count a tenant's inspections by state through the primary key's tenant prefix; this index was
-- written by every transition.
DROP INDEX inspections_state;
-- The idempotency key is built from (tenant, inspection, cycle, generation), unique by construction; its
-- index was written by every transition after validation and read by nothing.
DROP INDEX inspections_idempotency_key;

-- Events and renewals reference their inspection without a foreign key: the key checked every event insert
-- row by row. Deleting inspections (a company or tenant removed) still removes their history, with one
-- set-based statement per deleting statement.
ALTER TABLE inspection_events DROP CONSTRAINT inspection_events_tenant_id_inspection_id_fkey;
ALTER TABLE service_renewals DROP CONSTRAINT service_renewals_tenant_id_inspection_id_fkey;

CREATE FUNCTION inspections_deleted() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM inspection_events e USING gone g WHERE e.tenant_id = g.tenant_id AND e.inspection_id = g.id;
    DELETE FROM service_renewals r USING gone g WHERE r.tenant_id = g.tenant_id AND r.inspection_id = g.id;
    DELETE FROM inspection_leases l USING gone g WHERE l.tenant_id = g.tenant_id AND l.inspection_id = g.id;
    RETURN NULL;
END $$;

CREATE TRIGGER inspections_deleted AFTER DELETE ON inspections
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION inspections_deleted();

-- The runner loads every service of each company it inspects (the portfolio rules of issue 10); without
-- this index each company's services were found by scanning the tenant's.
CREATE INDEX services_company ON services (tenant_id, company_id);

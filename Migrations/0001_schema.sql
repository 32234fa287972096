-- Nianjian schema, version 1.
-- Every tenant-owned table leads its key with tenant_id and its foreign keys include it, so the schema
-- can be distributed by tenant_id (Citus) and row-level security can scope a session to one tenant.
-- Money is numeric(14,2) yuan: exact, never floating point.

CREATE TABLE tenants (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Share of each claim round relative to other tenants (deficit round robin).
    weight          integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 1000),
    -- NULL: the job file's default.
    max_concurrency integer CHECK (max_concurrency BETWEEN 1 AND 100000),
    submit_rate     numeric(10,3) CHECK (submit_rate > 0),
    poll_rate       numeric(10,3) CHECK (poll_rate > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE companies (
    tenant_id            bigint NOT NULL REFERENCES tenants (id),
    id                   bigint GENERATED ALWAYS AS IDENTITY,
    company_ref          text NOT NULL CHECK (length(company_ref) BETWEEN 1 AND 100),
    name                 text NOT NULL,
    legal_representative text NOT NULL,
    contact_name         text NOT NULL DEFAULT '',
    contact_phone        text NOT NULL DEFAULT '',
    contact_email        text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, company_ref)
);

CREATE TABLE contracts (
    tenant_id       bigint NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    company_id      bigint NOT NULL,
    contract_number text NOT NULL CHECK (length(contract_number) BETWEEN 1 AND 100),
    amount          numeric(14,2) NOT NULL CHECK (amount >= 0),
    starts_on       date NOT NULL,
    ends_on         date NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, company_id, contract_number),
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id) ON DELETE CASCADE,
    CHECK (ends_on >= starts_on)
);

CREATE TABLE materials (
    tenant_id     bigint NOT NULL,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    company_id    bigint NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('business_license', 'tax_registration', 'organization_code',
                                                 'id_card', 'passport', 'service_contract')),
    number        text NOT NULL,
    holder_name   text NOT NULL,
    valid_from    date,
    -- NULL: no expiry.
    valid_until   date,
    file_checksum text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, company_id, kind, number),
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE services (
    tenant_id           bigint NOT NULL,
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    company_id          bigint NOT NULL,
    service_ref         text NOT NULL CHECK (length(service_ref) BETWEEN 1 AND 100),
    console_instance_id text NOT NULL,
    service_type        text NOT NULL,
    region              text NOT NULL DEFAULT '',
    expires_on          date NOT NULL,
    renewal_amount      numeric(14,2) NOT NULL CHECK (renewal_amount >= 0),
    -- NULL: the spreadsheet named a method we do not know; validation reports it.
    renewal_method      text CHECK (renewal_method IN ('auto', 'manual')),
    contract_number     text NOT NULL DEFAULT '',
    term_months         integer NOT NULL DEFAULT 12 CHECK (term_months BETWEEN 1 AND 120),
    renewed_count       integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, service_ref),
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX services_expiry ON services (tenant_id, expires_on);

-- One inspection per service per cycle (the year of the expiry it renews).
CREATE TABLE inspections (
    tenant_id        bigint NOT NULL,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    service_id       bigint NOT NULL,
    company_id       bigint NOT NULL,
    cycle            integer NOT NULL CHECK (cycle BETWEEN 2000 AND 9999),
    -- The expiry date this inspection renews.
    due_on           date NOT NULL,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'needs_materials', 'submitting', 'in_review', 'approved',
                                      'rejected', 'failed', 'cancelled')),
    -- Console attempts used in this generation (polls use none).
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Bumped by every requeue: part of the idempotency key, so a resubmission is a new console request.
    generation       integer NOT NULL DEFAULT 0 CHECK (generation >= 0),
    -- Business clock: when a pending inspection is next due, when an in-review one is next polled.
    next_attempt_at  timestamptz,
    next_poll_at     timestamptz,
    -- Lease (real time, the database's now()): which runner holds it, until when, and the fencing token
    -- every write-back must present.
    lease_owner      text,
    lease_expires_at timestamptz,
    lease_token      bigint,
    idempotency_key  text CHECK (length(idempotency_key) <= 64),
    console_ticket   text,
    findings         jsonb NOT NULL DEFAULT '[]',
    rejection_reason text CHECK (rejection_reason IN ('incomplete_materials', 'inaccurate_information',
                                                      'abnormal_service_status', 'violation')),
    last_error       text,
    submitted_at     timestamptz,
    decided_at       timestamptz,
    renewed_until    date,
    renewal_amount   numeric(14,2),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, service_id, cycle),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id) ON DELETE CASCADE,
    CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL)),
    CHECK (state <> 'approved' OR renewed_until IS NOT NULL)
);

-- Fencing tokens: every claim takes a new one; a write-back must present the token it claimed with.
CREATE SEQUENCE lease_tokens;

-- Claim paths: due pending work, due polls, submissions to resume, and expired leases to rescue.
CREATE INDEX inspections_due_attempt ON inspections (tenant_id, next_attempt_at, id)
    WHERE state = 'pending' AND lease_owner IS NULL;
CREATE INDEX inspections_due_poll ON inspections (tenant_id, next_poll_at, id)
    WHERE state = 'in_review' AND lease_owner IS NULL;
CREATE INDEX inspections_resume_submit ON inspections (tenant_id, id)
    WHERE state = 'submitting' AND lease_owner IS NULL;
CREATE INDEX inspections_leased ON inspections (lease_expires_at) WHERE lease_owner IS NOT NULL;
CREATE INDEX inspections_state ON inspections (tenant_id, state);
CREATE UNIQUE INDEX inspections_idempotency_key ON inspections (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Append-only history of every transition: reports and audits read it.
CREATE TABLE inspection_events (
    tenant_id     bigint NOT NULL,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    inspection_id bigint NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    -- The business clock's time of the event (differs from `at` under --as-of).
    business_at   timestamptz NOT NULL DEFAULT now(),
    actor         text NOT NULL,
    kind          text NOT NULL,
    from_state    text,
    to_state      text NOT NULL,
    detail        jsonb NOT NULL DEFAULT '{}',
    run_id        bigint,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, inspection_id) REFERENCES inspections (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX inspection_events_inspection ON inspection_events (tenant_id, inspection_id, id);

CREATE FUNCTION inspection_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'inspection_events is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER inspection_events_no_update BEFORE UPDATE ON inspection_events
    FOR EACH ROW EXECUTE FUNCTION inspection_events_append_only();

-- Every renewal applied to a service: at most one per inspection (exactly-once renewal, audited).
CREATE TABLE service_renewals (
    tenant_id      bigint NOT NULL,
    inspection_id  bigint NOT NULL,
    service_id     bigint NOT NULL,
    previous_until date NOT NULL,
    renewed_until  date NOT NULL,
    amount         numeric(14,2) NOT NULL,
    at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, inspection_id),
    FOREIGN KEY (tenant_id, inspection_id) REFERENCES inspections (tenant_id, id) ON DELETE CASCADE
);

-- One row per `nianjian run`.
CREATE TABLE runs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    runner_id           text NOT NULL,
    job_name            text NOT NULL,
    as_of               date NOT NULL,
    status              text NOT NULL DEFAULT 'running'
                        CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
    started_at          timestamptz NOT NULL DEFAULT now(),
    -- Touched by every claim: a run whose runner died stops being touched and is closed by the rescuer.
    heartbeat_at        timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz,
    claimed             integer NOT NULL DEFAULT 0,
    by_state            jsonb NOT NULL DEFAULT '{}'
);

-- What a run did for one tenant, readable through the tenant's row-level security.
CREATE TABLE run_tenants (
    tenant_id  bigint NOT NULL REFERENCES tenants (id),
    run_id     bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    claimed    integer NOT NULL DEFAULT 0,
    by_state   jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, run_id)
);

-- Changes made by imports, kept for audit ("what changed").
CREATE TABLE import_batches (
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    id          bigint GENERATED ALWAYS AS IDENTITY,
    source      text NOT NULL,
    summary     jsonb NOT NULL,
    changes     jsonb NOT NULL DEFAULT '[]',
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

-- The mock console's memory, as a real console would keep it: it survives a runner crash.
CREATE TABLE mock_console_submissions (
    idempotency_key     text PRIMARY KEY CHECK (length(idempotency_key) <= 64),
    account             text NOT NULL,
    request_fingerprint text NOT NULL,
    ticket              text NOT NULL UNIQUE,
    submitted_at        timestamptz NOT NULL,
    -- The business date from which the review's outcome is known.
    decided_on          date NOT NULL,
    outcome             text NOT NULL CHECK (outcome IN ('approved', 'rejected')),
    rejection_reason    text,
    -- How often this key was submitted (1 = no duplicate) and how often with a different request.
    submit_count        integer NOT NULL DEFAULT 1,
    mismatch_count      integer NOT NULL DEFAULT 0,
    poll_count          integer NOT NULL DEFAULT 0
);

-- Row-level security: a session that sets nianjian.tenant_id and takes the role nianjian_tenant sees and
-- changes that tenant's rows only. The runner, which works for all tenants, runs as the owner.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nianjian_tenant') THEN
        CREATE ROLE nianjian_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END $$;

DO $$
BEGIN
    -- The application's own role must be able to SET ROLE nianjian_tenant.
    EXECUTE format('GRANT nianjian_tenant TO %I', current_user);
EXCEPTION WHEN others THEN
    -- Already a member, or a superuser (who may SET ROLE to anyone).
    NULL;
END $$;

GRANT USAGE ON SCHEMA public TO nianjian_tenant;
GRANT SELECT ON tenants, run_tenants, runs TO nianjian_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON companies, contracts, materials, services, inspections, import_batches
    TO nianjian_tenant;
GRANT SELECT, INSERT ON inspection_events, service_renewals TO nianjian_tenant;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint);

ALTER TABLE companies ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON companies
    USING (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint);

ALTER TABLE contracts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contracts
    USING (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint);

ALTER TABLE materials ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON materials
    USING (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint);

ALTER TABLE services ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON services
    USING (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint);

ALTER TABLE inspections ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inspections
    USING (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint);

ALTER TABLE inspection_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inspection_events
    USING (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint);

ALTER TABLE service_renewals ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON service_renewals
    USING (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint);

ALTER TABLE run_tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON run_tenants
    USING (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint);

ALTER TABLE import_batches ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON import_batches
    USING (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint);

-- runs is platform-wide; a tenant sees only the runs that worked for it.
ALTER TABLE runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON runs
    USING (EXISTS (SELECT 1 FROM run_tenants rt WHERE rt.run_id = runs.id
                   AND rt.tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint));

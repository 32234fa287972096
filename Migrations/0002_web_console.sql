-- Nianjian schema, version 2: the web console (users, sessions, bearer tokens, login throttling, audit).
-- Users, sessions, tokens and login failures are the platform's: only the owner role reads them (no grant
-- to nianjian_tenant; row-level security on with no policy denies everyone else too). The audit of web
-- actions is tenant-owned where it names a tenant and carries the same row-level security as the others.

CREATE TABLE web_users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    -- NULL for the platform operator (every tenant).
    tenant_id     bigint REFERENCES tenants (id) ON DELETE CASCADE,
    role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'platform')),
    -- bcrypt (salted, slow): never the password.
    password_hash text NOT NULL,
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (email),
    CHECK ((role = 'platform') = (tenant_id IS NULL))
);

-- Browser sessions: the cookie carries a random token, the table only its SHA-256.
CREATE TABLE web_sessions (
    token_hash   text PRIMARY KEY CHECK (length(token_hash) = 64),
    user_id      bigint NOT NULL REFERENCES web_users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    -- Absolute end, whatever the activity.
    expires_at   timestamptz NOT NULL
);

CREATE INDEX web_sessions_user ON web_sessions (user_id);

-- Bearer tokens for scripts: one tenant, one role; only the SHA-256 of the token is kept.
CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role         text NOT NULL CHECK (role IN ('viewer', 'operator')),
    token_hash   text NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- Failed logins per e-mail address (known or not, so unknown addresses cannot be told apart).
CREATE TABLE login_failures (
    email           text PRIMARY KEY,
    failures        integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_failed_at  timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz
);

-- What web users did that is not an inspection event (imports, tenant settings, logins).
CREATE TABLE web_audit (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- NULL: a platform-level action.
    tenant_id  bigint REFERENCES tenants (id) ON DELETE CASCADE,
    actor      text NOT NULL,
    action     text NOT NULL,
    detail     jsonb NOT NULL DEFAULT '{}',
    at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX web_audit_tenant ON web_audit (tenant_id, id);

ALTER TABLE web_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE web_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE login_failures ENABLE ROW LEVEL SECURITY;

GRANT SELECT, INSERT ON web_audit TO nianjian_tenant;
ALTER TABLE web_audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON web_audit
    USING (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint);

-- Inspections list: filter by state and company within a tenant, newest first.
CREATE INDEX inspections_company ON inspections (tenant_id, company_id, id);

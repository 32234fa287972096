-- Per-company cloud accounts (issue 12): agencies manage many client accounts; a company may carry its own
-- AccessKey. The secret is stored only as AES-GCM ciphertext (nonce || ciphertext || tag) under a key that
-- is not in the database (NIANJIAN_SECRET_KEY or a key file); the key id is kept to show it masked.
CREATE TABLE cloud_accounts (
    tenant_id         bigint NOT NULL,
    company_id        bigint NOT NULL,
    access_key_id     text NOT NULL CHECK (length(access_key_id) BETWEEN 1 AND 128),
    secret_sealed     bytea NOT NULL CHECK (length(secret_sealed) > 28),
    security_token_sealed bytea,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, company_id),
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id) ON DELETE CASCADE
);

GRANT SELECT, INSERT, UPDATE, DELETE ON cloud_accounts TO nianjian_tenant;

ALTER TABLE cloud_accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON cloud_accounts
    USING (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint)
    WITH CHECK (tenant_id = NULLIF(current_setting('nianjian.tenant_id', true), '')::bigint);

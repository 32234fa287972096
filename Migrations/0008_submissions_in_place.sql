-- A submission's write-ahead is written in place (issue 11). Validation moves an inspection from `pending` to
-- `submitting` with its idempotency key, before the console is called. The due indexes were partial on
-- `state`, so that change moved the row between indexes and the update wrote all of the table's indexes. Now
-- the due indexes are partial on having a due time, which the state no longer changes: a submission keeps the
-- due time it was claimed at (`next_attempt_at`), and is due, when unleased, with the attempts (a resumed
-- submission goes in the same queue as an attempt; its time is the oldest of its tenant's). With room left on
-- each page, `pending` → `submitting` is a HOT update.
-- (fillfactor applies to pages written from now on; `VACUUM FULL inspections` repacks existing ones, off-hours.)
UPDATE inspections SET next_attempt_at = updated_at WHERE state = 'submitting' AND next_attempt_at IS NULL;
UPDATE inspections SET next_attempt_at = NULL WHERE state NOT IN ('pending', 'submitting') AND next_attempt_at IS NOT NULL;
UPDATE inspections SET next_poll_at = NULL WHERE state <> 'in_review' AND next_poll_at IS NOT NULL;
-- Only the states that claim by a due time carry one: the due indexes then hold nothing else, and a claim's
-- probe for a tenant's due work reads the index alone.
ALTER TABLE inspections ADD CONSTRAINT inspections_attempt_due_state
    CHECK (next_attempt_at IS NULL OR state IN ('pending', 'submitting'));
ALTER TABLE inspections ADD CONSTRAINT inspections_poll_due_state CHECK (next_poll_at IS NULL OR state = 'in_review');
DROP INDEX inspections_due_attempt, inspections_due_poll, inspections_resume_submit;
CREATE INDEX inspections_due_attempt ON inspections (tenant_id, next_attempt_at, id) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX inspections_due_poll ON inspections (tenant_id, next_poll_at, id) WHERE next_poll_at IS NOT NULL;
ALTER TABLE inspections SET (fillfactor = 80);

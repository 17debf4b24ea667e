-- 0002_lz4_bodies: the large text columns are compressed with lz4 instead of
-- pglz, where the server has it (PostgreSQL 14 and later, built with lz4, as
-- Debian's, Ubuntu's and the official images are). Nothing a query sees
-- changes: TOAST compression is how a value is stored, not what it is.
--
-- Why: a sync's body (raw_json) is most of what it writes, and pglz was the
-- server's costliest single function while writing it (5% of its time in
-- scripts/bench-postgres); lz4 compresses several times faster. Values stored
-- before this migration keep their pglz form until rewritten; both read alike.
DO $$
BEGIN
    ALTER TABLE calls ALTER COLUMN raw_json SET COMPRESSION lz4, ALTER COLUMN transcript SET COMPRESSION lz4;
    ALTER TABLE sync_failures ALTER COLUMN response_body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available on this server: the archive keeps pglz';
END $$;

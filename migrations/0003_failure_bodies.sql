-- 0003: keep what the vendor sent even when the archive refused it.
--
-- A 2xx body that could not be archived (a documented field of the wrong type,
-- ambiguous JSON, an error envelope, another call's ID, an HTML page) is kept
-- here as received, so nothing the vendor sent is lost and the call can be
-- derived later without fetching it again. NULL when no body was refused
-- (a 404, a timeout) or the body was not UTF-8 text. A later success deletes
-- the row, as before.
ALTER TABLE sync_failures ADD COLUMN response_body TEXT;

-- A sync now also stops when the vendor keeps failing (5xx, 429, timeouts,
-- network errors) for many calls in a row: sync_runs.outcome gains
-- 'vendor_unavailable'. SQLite cannot alter a CHECK constraint, so the table is
-- rebuilt with the documented recipe; run_id values are kept, so
-- sync_failures.run_id still points at the same runs.
CREATE TABLE sync_runs_new (
    run_id        INTEGER PRIMARY KEY,
    provider      TEXT    NOT NULL,
    base_url      TEXT    NOT NULL,
    source        TEXT    NOT NULL,     -- the ID list's path, or '-' for standard input
    started_at    TEXT    NOT NULL,
    finished_at   TEXT,
    outcome       TEXT    NOT NULL DEFAULT 'running'
        CHECK (outcome IN ('running', 'completed', 'completed_with_failures', 'interrupted', 'auth_rejected',
                           'vendor_unavailable', 'aborted')),
    ids_read      INTEGER NOT NULL DEFAULT 0, -- distinct valid IDs in the list
    fetched       INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    invalid_lines INTEGER NOT NULL DEFAULT 0,
    requests      INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO sync_runs_new SELECT * FROM sync_runs;
DROP TABLE sync_runs;
ALTER TABLE sync_runs_new RENAME TO sync_runs;

-- 0004: keep what the vendor will delete.
--
-- 1. recordings: the audio itself, not only its expiring link. The bytes live
--    in a content-addressed directory beside the database (`<db>.recordings/`
--    by default): `file` is the path inside it, named by the SHA-256 of the
--    bytes, so identical audio is stored once and any copy can be verified with
--    `sha256sum`. A row exists only once the file is complete, synced to disk
--    and renamed into place.
-- 2. recording_failures: recordings that could not be archived in their last
--    attempt; a later success deletes the row.
-- 3. listings and listing_ids: where a List Calls walk (`archive ids`,
--    `sync --discover`) stopped, so an interrupted discovery resumes from its
--    last page instead of page 1, and the IDs it had already listed.

CREATE TABLE recordings (
    call_ref      INTEGER PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
    provider      TEXT    NOT NULL,
    call_id       TEXT    NOT NULL,
    sha256        TEXT    NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
    content_type  TEXT,                 -- as the server sent it, e.g. audio/wav
    file          TEXT    NOT NULL,     -- inside the recordings directory: ab/ab12…ef.wav
    source_url    TEXT    NOT NULL,     -- the URL the bytes came from (never carries the API key)
    fetched_at    TEXT    NOT NULL,
    UNIQUE (provider, call_id)
) STRICT;
CREATE INDEX recordings_by_sha256 ON recordings (sha256);

CREATE TABLE recording_failures (
    provider        TEXT    NOT NULL,
    call_id         TEXT    NOT NULL,
    http_status     INTEGER,            -- NULL when no HTTP answer arrived
    error           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    last_attempt_at TEXT    NOT NULL,
    run_id          INTEGER REFERENCES sync_runs (run_id) ON DELETE SET NULL,
    PRIMARY KEY (provider, call_id)
) STRICT;

CREATE TABLE listings (
    listing_id   INTEGER PRIMARY KEY,
    provider     TEXT    NOT NULL,
    base_url     TEXT    NOT NULL,
    query        TEXT    NOT NULL,      -- the filters, canonical: since=…&until=…&status=…
    next_page    TEXT,                  -- PureTalk: the `next` URL; PuppeteerAI: the cursor; NULL: the first page
    pages        INTEGER NOT NULL DEFAULT 0,
    ids          INTEGER NOT NULL DEFAULT 0,  -- IDs listed that passed the filters
    started_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    finished_at  TEXT                   -- NULL while it can be resumed
) STRICT;
CREATE INDEX listings_unfinished ON listings (provider, base_url, query) WHERE finished_at IS NULL;

-- The IDs an unfinished listing has produced, in order; deleted when it finishes.
CREATE TABLE listing_ids (
    listing_id INTEGER NOT NULL REFERENCES listings (listing_id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    call_id    TEXT    NOT NULL,
    PRIMARY KEY (listing_id, position)
) STRICT, WITHOUT ROWID;

-- Recordings in the everyday view.
DROP VIEW call_overview;
CREATE VIEW call_overview AS
SELECT c.provider, c.call_id, c.started_at, c.ended_at, c.duration_ms,
       c.status, c.direction, c.from_number, c.to_number,
       c.assistant_id, c.assistant_name, c.answered_by, c.sentiment, c.disconnection_reason, c.is_final,
       a.summary, a.call_completion, a.task_completion,
       (SELECT count(*) FROM transcript_turns t WHERE t.call_ref = c.id) AS turn_count,
       (SELECT sum(t.interrupted) FROM transcript_turns t WHERE t.call_ref = c.id) AS interrupted_turns,
       (SELECT avg(l.latency) FROM turn_latencies l WHERE l.provider = c.provider AND l.call_id = c.call_id) AS mean_turn_latency,
       (SELECT max(l.latency) FROM turn_latencies l WHERE l.provider = c.provider AND l.call_id = c.call_id) AS max_turn_latency,
       (SELECT avg(l.llm_latency) FROM turn_latencies l WHERE l.provider = c.provider AND l.call_id = c.call_id) AS mean_llm_latency,
       (SELECT count(*) FROM post_analysis_fields f WHERE f.call_ref = c.id) AS field_count,
       r.file AS recording_file,
       r.size_bytes AS recording_bytes
FROM calls c
LEFT JOIN call_analysis a ON a.call_ref = c.id
LEFT JOIN recordings r ON r.call_ref = c.id;

-- What a sync did with recordings (`sync --recordings`, `archive recordings`).
ALTER TABLE sync_runs ADD COLUMN recordings INTEGER NOT NULL DEFAULT 0;         -- archived in this run
ALTER TABLE sync_runs ADD COLUMN recording_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN recording_bytes INTEGER NOT NULL DEFAULT 0;

-- Work a migration asks for that SQL cannot do: 'rebuild' re-derives every
-- normalized table from calls.raw_json with the archive's own adapters (see
-- `archive rebuild`), so a migration that adds a derived column gets it filled
-- without fetching anything again. The row is deleted once the work is done.
CREATE TABLE pending_work (
    task         TEXT PRIMARY KEY CHECK (task IN ('rebuild')),
    requested_by TEXT NOT NULL          -- the migration that asked
) STRICT;

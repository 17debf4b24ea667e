-- 0001_initial: archived calls, their transcript, turn latencies and analysis,
-- plus the bookkeeping of sync runs.
--
-- This schema is a public interface (see README.md, "Schema"). Never edit this
-- file once released: add a new numbered migration instead.
--
-- Conventions:
--   * Times are UTC ISO 8601 text in one fixed format, 'YYYY-MM-DDTHH:MM:SS.ffffffZ',
--     so that text order is time order.
--   * Booleans are INTEGER 0/1; JSON columns hold valid JSON text.
--   * Child rows cascade from their call, so deleting a call deletes all of it.

CREATE TABLE calls (
    provider             TEXT    NOT NULL CHECK (provider IN ('puretalk', 'puppeteer')),
    call_id              TEXT    NOT NULL,
    status               TEXT,              -- the vendor's word, verbatim
    direction            TEXT,              -- 'inbound' / 'outbound'
    call_type            TEXT,              -- PuppeteerAI call_type; PureTalk protocol
    from_number          TEXT,
    to_number            TEXT,
    started_at           TEXT,
    ended_at             TEXT,
    created_at           TEXT,
    scheduled_for        TEXT,
    duration_ms          INTEGER,
    assistant_id         TEXT,
    assistant_name       TEXT,
    voice_id             TEXT,
    voice_name           TEXT,
    thread_id            TEXT,
    conversation_id      TEXT,
    provider_call_id     TEXT,
    campaign_id          TEXT,
    answered_by          TEXT,
    sentiment            TEXT,
    disconnection_reason TEXT,
    transcript           TEXT,
    recording_url        TEXT,
    recording_enabled    INTEGER CHECK (recording_enabled IN (0, 1)),
    is_billed            INTEGER CHECK (is_billed IN (0, 1)),
    metadata             TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    variables            TEXT CHECK (variables IS NULL OR json_valid(variables)),
    is_final             INTEGER NOT NULL CHECK (is_final IN (0, 1)), -- 1: the vendor will not change it any more
    raw_json             TEXT    NOT NULL,  -- the response body exactly as received
    fetched_at           TEXT    NOT NULL,
    PRIMARY KEY (provider, call_id)
) STRICT;

CREATE INDEX calls_by_call_id    ON calls (call_id);
CREATE INDEX calls_by_started_at ON calls (started_at);
CREATE INDEX calls_by_assistant  ON calls (assistant_id, started_at);
CREATE INDEX calls_by_status     ON calls (status);

CREATE TABLE transcript_turns (
    provider      TEXT    NOT NULL,
    call_id       TEXT    NOT NULL,
    turn_index    INTEGER NOT NULL CHECK (turn_index >= 0), -- from 0, in the vendor's order
    role          TEXT,
    content       TEXT,
    function_name TEXT,
    function_args TEXT,                 -- text as sent (PureTalk sends JSON-encoded text)
    interrupted   INTEGER CHECK (interrupted IN (0, 1)),
    tool_calls    TEXT CHECK (tool_calls IS NULL OR json_valid(tool_calls)),
    words         TEXT CHECK (words IS NULL OR json_valid(words)),
    extra         TEXT CHECK (extra IS NULL OR json_valid(extra)), -- any other keys the vendor sent
    PRIMARY KEY (provider, call_id, turn_index),
    FOREIGN KEY (provider, call_id) REFERENCES calls (provider, call_id) ON DELETE CASCADE
) STRICT;

CREATE TABLE turn_latencies (
    provider    TEXT    NOT NULL,
    call_id     TEXT    NOT NULL,
    turn_index  INTEGER NOT NULL,
    latency     REAL,                   -- as sent by the vendor (seconds in PureTalk's reference)
    eou_delay   REAL,
    llm_latency REAL,
    tts_latency REAL,
    PRIMARY KEY (provider, call_id, turn_index),
    FOREIGN KEY (provider, call_id, turn_index)
        REFERENCES transcript_turns (provider, call_id, turn_index) ON DELETE CASCADE
) STRICT;

CREATE TABLE call_analysis (
    provider                TEXT NOT NULL,
    call_id                 TEXT NOT NULL,
    summary                 TEXT,
    call_completion         TEXT,
    call_completion_summary TEXT,
    task_completion         TEXT,
    task_completion_summary TEXT,
    PRIMARY KEY (provider, call_id),
    FOREIGN KEY (provider, call_id) REFERENCES calls (provider, call_id) ON DELETE CASCADE
) STRICT;

CREATE TABLE post_analysis_fields (
    provider TEXT    NOT NULL,
    call_id  TEXT    NOT NULL,
    position INTEGER NOT NULL CHECK (position >= 0), -- the field's place in the vendor's analysis
    name     TEXT    NOT NULL,
    value    TEXT,                      -- a string as sent; other JSON as JSON text; null as NULL
    PRIMARY KEY (provider, call_id, position),
    FOREIGN KEY (provider, call_id) REFERENCES calls (provider, call_id) ON DELETE CASCADE
) STRICT;

CREATE INDEX post_analysis_fields_by_name ON post_analysis_fields (name, value);

CREATE TABLE sync_runs (
    run_id        INTEGER PRIMARY KEY,
    provider      TEXT    NOT NULL,
    base_url      TEXT    NOT NULL,
    source        TEXT    NOT NULL,     -- the ID list's path, or '-' for standard input
    started_at    TEXT    NOT NULL,
    finished_at   TEXT,
    outcome       TEXT    NOT NULL DEFAULT 'running'
        CHECK (outcome IN ('running', 'completed', 'completed_with_failures', 'interrupted', 'auth_rejected', 'aborted')),
    ids_read      INTEGER NOT NULL DEFAULT 0, -- distinct valid IDs in the list
    fetched       INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    invalid_lines INTEGER NOT NULL DEFAULT 0,
    requests      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE sync_failures (
    provider        TEXT    NOT NULL,
    call_id         TEXT    NOT NULL,
    http_status     INTEGER,            -- NULL when no HTTP answer arrived
    error           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    last_attempt_at TEXT    NOT NULL,
    run_id          INTEGER REFERENCES sync_runs (run_id) ON DELETE SET NULL,
    PRIMARY KEY (provider, call_id)
) STRICT;

-- 0002_query_layer: stable integer keys, full-text search and views.
--
-- 1. Every table that other rows point at gets an INTEGER PRIMARY KEY, and its
--    children gain a single-column foreign key to it:
--      calls.id  <-  transcript_turns.call_ref, call_analysis.call_ref,
--                    post_analysis_fields.call_ref
--      transcript_turns.id  <-  turn_latencies.turn_ref
--    Why: the full-text indexes below are keyed by rowid, and only an INTEGER
--    PRIMARY KEY keeps its rowid through VACUUM; and tools such as Datasette
--    follow single-column foreign keys only. The natural keys (provider,
--    call_id[, turn_index]) stay, as UNIQUE constraints, so every query written
--    against 0001 still works. Existing rows keep their rowids.
--    The tables are rebuilt with SQLite's documented recipe (create, copy, drop,
--    rename); the migrator turns foreign keys off meanwhile and checks them all
--    before it commits.
-- 2. External-content FTS5 indexes over transcript turns and analysis summaries,
--    kept in step by triggers, so re-syncing a call leaves no stale entry.
-- 3. Views for everyday questions: call_overview, turn_latency_detail.

-- 1. Stable keys ---------------------------------------------------------------
-- The *_v2 tables list the 0001 columns in the same order, after the new keys,
-- so that `SELECT old.*` copies them column for column.

CREATE TABLE calls_v2 (
    id                   INTEGER PRIMARY KEY, -- local row key; stable, but not the vendor's ID
    provider             TEXT    NOT NULL CHECK (provider IN ('puretalk', 'puppeteer')),
    call_id              TEXT    NOT NULL,
    status               TEXT,
    direction            TEXT,
    call_type            TEXT,
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
    is_final             INTEGER NOT NULL CHECK (is_final IN (0, 1)),
    raw_json             TEXT    NOT NULL,
    fetched_at           TEXT    NOT NULL,
    UNIQUE (provider, call_id)
) STRICT;
INSERT INTO calls_v2 SELECT c.rowid, c.* FROM calls c;

CREATE TABLE transcript_turns_v2 (
    id            INTEGER PRIMARY KEY,
    call_ref      INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    provider      TEXT    NOT NULL,
    call_id       TEXT    NOT NULL,
    turn_index    INTEGER NOT NULL CHECK (turn_index >= 0),
    role          TEXT,
    content       TEXT,
    function_name TEXT,
    function_args TEXT,
    interrupted   INTEGER CHECK (interrupted IN (0, 1)),
    tool_calls    TEXT CHECK (tool_calls IS NULL OR json_valid(tool_calls)),
    words         TEXT CHECK (words IS NULL OR json_valid(words)),
    extra         TEXT CHECK (extra IS NULL OR json_valid(extra)),
    UNIQUE (provider, call_id, turn_index)
) STRICT;
INSERT INTO transcript_turns_v2
    SELECT t.rowid, c.id, t.* FROM transcript_turns t JOIN calls_v2 c USING (provider, call_id);

CREATE TABLE turn_latencies_v2 (
    turn_ref    INTEGER PRIMARY KEY REFERENCES transcript_turns (id) ON DELETE CASCADE,
    provider    TEXT    NOT NULL,
    call_id     TEXT    NOT NULL,
    turn_index  INTEGER NOT NULL,
    latency     REAL,
    eou_delay   REAL,
    llm_latency REAL,
    tts_latency REAL,
    UNIQUE (provider, call_id, turn_index)
) STRICT;
INSERT INTO turn_latencies_v2
    SELECT t.id, l.* FROM turn_latencies l JOIN transcript_turns_v2 t USING (provider, call_id, turn_index);

CREATE TABLE call_analysis_v2 (
    call_ref                INTEGER PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
    provider                TEXT NOT NULL,
    call_id                 TEXT NOT NULL,
    summary                 TEXT,
    call_completion         TEXT,
    call_completion_summary TEXT,
    task_completion         TEXT,
    task_completion_summary TEXT,
    UNIQUE (provider, call_id)
) STRICT;
INSERT INTO call_analysis_v2
    SELECT c.id, a.* FROM call_analysis a JOIN calls_v2 c USING (provider, call_id);

CREATE TABLE post_analysis_fields_v2 (
    call_ref INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    provider TEXT    NOT NULL,
    call_id  TEXT    NOT NULL,
    position INTEGER NOT NULL CHECK (position >= 0),
    name     TEXT    NOT NULL,
    value    TEXT,
    PRIMARY KEY (provider, call_id, position)
) STRICT;
INSERT INTO post_analysis_fields_v2
    SELECT c.id, f.* FROM post_analysis_fields f JOIN calls_v2 c USING (provider, call_id);

DROP TABLE turn_latencies;
DROP TABLE transcript_turns;
DROP TABLE call_analysis;
DROP TABLE post_analysis_fields;
DROP TABLE calls;
ALTER TABLE calls_v2                RENAME TO calls;
ALTER TABLE transcript_turns_v2     RENAME TO transcript_turns;
ALTER TABLE turn_latencies_v2       RENAME TO turn_latencies;
ALTER TABLE call_analysis_v2        RENAME TO call_analysis;
ALTER TABLE post_analysis_fields_v2 RENAME TO post_analysis_fields;

CREATE INDEX calls_by_call_id    ON calls (call_id);
CREATE INDEX calls_by_started_at ON calls (started_at);
CREATE INDEX calls_by_assistant  ON calls (assistant_id, started_at);
CREATE INDEX calls_by_status     ON calls (status);
CREATE INDEX transcript_turns_by_call     ON transcript_turns (call_ref, turn_index);
CREATE INDEX post_analysis_fields_by_call ON post_analysis_fields (call_ref);
CREATE INDEX post_analysis_fields_by_name ON post_analysis_fields (name, value);

-- 2. Full-text search ----------------------------------------------------------
-- External content: the text lives once, in the tables; the index holds tokens.
-- 'porter' matches word forms (refund, refunds, refunded); unicode61 with
-- remove_diacritics folds case and accents in every script.

CREATE VIRTUAL TABLE transcript_turns_fts USING fts5(
    content,
    content="transcript_turns", content_rowid="id",
    tokenize="porter unicode61 remove_diacritics 2");

CREATE VIRTUAL TABLE call_analysis_fts USING fts5(
    summary, call_completion_summary, task_completion_summary,
    content="call_analysis", content_rowid="call_ref",
    tokenize="porter unicode61 remove_diacritics 2");

INSERT INTO transcript_turns_fts (transcript_turns_fts) VALUES ('rebuild');
INSERT INTO call_analysis_fts (call_analysis_fts) VALUES ('rebuild');

CREATE TRIGGER transcript_turns_fts_after_insert AFTER INSERT ON transcript_turns BEGIN
    INSERT INTO transcript_turns_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER transcript_turns_fts_after_delete AFTER DELETE ON transcript_turns BEGIN
    INSERT INTO transcript_turns_fts (transcript_turns_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER transcript_turns_fts_after_update AFTER UPDATE ON transcript_turns BEGIN
    INSERT INTO transcript_turns_fts (transcript_turns_fts, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO transcript_turns_fts (rowid, content) VALUES (new.id, new.content);
END;

CREATE TRIGGER call_analysis_fts_after_insert AFTER INSERT ON call_analysis BEGIN
    INSERT INTO call_analysis_fts (rowid, summary, call_completion_summary, task_completion_summary)
    VALUES (new.call_ref, new.summary, new.call_completion_summary, new.task_completion_summary);
END;
CREATE TRIGGER call_analysis_fts_after_delete AFTER DELETE ON call_analysis BEGIN
    INSERT INTO call_analysis_fts (call_analysis_fts, rowid, summary, call_completion_summary, task_completion_summary)
    VALUES ('delete', old.call_ref, old.summary, old.call_completion_summary, old.task_completion_summary);
END;
CREATE TRIGGER call_analysis_fts_after_update AFTER UPDATE ON call_analysis BEGIN
    INSERT INTO call_analysis_fts (call_analysis_fts, rowid, summary, call_completion_summary, task_completion_summary)
    VALUES ('delete', old.call_ref, old.summary, old.call_completion_summary, old.task_completion_summary);
    INSERT INTO call_analysis_fts (rowid, summary, call_completion_summary, task_completion_summary)
    VALUES (new.call_ref, new.summary, new.call_completion_summary, new.task_completion_summary);
END;

-- 3. Views ---------------------------------------------------------------------

-- One row per call: what `archive list` shows and more, ready for a spreadsheet.
-- Latencies are in the vendor's unit (seconds in PureTalk's reference).
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
       (SELECT count(*) FROM post_analysis_fields f WHERE f.call_ref = c.id) AS field_count
FROM calls c
LEFT JOIN call_analysis a ON a.call_ref = c.id;

-- One row per turn with latencies: the call's assistant and start, what the turn
-- said, and what was said just before it (usually the words the agent answered).
CREATE VIEW turn_latency_detail AS
SELECT l.provider, l.call_id, l.turn_index,
       c.assistant_id, c.assistant_name, c.started_at AS call_started_at,
       t.role, t.interrupted,
       l.latency, l.eou_delay, l.llm_latency, l.tts_latency,
       t.content, p.content AS previous_content
FROM turn_latencies l
JOIN transcript_turns t ON t.id = l.turn_ref
JOIN calls c ON c.id = t.call_ref
LEFT JOIN transcript_turns p ON p.call_ref = t.call_ref AND p.turn_index = t.turn_index - 1;

-- 0007_recording_variants: more than one recording per call.
--
-- Retell offers a multichannel recording (recording_multi_channel_url, each
-- party on its own channel) and Vapi a stereo one (/call/{id}/stereo-recording,
-- the customer on one channel and the assistant on the other) beside the mixed
-- recording every vendor has. They let a reviewer hear who talked over whom.
-- recordings and recording_failures gain `variant` ('mono', 'multichannel',
-- 'stereo'); every row archived before is 'mono'. A call has at most one
-- recording per variant. Both tables are rebuilt with the documented recipe
-- (create, copy, drop, rename), keeping every row; call_overview keeps showing
-- the mono recording.

DROP VIEW call_overview;

CREATE TABLE recordings_v7 (
    call_ref      INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    provider      TEXT    NOT NULL,
    call_id       TEXT    NOT NULL,
    variant       TEXT    NOT NULL DEFAULT 'mono' CHECK (variant IN ('mono', 'multichannel', 'stereo')),
    sha256        TEXT    NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
    content_type  TEXT,
    file          TEXT    NOT NULL,
    source_url    TEXT    NOT NULL,
    fetched_at    TEXT    NOT NULL,
    PRIMARY KEY (call_ref, variant),
    UNIQUE (provider, call_id, variant)
) STRICT;
INSERT INTO recordings_v7 (call_ref, provider, call_id, variant, sha256, size_bytes, content_type, file, source_url, fetched_at)
SELECT call_ref, provider, call_id, 'mono', sha256, size_bytes, content_type, file, source_url, fetched_at FROM recordings;
DROP TABLE recordings;
ALTER TABLE recordings_v7 RENAME TO recordings;
CREATE INDEX recordings_by_sha256 ON recordings (sha256);

CREATE TABLE recording_failures_v7 (
    provider        TEXT    NOT NULL,
    call_id         TEXT    NOT NULL,
    variant         TEXT    NOT NULL DEFAULT 'mono' CHECK (variant IN ('mono', 'multichannel', 'stereo')),
    http_status     INTEGER,
    error           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    last_attempt_at TEXT    NOT NULL,
    run_id          INTEGER REFERENCES sync_runs (run_id) ON DELETE SET NULL,
    PRIMARY KEY (provider, call_id, variant)
) STRICT;
INSERT INTO recording_failures_v7 (provider, call_id, variant, http_status, error, attempts, last_attempt_at, run_id)
SELECT provider, call_id, 'mono', http_status, error, attempts, last_attempt_at, run_id FROM recording_failures;
DROP TABLE recording_failures;
ALTER TABLE recording_failures_v7 RENAME TO recording_failures;

-- As in 0006, with the mono recording.
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
       r.size_bytes AS recording_bytes,
       (SELECT max(s.seconds) FROM call_latency_samples s WHERE s.call_ref = c.id AND s.metric = 'latency') AS max_call_latency
FROM calls c
LEFT JOIN call_analysis a ON a.call_ref = c.id
LEFT JOIN recordings r ON r.call_ref = c.id AND r.variant = 'mono';

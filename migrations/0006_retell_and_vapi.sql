-- 0006_retell_and_vapi: two more vendors in the same tables, and latency
-- samples that belong to a call rather than to a turn.
--
-- 1. calls.provider accepts 'retell' and 'vapi'. A CHECK cannot be altered in
--    SQLite, so calls is rebuilt with the documented recipe (create, copy,
--    drop, rename), keeping every row, rowid (calls.id) and column in place;
--    the migrator turns foreign keys off meanwhile and checks them all before
--    it commits. The views that read calls are dropped first and made again.
-- 2. call_latency_samples: Retell's per-call series (latency.e2e.values, …)
--    and Vapi's performanceMetrics.turnLatencies. Neither vendor ties a
--    sample to a turn, so none is guessed: a sample is (call, metric, its
--    place in the vendor's series, seconds). One vocabulary across vendors:
--      latency      Retell e2e,  Vapi turnLatency,        PureTalk latency
--      eou_delay                 Vapi endpointingLatency, PureTalk eou_delay
--      asr_latency  Retell asr,  Vapi transcriberLatency
--      llm_latency  Retell llm,  Vapi modelLatency,       PureTalk llm_latency
--      tts_latency  Retell tts,  Vapi voiceLatency,       PureTalk tts_latency
--    Other Retell keys (llm_websocket_network_rtt, knowledge_base, s2s) keep
--    their names. The vendors' own per-call p50/p90 stay in raw_json only: a
--    percentile of percentiles is not a percentile.
-- 3. latency_samples: every latency sample of every vendor, turn-tied
--    (turn_latencies, source 'turn') or not (source 'call'), in seconds.

DROP VIEW call_overview;
DROP VIEW turn_latency_detail;

-- 1. The vendors -------------------------------------------------------------
CREATE TABLE calls_v6 (
    id                   INTEGER PRIMARY KEY, -- local row key; stable, but not the vendor's ID
    provider             TEXT    NOT NULL CHECK (provider IN ('puretalk', 'puppeteer', 'retell', 'vapi')),
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
    cost_usd             REAL,
    UNIQUE (provider, call_id)
) STRICT;
INSERT INTO calls_v6 SELECT * FROM calls;
DROP TABLE calls;
ALTER TABLE calls_v6 RENAME TO calls;
CREATE INDEX calls_by_call_id    ON calls (call_id);
CREATE INDEX calls_by_started_at ON calls (started_at);
CREATE INDEX calls_by_assistant  ON calls (assistant_id, started_at);
CREATE INDEX calls_by_status     ON calls (status);

-- 2. Samples not tied to a turn ----------------------------------------------
CREATE TABLE call_latency_samples (
    call_ref INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    provider TEXT    NOT NULL,
    call_id  TEXT    NOT NULL,
    metric   TEXT    NOT NULL,                       -- see the vocabulary above
    position INTEGER NOT NULL CHECK (position >= 0), -- from 0, the sample's place in the vendor's series
    seconds  REAL    NOT NULL,
    PRIMARY KEY (call_ref, metric, position)
) STRICT, WITHOUT ROWID;

-- 3. Views ---------------------------------------------------------------------
CREATE VIEW latency_samples AS
SELECT t.call_ref, l.provider, l.call_id, 'latency' AS metric, l.latency AS seconds,
       'turn' AS source, l.turn_index, NULL AS position
FROM turn_latencies l JOIN transcript_turns t ON t.id = l.turn_ref WHERE l.latency IS NOT NULL
UNION ALL
SELECT t.call_ref, l.provider, l.call_id, 'eou_delay', l.eou_delay, 'turn', l.turn_index, NULL
FROM turn_latencies l JOIN transcript_turns t ON t.id = l.turn_ref WHERE l.eou_delay IS NOT NULL
UNION ALL
SELECT t.call_ref, l.provider, l.call_id, 'llm_latency', l.llm_latency, 'turn', l.turn_index, NULL
FROM turn_latencies l JOIN transcript_turns t ON t.id = l.turn_ref WHERE l.llm_latency IS NOT NULL
UNION ALL
SELECT t.call_ref, l.provider, l.call_id, 'tts_latency', l.tts_latency, 'turn', l.turn_index, NULL
FROM turn_latencies l JOIN transcript_turns t ON t.id = l.turn_ref WHERE l.tts_latency IS NOT NULL
UNION ALL
SELECT call_ref, provider, call_id, metric, seconds, 'call', NULL, position FROM call_latency_samples;

-- As in 0004, with the worst call-level latency sample beside the turns' figures.
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
LEFT JOIN recordings r ON r.call_ref = c.id;

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

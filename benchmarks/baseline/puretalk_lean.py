#!/usr/bin/env python3
"""The fastest plain script: fetch PureTalk calls one by one into SQLite, lean.

What a careful engineer writes when speed matters (issue 15): requests.Session,
the standard sqlite3 module, prepared statements through executemany, one
transaction per call, and the archive's tables (from ../../migrations) without
the full-text indexes: their triggers are dropped, so no FTS work is done.
`scripts/bench` compares `archive sync`'s CPU per call against it.

Usage: puretalk_lean.py IDS_FILE DB_PATH --base-url URL  (key in PURETALK_API_KEY)
"""
import argparse
import datetime
import json
import os
import pathlib
import sqlite3
import sys

import requests

CALL_COLUMNS = ("provider", "call_id", "status", "direction", "call_type", "from_number", "to_number",
                "started_at", "ended_at", "duration_ms", "assistant_id", "assistant_name", "voice_id",
                "voice_name", "provider_call_id", "campaign_id", "answered_by", "sentiment", "transcript",
                "recording_url", "recording_enabled", "is_billed", "metadata", "variables", "is_final",
                "raw_json", "fetched_at")
UPSERT_CALL = (f"INSERT INTO calls ({', '.join(CALL_COLUMNS)}) VALUES ({', '.join('?' * len(CALL_COLUMNS))}) "
               f"ON CONFLICT (provider, call_id) DO UPDATE SET "
               f"{', '.join(f'{c} = excluded.{c}' for c in CALL_COLUMNS[2:])} RETURNING id")
INSERT_TURN = ("INSERT INTO transcript_turns (call_ref, provider, call_id, turn_index, role, content, function_name, "
               "function_args, interrupted, tool_calls) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")
INSERT_LATENCY = ("INSERT INTO turn_latencies (turn_ref, provider, call_id, turn_index, latency, eou_delay, "
                  "llm_latency, tts_latency) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
INSERT_ANALYSIS = ("INSERT INTO call_analysis (call_ref, provider, call_id, summary, call_completion, "
                   "call_completion_summary, task_completion, task_completion_summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
INSERT_FIELD = ("INSERT INTO post_analysis_fields (call_ref, provider, call_id, position, name, value) "
                "VALUES (?, ?, ?, ?, ?, ?)")


def iso_utc(text):
    """PureTalk's local time with offset, as the archive's UTC text."""
    if not text:
        return None
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def as_json(value):
    return None if value is None else json.dumps(value)


def store(db, call_id, body, now):
    call = json.loads(body)["results"]
    analysis = call.get("call_analysis")
    status = call.get("status")
    duration = call.get("call_duration_seconds")
    row = ("puretalk", call_id, status,
           {"incoming": "inbound", "outgoing": "outbound"}.get(call.get("call_type"), call.get("call_type")),
           call.get("protocol"), call.get("from_number"), call.get("to_number"),
           iso_utc(call.get("start_time")), iso_utc(call.get("end_time")),
           None if duration is None else round(duration * 1000),
           call.get("assistant_id"), call.get("assistant_name"), call.get("voice_id"), call.get("voice_name"),
           call.get("provider_call_id"), call.get("campaign_id"), call.get("answered_by"), call.get("sentiment"),
           call.get("transcript"), call.get("call_recording_url"), call.get("call_recording_enabled"),
           call.get("is_billed"), as_json(call.get("metadata")), as_json(call.get("variables")),
           int(status != "in-progress" and analysis is not None), body, now)
    with db:  # one call, one transaction
        call_ref = db.execute(UPSERT_CALL, row).fetchone()[0]
        for table in ("transcript_turns", "call_analysis", "post_analysis_fields"):
            db.execute(f"DELETE FROM {table} WHERE call_ref = ?", (call_ref,))  # no stale turns
        latencies = []
        for index, turn in enumerate(call.get("transcript_object") or []):
            turn_ref = db.execute(INSERT_TURN, (call_ref, "puretalk", call_id, index, turn.get("role"), turn.get("content"),
                                                turn.get("function_name"), turn.get("function_args"), turn.get("interrupted"),
                                                as_json(turn.get("tool_calls")))).fetchone()[0]
            latency = turn.get("turn_latency")
            if latency:
                latencies.append((turn_ref, "puretalk", call_id, index, latency.get("latency"), latency.get("eou_delay"),
                                  latency.get("llm_latency"), latency.get("tts_latency")))
        db.executemany(INSERT_LATENCY, latencies)
        if analysis:
            db.execute(INSERT_ANALYSIS, (call_ref, "puretalk", call_id, analysis.get("summary"), analysis.get("call_completion"),
                                         analysis.get("call_completion_summary"), analysis.get("task_completion"),
                                         analysis.get("task_completion_summary")))
            db.executemany(INSERT_FIELD, [
                (call_ref, "puretalk", call_id, position, field.get("name"),
                 field.get("value") if isinstance(field.get("value"), str) else as_json(field.get("value")))
                for position, field in enumerate(analysis.get("post_analysis_data") or [])])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids")
    parser.add_argument("db")
    parser.add_argument("--base-url", default="https://api.puretalk.ai/api")
    args = parser.parse_args()

    db = sqlite3.connect(args.db, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    if db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'calls'").fetchone()[0] == 0:
        for migration in sorted((pathlib.Path(__file__).parent / "../../migrations").glob("*.sql")):
            db.executescript(migration.read_text())
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%fts%'").fetchall():
            db.execute(f"DROP TRIGGER {name}")  # no full-text indexing
    db.execute("PRAGMA foreign_keys = ON")
    db.isolation_level = "DEFERRED"

    session = requests.Session()
    session.headers["X-API-KEY"] = os.environ["PURETALK_API_KEY"]
    stored = failed = 0
    with open(args.ids) as ids:
        for line in ids:
            call_id = line.strip()
            if not call_id or call_id.startswith("#"):
                continue
            response = session.get(f"{args.base_url}/calls/{call_id}", timeout=30)
            if response.status_code != 200:
                print(f"{call_id}: HTTP {response.status_code}", file=sys.stderr)
                failed += 1
                continue
            now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            store(db, call_id, response.text, now)
            stored += 1
    print(f"stored {stored}, failed {failed}")


if __name__ == "__main__":
    main()

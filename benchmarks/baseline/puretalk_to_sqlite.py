#!/usr/bin/env python3
"""The usual way: fetch PureTalk calls one by one and upsert them into SQLite.

A short "x-to-sqlite" script of the kind people write (Dogsheep style), kept as
the baseline that `scripts/bench` compares `archive sync` against. It fills the
same normalized tables as `archive` (the schema comes from ../../migrations),
one transaction per call, fetching sequentially with a requests.Session.

Usage: puretalk_to_sqlite.py IDS_FILE DB_PATH --base-url URL  (key in PURETALK_API_KEY)
"""
import argparse
import datetime
import json
import os
import pathlib
import sys

import requests
import sqlite_utils


def iso_utc(text):
    """PureTalk's local time with offset, as the archive's UTC text."""
    if not text:
        return None
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def as_json(value):
    return None if value is None else json.dumps(value)


def store(db, call_id, body):
    call = json.loads(body)["results"]
    analysis = call.get("call_analysis")
    status = call.get("status")
    duration = call.get("call_duration_seconds")
    with db.conn:  # one call, one transaction
        db["calls"].upsert({
            "provider": "puretalk", "call_id": call_id, "status": status,
            "direction": {"incoming": "inbound", "outgoing": "outbound"}.get(call.get("call_type"), call.get("call_type")),
            "call_type": call.get("protocol"), "from_number": call.get("from_number"), "to_number": call.get("to_number"),
            "started_at": iso_utc(call.get("start_time")), "ended_at": iso_utc(call.get("end_time")),
            "duration_ms": None if duration is None else round(duration * 1000),
            "assistant_id": call.get("assistant_id"), "assistant_name": call.get("assistant_name"),
            "voice_id": call.get("voice_id"), "voice_name": call.get("voice_name"),
            "provider_call_id": call.get("provider_call_id"), "campaign_id": call.get("campaign_id"),
            "answered_by": call.get("answered_by"), "sentiment": call.get("sentiment"),
            "transcript": call.get("transcript"), "recording_url": call.get("call_recording_url"),
            "recording_enabled": call.get("call_recording_enabled"), "is_billed": call.get("is_billed"),
            "metadata": as_json(call.get("metadata")), "variables": as_json(call.get("variables")),
            "is_final": int(status != "in-progress" and analysis is not None),
            "raw_json": body, "fetched_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }, pk=("provider", "call_id"))
        call_ref = db.execute("SELECT id FROM calls WHERE provider = 'puretalk' AND call_id = ?", [call_id]).fetchone()[0]
        for table in ("transcript_turns", "call_analysis", "post_analysis_fields"):
            db.execute(f"DELETE FROM {table} WHERE call_ref = ?", [call_ref])  # a shorter transcript leaves no stale turns
        for index, turn in enumerate(call.get("transcript_object") or []):
            db["transcript_turns"].upsert({
                "call_ref": call_ref, "provider": "puretalk", "call_id": call_id, "turn_index": index,
                "role": turn.get("role"), "content": turn.get("content"),
                "function_name": turn.get("function_name"), "function_args": turn.get("function_args"),
                "interrupted": turn.get("interrupted"), "tool_calls": as_json(turn.get("tool_calls")),
            }, pk=("provider", "call_id", "turn_index"))
            latency = turn.get("turn_latency")
            if latency:
                turn_ref = db.execute("SELECT id FROM transcript_turns WHERE provider = 'puretalk' AND call_id = ? AND turn_index = ?",
                                      [call_id, index]).fetchone()[0]
                db["turn_latencies"].upsert({
                    "turn_ref": turn_ref, "provider": "puretalk", "call_id": call_id, "turn_index": index,
                    **{key: latency.get(key) for key in ("latency", "eou_delay", "llm_latency", "tts_latency")},
                }, pk="turn_ref")
        if analysis:
            db["call_analysis"].upsert({
                "call_ref": call_ref, "provider": "puretalk", "call_id": call_id,
                **{key: analysis.get(key) for key in ("summary", "call_completion", "call_completion_summary",
                                                      "task_completion", "task_completion_summary")},
            }, pk="call_ref")
            db["post_analysis_fields"].upsert_all([
                {"call_ref": call_ref, "provider": "puretalk", "call_id": call_id, "position": position,
                 "name": field.get("name"),
                 "value": field.get("value") if isinstance(field.get("value"), str) else as_json(field.get("value"))}
                for position, field in enumerate(analysis.get("post_analysis_data") or [])
            ], pk=("provider", "call_id", "position"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids")
    parser.add_argument("db")
    parser.add_argument("--base-url", default="https://api.puretalk.ai/api")
    args = parser.parse_args()

    db = sqlite_utils.Database(args.db)
    if "calls" not in db.table_names():
        for migration in sorted((pathlib.Path(__file__).parent / "../../migrations").glob("*.sql")):
            db.conn.executescript(migration.read_text())
    db.conn.execute("PRAGMA foreign_keys = ON")
    db.conn.execute("PRAGMA journal_mode = WAL")

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
            store(db, call_id, response.text)
            stored += 1
    print(f"stored {stored}, failed {failed}")


if __name__ == "__main__":
    main()

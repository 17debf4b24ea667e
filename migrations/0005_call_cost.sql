-- 0005: what each call cost, derived from the stored bodies.
--
-- Both vendors' bodies now carry a call_cost (PureTalk: dollars; PuppeteerAI:
-- Retell's {"combined_cost": cents}). The column is filled by re-deriving the
-- normalized tables from calls.raw_json, with no request to the vendor: the
-- row below asks for that rebuild, which runs right after this migration (and
-- again on the next open, if it was interrupted), exactly as `archive rebuild`.
ALTER TABLE calls ADD COLUMN cost_usd REAL;  -- US dollars; NULL when the vendor sent no cost

INSERT OR IGNORE INTO pending_work (task, requested_by) VALUES ('rebuild', '0005_call_cost');

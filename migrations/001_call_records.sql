-- One row per call record, keyed by the record's idempotency key: the outbox delivers at least
-- once, and the sink inserts with ON CONFLICT DO NOTHING, so a record lands exactly once.
-- The typed columns are what reports group and sum; they are derived from the record by one
-- function (src/reports/record-figures.ts). `record` keeps the whole record as delivered.
-- Caller numbers are never stored in clear: `caller_masked` (138****5678) and
-- `caller_encrypted` (AES-256-GCM, readable only with the records key), as in the record.
CREATE TABLE call_records (
  idempotency_key       text PRIMARY KEY,
  call_id               text NOT NULL,
  arrived_at            timestamptz NOT NULL,
  ended_at              timestamptz NOT NULL,
  line_id               text NOT NULL,
  line_mode             text NOT NULL,
  -- The line's topic (诉求类别): the department's for a department line.
  line_topic            text NOT NULL,
  phase_id              text NOT NULL,
  phase_kind            text NOT NULL,
  queue_kind            text,
  queue_id              text,
  pool                  text,
  expert_seat           text,
  agent_id              text,
  disposition           text NOT NULL,
  offered               boolean NOT NULL,
  answered              boolean NOT NULL,
  abandoned             boolean NOT NULL,
  wait_ms               integer,
  wait_from_arrival_ms  integer,
  sl_hit                boolean NOT NULL,
  sl_from_arrival_hit   boolean NOT NULL,
  talk_seconds          integer,
  survey_score          integer,
  caller_masked         text NOT NULL,
  caller_encrypted      jsonb,
  record                jsonb NOT NULL,
  stored_at             timestamptz NOT NULL DEFAULT now()
);

-- Reports read a range of arrival times and group it: the covering index answers "a month by
-- day by line" (or department, queue, agent, phase) from the index alone (an index-only scan),
-- without reading the records' JSON. Retention deletes by arrival too.
CREATE INDEX call_records_arrived_figures ON call_records (arrived_at)
  INCLUDE (line_id, line_topic, phase_id, queue_kind, queue_id, agent_id, offered, answered, abandoned,
           wait_ms, wait_from_arrival_ms, sl_hit, sl_from_arrival_hit, talk_seconds, survey_score);

-- A call's record by its id: the key is `<callId>:record` (the primary key finds it).

-- Transfers of each call (one row per transfer, in the record's order). The call's arrival is
-- repeated so transfer reports filter and group by it like the other reports.
CREATE TABLE call_transfers (
  idempotency_key  text NOT NULL REFERENCES call_records (idempotency_key) ON DELETE CASCADE,
  seq              integer NOT NULL,
  arrived_at       timestamptz NOT NULL,
  target_kind      text NOT NULL,
  target_id        text NOT NULL,
  mode             text NOT NULL,
  result           text NOT NULL,
  started_at       timestamptz NOT NULL,
  PRIMARY KEY (idempotency_key, seq)
);

CREATE INDEX call_transfers_arrived ON call_transfers (arrived_at) INCLUDE (target_kind, target_id, mode, result);

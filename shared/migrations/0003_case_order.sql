-- Per-case order (DESIGN.md: "a case's events take effect in the order they were produced").
-- The producer numbers each case's events as it writes them: the upsert on case_sequences
-- holds the case's row lock until commit, so numbers follow commit order. The number
-- travels as the Amparo-Case-Seq header; a consumer applies a case's event only after
-- the one numbered before it (consumer_progress), whatever order the stream delivers.
CREATE TABLE case_sequences (
    case_id uuid PRIMARY KEY,
    last_seq bigint NOT NULL
);

ALTER TABLE outbox ADD COLUMN case_id uuid, ADD COLUMN case_seq bigint;

-- Consumer side: the last number applied per (consumer, case).
CREATE TABLE consumer_progress (
    consumer text NOT NULL,
    case_id uuid NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (consumer, case_id)
);

-- The event's own failures (not redeliveries caused by an outage or by waiting for an
-- earlier event of its case): what counts toward dead-lettering.
CREATE TABLE consumer_failures (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    failures integer NOT NULL,
    last_failed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

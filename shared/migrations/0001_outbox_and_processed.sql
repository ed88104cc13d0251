-- Transactional outbox: written in the same transaction as the state change.
CREATE TABLE outbox (
    id uuid PRIMARY KEY,
    subject text NOT NULL,
    payload bytea NOT NULL,
    correlation_id uuid,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    last_error text
);
-- The relay only ever looks at unpublished rows; this index stays small.
CREATE INDEX outbox_pending ON outbox (created_at) WHERE published_at IS NULL;

-- Idempotent consumer: the event id is recorded in the transaction of its effect.
CREATE TABLE processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    subject text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Usage: carriers' records, what each drew from each bucket and the money charged, and an hourly
-- rollup per line for the usage chart. Owned by src/modules/usage; buckets and lines stay with lines.

-- One row per record id, forever: the primary key is what makes a repeated id a duplicate.
CREATE TABLE usage_records (
  id              text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
  line_id         text NOT NULL REFERENCES lines (id),
  type            text NOT NULL CHECK (type IN ('data', 'voice', 'sms')),
  quantity        bigint NOT NULL CHECK (quantity >= 0),          -- as sent: bytes, seconds, messages
  started_at      timestamptz NOT NULL,
  zone            text CHECK (zone ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  rated_units     bigint NOT NULL CHECK (rated_units >= quantity), -- rounded up to the rating increment
  bucket_units    bigint NOT NULL CHECK (bucket_units >= 0),
  wallet_units    bigint NOT NULL CHECK (wallet_units >= 0),
  unfunded_units  bigint NOT NULL CHECK (unfunded_units >= 0),
  charged_minor   bigint NOT NULL CHECK (charged_minor >= 0),
  currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status          text NOT NULL CHECK (status IN ('rated', 'unfunded')),
  journal_key     text,                                            -- the ledger journal of the batch's wallet charge
  ingested_at     timestamptz NOT NULL,
  CHECK (bucket_units + wallet_units + unfunded_units = rated_units),
  CHECK ((status = 'unfunded') = (unfunded_units > 0)),
  CHECK ((charged_minor > 0) <= (journal_key IS NOT NULL))
);
CREATE INDEX usage_records_line_idx ON usage_records (line_id, started_at);
CREATE INDEX usage_records_unfunded_idx ON usage_records (line_id) WHERE status = 'unfunded';

-- What each record took from each bucket.
CREATE TABLE usage_draws (
  record_id text NOT NULL REFERENCES usage_records (id),
  bucket_id text NOT NULL REFERENCES buckets (id),
  units     bigint NOT NULL CHECK (units > 0),
  PRIMARY KEY (record_id, bucket_id)
);
CREATE INDEX usage_draws_bucket_idx ON usage_draws (bucket_id);

-- Per line and hour (UTC): kept in the rating transaction, read by the usage chart.
CREATE TABLE usage_hourly (
  line_id       text NOT NULL REFERENCES lines (id),
  hour          timestamptz NOT NULL CHECK (date_trunc('hour', hour) = hour),
  data_bytes    bigint NOT NULL DEFAULT 0 CHECK (data_bytes >= 0),
  voice_sec     bigint NOT NULL DEFAULT 0 CHECK (voice_sec >= 0),
  sms           bigint NOT NULL DEFAULT 0 CHECK (sms >= 0),
  charged_minor bigint NOT NULL DEFAULT 0 CHECK (charged_minor >= 0),
  currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  PRIMARY KEY (line_id, hour)
);

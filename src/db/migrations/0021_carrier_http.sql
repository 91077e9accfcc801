-- Carrier adapters (SPEC.md "Carrier provisioning"): which adapter provisions each carrier's lines,
-- and the callbacks of asynchronous carriers. Owned by src/modules/carrier-adapters; the carrier
-- profile itself stays in `carriers` (src/modules/lines). A carrier without a row here is served
-- by the simulated carrier.
CREATE TABLE carrier_adapters (
  carrier_code text PRIMARY KEY REFERENCES carriers (code),
  adapter      text NOT NULL CHECK (adapter IN ('simulated', 'http_json')),
  base_url     text CHECK (length(base_url) BETWEEN 1 AND 2048),
  secret_enc   text,                                                    -- AES-256-GCM `v1:…`, bound to the carrier code
  timeout_ms   integer NOT NULL CHECK (timeout_ms BETWEEN 100 AND 15000),
  updated_at   timestamptz NOT NULL,
  -- An HTTP/JSON carrier can only be chosen with somewhere to send requests and a key to sign them.
  CONSTRAINT carrier_adapters_http_json_complete CHECK (adapter <> 'http_json' OR (base_url IS NOT NULL AND secret_enc IS NOT NULL))
);

-- Each callback id of a carrier takes effect once: the primary key is the deduplication.
CREATE TABLE carrier_callbacks (
  carrier_code text NOT NULL REFERENCES carriers (code),
  callback_id  text NOT NULL CHECK (length(callback_id) BETWEEN 1 AND 255),
  request_id   text NOT NULL CHECK (length(request_id) BETWEEN 1 AND 255),
  status       text NOT NULL CHECK (status IN ('done', 'failed')),
  received_at  timestamptz NOT NULL,
  PRIMARY KEY (carrier_code, callback_id)
);
CREATE INDEX carrier_callbacks_request_idx ON carrier_callbacks (request_id);

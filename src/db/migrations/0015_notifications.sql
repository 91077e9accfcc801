-- Notifications (src/modules/notifications): the in-app copy of every message, each user's channel
-- settings, and one delivery row per external channel (email, webhook) so a failed delivery is
-- visible to operators after its job gave up. The kinds listed in the CHECKs are NOTIFICATION_KINDS
-- in src/modules/notifications/kinds.ts (a test compares them).

CREATE TABLE notifications (
  id          text PRIMARY KEY,                    -- ntf_…
  user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN (
                'expiry_reminder', 'keepalive_reminder', 'renewal_upcoming', 'renewal_succeeded', 'renewal_failed',
                'low_balance', 'allowance_used', 'line_suspended', 'line_recycled', 'order_completed', 'order_failed',
                'refund_issued', 'ticket_reply')),
  line_id     text REFERENCES lines (id),
  order_id    text,                                -- no FK: the orders module owns its table
  days_before integer CHECK (days_before > 0),
  percent     integer CHECK (percent BETWEEN 1 AND 100),
  title       text NOT NULL,
  body        text NOT NULL,
  data        jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(data) = 'object'),
  -- "Each reminder once per line, period and threshold": the caller names the cause, the database
  -- keeps one notification per name however many workers or clock jumps raise it.
  dedupe_key  text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL,                -- application clock (the sandbox clock may run ahead)
  read_at     timestamptz
);
-- The in-app list: newest first per user (keyset on created_at, id), optionally per line.
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_line_idx ON notifications (line_id, created_at DESC, id DESC) WHERE line_id IS NOT NULL;

CREATE TABLE notification_settings (
  user_id            text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  email_enabled      boolean NOT NULL DEFAULT true,
  webhook_url        text,
  webhook_secret_enc text,                         -- AES-256-GCM under the server key, bound to the user id
  webhook_enabled    boolean NOT NULL DEFAULT false,
  muted              text[] NOT NULL DEFAULT '{}' CHECK (muted <@ ARRAY[
                       'expiry_reminder', 'keepalive_reminder', 'renewal_upcoming', 'renewal_succeeded', 'renewal_failed',
                       'low_balance', 'allowance_used', 'line_suspended', 'line_recycled', 'order_completed', 'order_failed',
                       'refund_issued', 'ticket_reply']::text[]),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CHECK ((webhook_url IS NULL) = (webhook_secret_enc IS NULL)),
  CHECK (webhook_url IS NOT NULL OR NOT webhook_enabled)
);

CREATE TABLE notification_deliveries (
  id              bigserial PRIMARY KEY,
  notification_id text NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
  channel         text NOT NULL CHECK (channel IN ('email', 'webhook')),
  -- pending: its job will run; sent; logged: no SMTP_URL, the email went to the log; failed: the job
  -- gave up (dead); cancelled: the channel was turned off before the job ran.
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'logged', 'failed', 'cancelled')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (notification_id, channel)
);
CREATE INDEX notification_deliveries_status_idx ON notification_deliveries (status, id DESC);

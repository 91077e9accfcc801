-- Support tickets (src/modules/tickets): a subscriber's conversation with the operators, optionally
-- about one of their lines. The statuses and authors in the CHECKs are TICKET_STATUSES and
-- TICKET_AUTHORS in src/modules/tickets/statuses.ts (a test compares them); the length limits are
-- SUBJECT_CHARS_MAX and MESSAGE_CHARS_MAX (text.ts) and MESSAGES_PER_TICKET_MAX (service.ts).

CREATE TABLE tickets (
  id            text PRIMARY KEY,                  -- tkt_…
  user_id       text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  line_id       text REFERENCES lines (id),
  subject       text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 200),
  -- open: waiting for an operator; answered: waiting for the subscriber; closed: final.
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed')),
  -- Kept by the same guarded UPDATE that appends a message: the per-ticket limit without a count(*).
  message_count integer NOT NULL CHECK (message_count BETWEEN 1 AND 200),
  created_at    timestamptz NOT NULL,              -- application clock, like every time the module writes
  updated_at    timestamptz NOT NULL,              -- the last message or status change
  CHECK (updated_at >= created_at)
);
-- The subscriber's list: newest activity first (keyset on updated_at, id).
CREATE INDEX tickets_user_idx ON tickets (user_id, updated_at DESC, id DESC);
-- The operators' queue per status (oldest waiting first for open tickets).
CREATE INDEX tickets_status_idx ON tickets (status, updated_at, id);
-- All statuses, newest activity first.
CREATE INDEX tickets_updated_idx ON tickets (updated_at, id);

CREATE TABLE ticket_messages (
  id        bigserial PRIMARY KEY,
  ticket_id text NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
  author    text NOT NULL CHECK (author IN ('customer', 'operator')),
  body      text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
  at        timestamptz NOT NULL
);
CREATE INDEX ticket_messages_ticket_idx ON ticket_messages (ticket_id, id);

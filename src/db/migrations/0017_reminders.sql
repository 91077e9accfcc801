-- Reminders: the last reminder threshold sent per line for its current lapse instant, so the sweep
-- revisits a line only when a nearer threshold becomes due or the line's lapse instant moves (a
-- recharge starts a new period). The notifications' UNIQUE dedupe_key is what makes each reminder
-- once; this table only keeps the sweep from re-reading lines it has already handled.
CREATE TABLE line_reminder_marks (
  line_id     text PRIMARY KEY REFERENCES lines (id) ON DELETE CASCADE,
  lapses_at   timestamptz NOT NULL,
  days_before integer NOT NULL CHECK (days_before >= 0)
);

-- A running job names the process that leased it (that process's session tag, as idempotency keys
-- do), so a job whose worker died (kill -9, a crash) is handed back as soon as that process is seen
-- gone — at the next start on the embedded database, within seconds on PostgreSQL — instead of
-- waiting out its lease. Rows leased before this migration have no owner and keep the lease rule.
ALTER TABLE jobs ADD COLUMN locked_by text;
CREATE INDEX jobs_running_owner_idx ON jobs (locked_by) WHERE status = 'running';

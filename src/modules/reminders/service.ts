// Reminders: tells a subscriber before a line lapses. Owns `line_reminder_marks` (what the sweep
// already handled). Invariants: a reminder is raised through notifications with a dedupe key that
// names the line, its period (the lapse instant L = max(expiresAt, keepAliveBy), the instant the line
// view shows as keepAliveBy) and the threshold, so it exists at most once however many workers run;
// only the nearest due threshold is sent — after a clock jump from 8 days before L to 2 days before,
// the subscriber hears "3 days", not a stale "7 days" as well — and nothing is sent for a period that
// has already lapsed (the lifecycle's own line_suspended / line_recycled notices take over then).
import type { Db, Queryable } from '../../db/types.ts';
import { DAY_MS, keepAliveAdvice } from '../../domain/lifecycle.ts';
import { getCarrier, lifecycleStateOf, LINE_SELECT, type Carrier, type LineRow } from '../lines/service.ts';
import { notify } from '../notifications/service.ts';

/** Days before the lapse instant at which a reminder is due (API.md: 7, 3 and 1). */
export const REMINDER_DAYS_BEFORE = [7, 3, 1] as const;
const REMINDER_HORIZON_DAYS = Math.max(...REMINDER_DAYS_BEFORE);
/** Lines handled per sweep batch. */
export const REMINDER_SWEEP_BATCH_MAX = 200;

/** The nearest threshold already due at `now` for a line lapsing at `lapsesAt`; null when none is (yet) or it lapsed. */
export function dueThreshold(lapsesAt: Date, now: Date): number | null {
  const leftMs = lapsesAt.getTime() - now.getTime();
  if (leftMs <= 0) return null;
  const due = REMINDER_DAYS_BEFORE.filter((d) => leftMs <= d * DAY_MS);
  return due.length === 0 ? null : Math.min(...due);
}

// The SQL twin of dueThreshold, on the stored lapse instant: which threshold a line is at now.
const DUE_THRESHOLD_SQL = `CASE ${[...REMINDER_DAYS_BEFORE].sort((a, b) => a - b)
  .map((d) => `WHEN l.lifecycle_due_at <= $1::timestamptz + interval '${d} days' THEN ${d}`).join(' ')} END`;

/**
 * One bounded batch: active lines whose lapse instant is within the horizon and whose nearest due
 * threshold has not been handled for that instant. Rows are locked SKIP LOCKED, so two workers take
 * different lines; the dedupe key would stop a duplicate anyway.
 */
export async function sendDueReminders(db: Db, now: Date): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<LineRow>(
      `${LINE_SELECT} LEFT JOIN line_reminder_marks m ON m.line_id = l.id
        WHERE l.status = 'active' AND l.lifecycle_due_at > $1 AND l.lifecycle_due_at <= $1::timestamptz + interval '${REMINDER_HORIZON_DAYS} days'
          AND (m.line_id IS NULL OR m.lapses_at <> l.lifecycle_due_at OR m.days_before > ${DUE_THRESHOLD_SQL})
        ORDER BY l.lifecycle_due_at LIMIT $2 FOR UPDATE OF l SKIP LOCKED`,
      [now, REMINDER_SWEEP_BATCH_MAX],
    );
    const carriers = new Map<string, Carrier>();
    for (const row of rows) {
      const carrier = carriers.get(row.carrier_code) ?? (await getCarrier(tx, row.carrier_code));
      carriers.set(row.carrier_code, carrier);
      await remindLine(tx, row, carrier, now);
    }
    return rows.length;
  });
}

async function remindLine(tx: Queryable, row: LineRow, carrier: Carrier, now: Date): Promise<void> {
  const storedLapse = row.lifecycle_due_at;
  if (storedLapse === null) return;
  const days = dueThreshold(storedLapse, now);
  const advice = keepAliveAdvice(lifecycleStateOf(row), carrier, now);
  // The period is the instant the line view shows; the stored one is the lifecycle's same L.
  const lapsesAt = advice.actionBy ?? storedLapse;
  if (days !== null && advice.action !== null) {
    const kind = advice.action === 'use_the_line' ? 'keepalive_reminder' : 'expiry_reminder';
    const data = {
      ...(row.msisdn ? { msisdn: row.msisdn } : {}), ...(row.nickname ? { nickname: row.nickname } : {}),
      expiresAt: lapsesAt.toISOString(), deadline: lapsesAt.toISOString(), action: advice.action,
    };
    await notify(tx, {
      now, userId: row.user_id, kind, lineId: row.id, daysBefore: days, data,
      dedupeKey: `${kind}:${row.id}:${lapsesAt.toISOString()}:${days}`,
    });
  }
  await tx.query(
    `INSERT INTO line_reminder_marks (line_id, lapses_at, days_before) VALUES ($1, $2, $3)
     ON CONFLICT (line_id) DO UPDATE SET lapses_at = EXCLUDED.lapses_at, days_before = EXCLUDED.days_before`,
    [row.id, storedLapse, days ?? 0],
  );
}

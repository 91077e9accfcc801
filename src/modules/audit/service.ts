// The audit log: append-only (a trigger refuses UPDATE and DELETE). Every operator action and every
// money movement calls `recordAudit` inside the same transaction as the change it describes, so the
// log never claims a change that rolled back nor misses one that committed. `at` is the caller's
// application clock (the sandbox clock in sandbox mode), like every other time the change wrote —
// not the database's now(), which would disagree with the rows it describes.
import { clampPageLimit, keysetPage, type Page } from '../../db/keyset-page.ts';
import type { Queryable } from '../../db/types.ts';
import type { z } from 'zod';
import type { auditEntrySchema } from './schemas.ts';

export interface Actor {
  userId: string | null;
  role: string | null;
  /** The HTTP request that acted (its id is sanitised at the door: src/http/request-id.ts). */
  requestId?: string | null;
}

/** Longest request id stored; the HTTP layer already refuses longer ones — this holds for any caller. */
const AUDIT_REQUEST_ID_MAX_LENGTH = 128;

export const SYSTEM_ACTOR: Actor = { userId: null, role: 'system' };

export interface AuditEntry {
  action: string; // e.g. 'line.suspend', 'refund.create', 'ledger.post'
  targetType: string;
  targetId: string;
  /** When it happened, on the application clock (`clock.now()` / the `now` of the use case). */
  at: Date;
  details?: Record<string, unknown>;
}

/** The actor's request id as the audit log stores it (bounded), or null. */
export const auditRequestId = (actor: Actor): string | null => (actor.requestId ? actor.requestId.slice(0, AUDIT_REQUEST_ID_MAX_LENGTH) : null);

export async function recordAudit(tx: Queryable, actor: Actor, entry: AuditEntry): Promise<void> {
  const requestId = auditRequestId(actor);
  await tx.query(
    `INSERT INTO audit_log (at, actor_id, actor_role, action, target_type, target_id, request_id, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [entry.at, actor.userId, actor.role, entry.action, entry.targetType, entry.targetId, requestId, JSON.stringify(entry.details ?? {})],
  );
}

/** One audit entry as the API answers it (schemas.ts). */
export type AuditRow = z.infer<typeof auditEntrySchema>;

export async function listAudit(
  db: Queryable,
  filter: { actor?: string; target?: string; limit: number; cursor: number | null },
): Promise<Page<AuditRow>> {
  const limit = clampPageLimit(filter.limit);
  const { rows } = await db.query<{
    id: number; at: Date; actor_id: string | null; actor_role: string | null; action: string;
    target_type: string; target_id: string; request_id: string | null; details: Record<string, unknown>;
  }>(
    `SELECT * FROM audit_log
      WHERE ($1::text IS NULL OR actor_id = $1) AND ($2::text IS NULL OR target_id = $2)
        AND ($3::bigint IS NULL OR id < $3)
      ORDER BY id DESC LIMIT $4`,
    [filter.actor ?? null, filter.target ?? null, filter.cursor, limit + 1],
  );
  const page = keysetPage(rows, limit, (r) => r.id);
  return {
    items: page.items.map((r) => ({
      id: r.id, at: r.at.toISOString(), actorId: r.actor_id, actorRole: r.actor_role, action: r.action,
      targetType: r.target_type, targetId: r.target_id, requestId: r.request_id, details: r.details,
    })),
    nextCursor: page.nextCursor,
  };
}

import { z } from 'zod';
import { pageLimitParam, serialCursorParam } from '../../db/keyset-page.ts';

export const auditQuery = z.object({
  actor: z.string().max(100).optional(),
  target: z.string().max(100).optional(),
  limit: pageLimitParam(),
  cursor: serialCursorParam.optional(),
});

export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string().describe('ISO 8601 instant (UTC)'),
  actorId: z.string().nullable().describe('null for the system'),
  actorRole: z.string().nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string(),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

export const auditPageSchema = z.object({
  items: z.array(auditEntrySchema),
  nextCursor: z.string().nullable().describe('pass as cursor for the next (older) page'),
});

import { z } from 'zod';
import { pageLimitParam, serialCursorParam } from '../../db/keyset-page.ts';

export const auditQuery = z.object({
  actor: z.string().max(100).optional(),
  target: z.string().max(100).optional(),
  limit: pageLimitParam(),
  cursor: serialCursorParam.optional(),
});

import { z } from 'zod';
import { AUDIT_PAGE_MAX } from './service.ts';

export const auditQuery = z.object({
  actor: z.string().max(100).optional(),
  target: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(50),
  cursor: z.string().regex(/^\d{1,18}$/, 'must be a nextCursor from a previous page').optional(),
});

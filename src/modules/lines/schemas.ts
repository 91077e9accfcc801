import { z } from 'zod';
import { idCursorParam, pageLimitParam } from '../../db/keyset-page.ts';
import { LINE_STATUSES } from './service.ts';

const moneySchema = z.object({
  amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  currency: z.string().regex(/^[A-Z]{3}$/),
});

export const lineIdParams = z.object({ id: z.string().min(1).max(100) });

/** A page cursor is the last line id of the previous page. */
const lineCursor = idCursorParam('line');

export const ownLinesQuery = z.object({
  limit: pageLimitParam(),
  cursor: lineCursor.optional(),
});

/** SIM inventory as CSV text (the import route reads only `text/csv` / `text/plain`). */
export const simsCsvBody = z.string().describe('text/csv with a header row: iccid,imsi,msisdn,pin,form,carrier[,activation_code]');

export const bindBody = z.object({
  // A generous length bound only (a body limit, not a rule): the ICCID rules, an over-long one
  // included, answer 422 invalid_iccid from domain/iccid.ts as API.md says.
  iccid: z.string().max(256),
  pin: z.string().max(64),
  nickname: z.string().trim().min(1).max(64).optional(),
});

/** Plan ids are opaque but shaped: `plan_` and a short token (checked against the catalog when renewing). */
export const planIdSchema = z.string().regex(/^plan_[A-Za-z0-9_-]{1,64}$/, 'must be a plan id (plan_…)');

export const updateLineBody = z.object({
  nickname: z.string().trim().max(64).nullable().optional(),
  autoRenew: z
    .object({
      enabled: z.boolean(),
      planId: planIdSchema.nullable().optional(),
      monthlyCap: moneySchema.nullable().optional(),
    })
    .optional(),
});

export const operateBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).nullish();

export const staffLinesQuery = z.object({
  status: z.enum(LINE_STATUSES as [string, ...string[]]).optional(),
  expiringWithinDays: z.coerce.number().int().min(0).max(3650).optional(),
  limit: pageLimitParam(),
  cursor: lineCursor.optional(),
});

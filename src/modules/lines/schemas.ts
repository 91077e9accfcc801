import { z } from 'zod';
import { idCursorParam, pageLimitParam } from '../../db/keyset-page.ts';
import { KEEP_ALIVE_RULES } from '../../domain/carrier-profile.ts';
import { KEEP_ALIVE_ACTIONS, STORED_LINE_STATUSES } from '../../domain/lifecycle.ts';
import { BUCKET_UNITS } from '../../domain/plan-credit.ts';
import { SIM_FORMS } from '../../domain/sim-form.ts';
import { IMPORT_REJECT_CODES } from './import.ts';

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
  status: z.enum(STORED_LINE_STATUSES).optional(),
  expiringWithinDays: z.coerce.number().int().min(0).max(3650).optional(),
  limit: pageLimitParam(),
  cursor: lineCursor.optional(),
});

// ---------------------------------------------------------------------------------------------
// Answers (API.md "line"); the view types in view.ts are inferred from these.

const instant = z.string().describe('ISO 8601 instant (UTC)');
const planRef = z.object({ id: z.string(), name: z.string().describe('in the request locale') }).nullable();

export const bucketViewSchema = z.object({
  unit: z.enum(BUCKET_UNITS),
  remaining: z.number().int().describe('whole MB, minutes or messages, rounded down'),
  total: z.number().int(),
  expiresAt: instant,
  source: z.string().describe('plan, bonus or addon'),
});

export const lineViewSchema = z.object({
  id: z.string(),
  iccid: z.string(),
  msisdn: z.string().nullable(),
  form: z.enum(SIM_FORMS),
  nickname: z.string().nullable(),
  status: z.enum(STORED_LINE_STATUSES),
  carrier: z.string(),
  carrierName: z.string(),
  region: z.string().describe('ISO 3166 alpha-2'),
  plan: planRef,
  expiresAt: instant.nullable(),
  keepAliveBy: instant.nullable().describe('the instant by which the subscriber must act so the line does not lapse; equals actionBy'),
  safeUntil: instant.nullable().describe('when the number would be recycled'),
  keepAliveAction: z.enum(KEEP_ALIVE_ACTIONS).nullable(),
  actionBy: instant.nullable(),
  autoRenew: z.object({ enabled: z.boolean(), planId: z.string().nullable(), monthlyCap: moneySchema.nullable() }),
  balances: z.object({ wallet: moneySchema, dataMb: z.number().int(), voiceMin: z.number().int(), sms: z.number().int() }),
  buckets: z.array(bucketViewSchema),
  operatorSuspended: z.boolean(),
  flagged: z.boolean(),
  createdAt: instant,
});

export const lineListSchema = z.object({ items: z.array(lineViewSchema), nextCursor: z.string().nullable() });

/** The console's list row: no wallet or bucket reads, so a page of 500 stays one query. */
export const staffLineSummarySchema = z.object({
  id: z.string(),
  userId: z.string(),
  iccid: z.string(),
  msisdn: z.string().nullable(),
  form: z.enum(SIM_FORMS),
  carrier: z.string(),
  status: z.enum(STORED_LINE_STATUSES),
  operatorSuspended: z.boolean(),
  expiresAt: instant.nullable(),
  lapsesAt: instant.nullable().describe('when an active line lapses: the later of its validity and its keep-alive deadline'),
  plan: planRef,
  flagged: z.boolean(),
  createdAt: instant,
});

export const staffLineListSchema = z.object({ items: z.array(staffLineSummarySchema), nextCursor: z.string().nullable() });

export const esimActivationSchema = z.object({
  activationCode: z.string().describe('LPA activation code (SGP.22); a credential'),
  qrSvg: z.string().describe('the activation code as a QR code, SVG'),
  installUrl: z.string().describe('iOS universal install link'),
});

export const simImportResultSchema = z.object({
  imported: z.number().int(),
  rejected: z.array(z.object({ line: z.number().int(), code: z.enum(IMPORT_REJECT_CODES) })).describe('the first rejections, bounded'),
  rejectedCount: z.number().int(),
  rows: z.number().int().describe('data rows read (the header not counted)'),
});

const paygRatesSchema = z.object({
  dataPerMbMinor: z.number().int(),
  voicePerMinuteMinor: z.number().int(),
  smsPerMessageMinor: z.number().int(),
});

export const carrierSchema = z.object({
  code: z.string(),
  name: z.string(),
  country: z.string().describe('ISO 3166 alpha-2'),
  currency: z.string().describe('ISO 4217'),
  validityDays: z.number().int(),
  graceDays: z.number().int(),
  suspendDays: z.number().int(),
  keepAlive: z.object({ rule: z.enum(KEEP_ALIVE_RULES), everyDays: z.number().int() }),
  topupGrantsValidity: z.boolean(),
  paygRates: z.record(z.string(), paygRatesSchema).describe('zone → rates; `default` always present'),
  simsAvailable: z.number().int(),
});


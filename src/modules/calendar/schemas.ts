import { z } from 'zod';
import { CALENDAR_ACTIONS, CALENDAR_KINDS } from '../../domain/deadline-calendar.ts';

/** API.md: `?days=` defaults to 90; at most a year (and a day) ahead. */
export const CALENDAR_DAYS_DEFAULT = 90;
export const CALENDAR_DAYS_MAX = 366;

const moneySchema = z.object({ amount: z.number().int(), currency: z.string() });

export const calendarQuery = z.object({
  days: z.coerce.number().int().min(1).max(CALENDAR_DAYS_MAX).default(CALENDAR_DAYS_DEFAULT).describe('how many days ahead (1..366)'),
});

export const calendarEntrySchema = z.object({
  lineId: z.string(),
  msisdn: z.string().nullable(),
  nickname: z.string().nullable(),
  kind: z.enum(CALENDAR_KINDS),
  at: z.string().describe('RFC 3339 UTC: the instant the line loses something unless the action is taken before it'),
  action: z.enum(CALENDAR_ACTIONS).describe(
    'the cheapest act that keeps the number: renew (buy a base plan), recharge (a top-up counts), use_line (a call, an SMS or data), '
    + 'auto_renew_scheduled (nothing to do: auto-renew pays `price`), contact_support (an operator suspended the line)',
  ),
  price: moneySchema.optional().describe('listed price of the cheapest plan or top-up that does it (or of the auto-renew plan)'),
  plan: z.object({ id: z.string(), name: z.string().describe('in the request locale') }).optional()
    .describe('the plan or top-up `price` is the price of; present exactly when `price` is'),
});
export type CalendarEntry = z.infer<typeof calendarEntrySchema>;

export const calendarSchema = z.object({ items: z.array(calendarEntrySchema) });
export type CalendarView = z.infer<typeof calendarSchema>;

export const calendarIcsResponse = {
  description: 'The deadlines as an iCalendar feed (RFC 5545)',
  content: { 'text/calendar': { schema: z.string() } },
};

export const feedParams = z.object({ secret: z.string().max(200) });

export const calendarFeedSchema = z.object({
  calendarFeedUrl: z.string().describe('the private feed URL for calendar apps; keep it secret, rotate it if it leaked'),
});

// The deadline calendar (API.md GET /calendar, /calendar.ics and the private feed): every upcoming
// deadline of a subscriber's lines with the cheapest act that keeps the number. Owns `calendar_feeds`
// (the feed secret per user). Invariants: it only reads — lines and carriers through the lines
// module, prices through the catalog, times on the application clock (the sandbox clock in
// development); a feed secret is random (256 bits), kept only as a keyed hash (lookup) and encrypted
// (to show the URL again); rotating replaces it in place, so the old URL answers 404 at once.
import type { Queryable } from '../../db/types.ts';
import { addDays } from '../../domain/lifecycle.ts';
import { lineDeadlines, type CalendarAction, type Deadline, type KeepingNeed } from '../../domain/deadline-calendar.ts';
import { renderIcsCalendar, icsDateTime } from '../../domain/icalendar.ts';
import { pickLocalized } from '../../domain/localized-text.ts';
import { toJson } from '../../domain/money.ts';
import type { Locale } from '../accounts/service.ts';
import { activeKeepingPlan, cheapestKeepingPlans, type KeepingPlan, type KeepingPlans } from '../catalog/service.ts';
import { getCarrier, lifecycleStateOf, listUserLineRows, type Carrier, type LineRow } from '../lines/service.ts';
import type { CalendarEntry, CalendarView } from './schemas.ts';
import { describeEntry, summarizeEntry } from './texts.ts';

export { calendarFeedUrl, feedOwner, rotateCalendarFeed } from './feed.ts';

/** Lines read for one calendar: a subscriber's own lines, a handful in practice. */
export const CALENDAR_LINES_MAX = 500;

export interface CalendarInput {
  userId: string;
  now: Date;
  days: number;
  renewDaysBefore: number;
  /** The language of plan names. */
  locale: Locale;
}

/** The caller's deadlines within `days`, soonest first. */
export async function userCalendar(db: Queryable, input: CalendarInput): Promise<CalendarView> {
  const rows = await listUserLineRows(db, input.userId, { limit: CALENDAR_LINES_MAX });
  const until = addDays(input.now, input.days);
  const carriers = new Map<string, Carrier>();
  const plans = new Map<string, KeepingPlans>();
  const items: CalendarEntry[] = [];
  for (const row of rows) {
    const carrier = carriers.get(row.carrier_code) ?? (await getCarrier(db, row.carrier_code));
    carriers.set(row.carrier_code, carrier);
    const renewal = await autoRenewPlan(db, row);
    const deadlines = lineDeadlines({
      state: lifecycleStateOf(row), profile: carrier, now: input.now, until,
      autoRenew: { enabled: renewal !== null, renewDaysBefore: input.renewDaysBefore },
    });
    if (deadlines.length === 0) continue;
    const keeping = plans.get(row.carrier_code)
      ?? (await cheapestKeepingPlans(db, { carrierCode: row.carrier_code, region: row.carrier_country, currency: row.carrier_currency }));
    plans.set(row.carrier_code, keeping);
    for (const d of deadlines) items.push(entryOf(row, d, pricedAction(d.need, keeping, carrier, renewal), input.locale));
  }
  items.sort((a, b) => a.at.localeCompare(b.at) || a.lineId.localeCompare(b.lineId));
  return { items };
}

/** The auto-renew plan when auto-renew is on and its plan still sells; else null (auto-renew will not run). */
async function autoRenewPlan(db: Queryable, row: LineRow): Promise<KeepingPlan | null> {
  if (!row.auto_renew_enabled || row.auto_renew_plan_id === null) return null;
  return activeKeepingPlan(db, row.auto_renew_plan_id);
}

interface PricedAction {
  action: CalendarAction;
  /** The plan or top-up that does it, at its listed price; null when nothing is bought. */
  plan: KeepingPlan | null;
}

function pricedAction(need: KeepingNeed, keeping: KeepingPlans, carrier: Carrier, renewal: KeepingPlan | null): PricedAction {
  switch (need) {
    case 'auto_renew':
      return { action: 'auto_renew_scheduled', plan: renewal };
    case 'activity':
      return { action: 'use_line', plan: null };
    case 'support':
      return { action: 'contact_support', plan: null };
    case 'plan':
      // Validity comes from a base plan, or from a top-up only where the carrier grants it.
      return cheaper(keeping.base, carrier.topupGrantsValidity ? keeping.topup : null, 'renew');
    case 'recharge':
      return cheaper(keeping.base, keeping.topup, 'recharge');
  }
}

function cheaper(base: KeepingPlans['base'], topup: KeepingPlans['topup'], otherwise: CalendarAction): PricedAction {
  if (topup !== null && (base === null || topup.price.amountMinor < base.price.amountMinor)) return { action: 'recharge', plan: topup };
  if (base !== null) return { action: 'renew', plan: base };
  return { action: otherwise, plan: null };
}

function entryOf(row: LineRow, d: Deadline, priced: PricedAction, locale: Locale): CalendarEntry {
  const { plan } = priced;
  return {
    lineId: row.id, msisdn: row.msisdn, nickname: row.nickname, kind: d.kind, at: d.at.toISOString(), action: priced.action,
    ...(plan === null ? {} : { price: toJson(plan.price), plan: { id: plan.planId, name: pickLocalized(plan.name, locale) } }),
  };
}

/** The calendar as RFC 5545 text; UIDs are stable per line, kind and instant, so a re-poll updates, never duplicates. */
export function calendarIcs(view: CalendarView, now: Date, locale: Locale): string {
  return renderIcsCalendar({
    productId: '-//simkeep//deadline calendar//EN',
    name: locale === 'zh-CN' ? 'simkeep 号码期限' : 'simkeep deadlines',
    events: view.items.map((e) => ({
      uid: `${e.lineId}.${e.kind}.${icsDateTime(new Date(e.at))}@simkeep`,
      stamp: now, start: new Date(e.at), summary: summarizeEntry(e, locale), description: describeEntry(e, locale),
    })),
  });
}

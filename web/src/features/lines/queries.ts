import { queryOptions } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import { currentLocale } from '../../lib/i18n';
import type { paths } from '../../api/schema';

export type Line = paths['/api/v1/lines']['get']['responses'][200]['content']['application/json']['items'][number];

/** A subscriber has a handful of lines; one page of this size shows them all. */
const LINES_PAGE_SIZE = 50;

export const linesKeys = { all: ['lines'] as const };

/** The signed-in user's lines; plan names come in the request's language, so it is in the key. */
export function linesQuery() {
  const language = currentLocale();
  return queryOptions({
    queryKey: [...linesKeys.all, 'list', { language }] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/lines', { params: { query: { limit: LINES_PAGE_SIZE } }, signal })),
    select: (page) => page.items,
  });
}

export type Deadline = paths['/api/v1/calendar']['get']['responses'][200]['content']['application/json']['items'][number];

/** As far ahead as the calendar reaches (API.md: 1..366 days), so a line's next deadline is almost always in it. */
const KEEPING_DAYS = 366;

/**
 * Every line's upcoming deadlines with the cheapest act that keeps each number and its price, read once
 * for all cards (the deadline calendar's own answer, so the card, the line page and the calendar agree).
 * Under the lines key: whatever changes a line (a purchase, auto-renew) refreshes it too.
 */
export function keepingQuery() {
  const language = currentLocale();
  return queryOptions({
    queryKey: [...linesKeys.all, 'keeping', { language }] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/calendar', { params: { query: { days: KEEPING_DAYS } }, signal })),
    select: (answer) => answer.items,
  });
}

export type LineDetail = paths['/api/v1/lines/{id}']['get']['responses'][200]['content']['application/json'];
export type UsageDay = paths['/api/v1/lines/{id}/usage']['get']['responses'][200]['content']['application/json']['items'][number];
export type LineOrder = paths['/api/v1/orders']['get']['responses'][200]['content']['application/json']['items'][number];
export type LinePlan = paths['/api/v1/plans']['get']['responses'][200]['content']['application/json']['items'][number];
export type SavedMethod = paths['/api/v1/payment-methods']['get']['responses'][200]['content']['application/json']['items'][number];

/** The newest orders of one line shown on its page; the orders pages list the rest. */
const LINE_ORDERS_SHOWN = 10;

export function lineQuery(lineId: string) {
  const language = currentLocale();
  return queryOptions({
    queryKey: [...linesKeys.all, 'detail', lineId, { language }] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/lines/{id}', { params: { path: { id: lineId } }, signal })),
  });
}

/** The last 30 days by day (the API's default range). */
export function lineUsageQuery(lineId: string) {
  return queryOptions({
    queryKey: [...linesKeys.all, 'usage', lineId] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/lines/{id}/usage', { params: { path: { id: lineId } }, signal })),
    select: (answer) => answer.items,
  });
}

export function lineOrdersQuery(lineId: string) {
  const language = currentLocale();
  return queryOptions({
    queryKey: [...linesKeys.all, 'orders', lineId, { language }] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/orders', { params: { query: { lineId, limit: LINE_ORDERS_SHOWN } }, signal })),
    select: (page) => page.items,
  });
}

/** The plans this line can buy, in the request's language (names, promotions). */
export function linePlansQuery(lineId: string) {
  const language = currentLocale();
  return queryOptions({
    queryKey: [...linesKeys.all, 'plans', lineId, { language }] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/plans', { params: { query: { lineId } }, signal })),
    select: (answer) => answer.items,
  });
}

/** The user's saved cards, for the auto-renew form to show which one will be charged. */
export function savedMethodsQuery() {
  return queryOptions({
    queryKey: [...linesKeys.all, 'payment-methods'] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/payment-methods', { signal })),
    select: (answer) => answer.items,
  });
}

import { queryOptions } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import type { paths } from '../../api/schema';

type CalendarAnswer = paths['/api/v1/calendar']['get']['responses'][200]['content']['application/json'];
export type Deadline = CalendarAnswer['items'][number];
export type DeadlineKind = Deadline['kind'];
export type DeadlineAction = Deadline['action'];

/** The periods the page offers; the API takes any 1..366. */
export const CALENDAR_PERIODS = [30, 90, 365] as const;
export type CalendarPeriod = (typeof CALENDAR_PERIODS)[number];
export const DEFAULT_PERIOD: CalendarPeriod = 90;

export function isCalendarPeriod(value: number): value is CalendarPeriod {
  return (CALENDAR_PERIODS as readonly number[]).includes(value);
}

export const calendarKeys = {
  all: ['calendar'] as const,
  feed: ['calendar', 'feed'] as const,
};

/** Every upcoming deadline of the user's lines within `days`, soonest first (the server's order). */
export function calendarQuery(days: CalendarPeriod) {
  return queryOptions({
    queryKey: [...calendarKeys.all, 'list', { days }] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/calendar', { params: { query: { days } }, signal })),
    select: (answer) => answer.items,
  });
}

/**
 * The private .ics feed URL. It lives on /me, but under the calendar's own key: rotating writes the new
 * URL here, and no other page shows it.
 */
export function calendarFeedQuery() {
  return queryOptions({
    queryKey: calendarKeys.feed,
    queryFn: async ({ signal }) => ({ url: (await unwrap(api.GET('/api/v1/me', { signal }))).calendarFeedUrl }),
  });
}

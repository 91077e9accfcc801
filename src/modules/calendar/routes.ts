// HTTP for the deadline calendar (API.md "Lines": GET /calendar, /calendar.ics, the private feed URL).
import type { AppDeps } from '../../app-deps.ts';
import { guard, principalOf } from '../../http/auth.ts';
import { requestLocale } from '../../http/locale.ts';
import { problemResponses } from '../../http/problem.ts';
import type { App } from '../../http/types.ts';
import { getUser, type Locale } from '../accounts/service.ts';
import { calendarFeedSchema, calendarIcsResponse, calendarQuery, calendarSchema, feedParams } from './schemas.ts';
import { calendarIcs, feedOwner, rotateCalendarFeed, userCalendar } from './service.ts';

const tags = ['calendar'];
const ICS_TYPE = 'text/calendar; charset=utf-8';

export function calendarRoutes(app: App, deps: AppDeps): void {
  const { db, clock } = deps;
  const calendarOf = (userId: string, days: number, locale: Locale) =>
    userCalendar(db, { userId, now: clock.now(), days, renewDaysBefore: deps.config.renewDaysBefore, locale });

  app.get('/api/v1/calendar', {
    schema: { tags, querystring: calendarQuery, response: { 200: calendarSchema, ...problemResponses(400, 401, 403) } }, onRequest: guard('authenticated'),
  }, async (request) => calendarOf(principalOf(request).userId, request.query.days, requestLocale(request)));

  app.get('/api/v1/calendar.ics', {
    schema: { tags, querystring: calendarQuery, response: { 200: calendarIcsResponse, ...problemResponses(400, 401, 403) } }, onRequest: guard('authenticated'),
  }, async (request, reply) => {
    const locale = requestLocale(request);
    const view = await calendarOf(principalOf(request).userId, request.query.days, locale);
    return reply.type(ICS_TYPE).send(calendarIcs(view, clock.now(), locale));
  });

  // Calendar apps send no credentials: the secret in the path is the credential, in the owner's language.
  app.get('/api/v1/calendar/feed/:secret', {
    schema: {
      tags, params: feedParams, querystring: calendarQuery, security: [],
      description: 'The private feed: `{secret}` is the file name `<secret>.ics` from `GET /api/v1/me` → calendarFeedUrl.',
      response: { 200: calendarIcsResponse, ...problemResponses(400, 404) },
    },
    config: { ownCredential: true },
  }, async (request, reply) => {
    const file = request.params.secret;
    const userId = await feedOwner(db, deps.secretKey, file.endsWith('.ics') ? file.slice(0, -'.ics'.length) : '');
    const { locale } = await getUser(db, userId);
    const view = await calendarOf(userId, request.query.days, locale);
    return reply.type(ICS_TYPE).header('cache-control', 'private, no-store').send(calendarIcs(view, clock.now(), locale));
  });

  app.post('/api/v1/me/calendar-feed/rotate', {
    schema: { tags, response: { 200: calendarFeedSchema, ...problemResponses(401, 403) } }, onRequest: guard('authenticated'),
  }, async (request) => ({
    calendarFeedUrl: await rotateCalendarFeed(db, deps.secretKey, { userId: principalOf(request).userId, now: clock.now(), publicUrl: deps.publicUrl() }),
  }));
}

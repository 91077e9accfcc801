import { z } from 'zod';
import { LOCALES, USER_ROLES } from './service.ts';

export const localeSchema = z.enum(LOCALES);

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  locale: localeSchema,
  role: z.enum(USER_ROLES),
});

/** GET /me: the user and their private calendar feed URL (API.md "Lines": calendar). */
export const meSchema = userSchema.extend({
  calendarFeedUrl: z.string().describe('the private iCalendar feed of the deadline calendar; POST /api/v1/me/calendar-feed/rotate replaces it'),
});

export const registerBody = z.object({
  email: z.email().max(254),
  password: z.string().max(1024),
  name: z.string().max(200).optional(),
  locale: localeSchema.optional(),
});

export const loginBody = z.object({
  email: z.string().max(254),
  password: z.string().max(1024),
});

export const updateMeBody = z.object({
  name: z.string().max(200).nullable().optional(),
  locale: localeSchema.optional(),
});

export const createApiTokenBody = z.object({
  name: z.string().min(1).max(100),
  role: z.enum(['carrier', 'operator']),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});

export const createStaffBody = z.object({
  email: z.email().max(254),
  password: z.string().max(1024),
  name: z.string().max(200).optional(),
  role: z.enum(['operator', 'admin', 'carrier']),
});

export const idParams = z.object({ id: z.string().min(1).max(100) });

export const sessionResponse = z.object({ user: userSchema, token: z.string().describe('bearer token; also set as the session cookie') });

export const apiTokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(USER_ROLES),
  userId: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable().describe('to the minute'),
  createdAt: z.string(),
});

export const createdApiTokenSchema = apiTokenSchema.extend({ token: z.string().describe('shown once') });

export const apiTokenListSchema = z.object({ items: z.array(apiTokenSchema), nextCursor: z.null() });

/** 204: no body. */
export const noContent = z.null().describe('No Content');

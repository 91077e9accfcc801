// Which language an answer speaks: the Accept-Language header first (RFC 9110 q-values), then the
// user's saved locale. One negotiation for every route, so a plan's name reads the same in the
// catalog, on the line and on the order.
import type { FastifyRequest } from 'fastify';
import { LOCALES, type Locale } from '../modules/accounts/service.ts';
import { principalOf } from './auth.ts';

/** Longest header we look at; anything beyond is ignored, not parsed. */
const ACCEPT_LANGUAGE_MAX_LENGTH = 512;
const ACCEPT_LANGUAGE_MAX_ENTRIES = 20;

// Simplified Chinese in its usual spellings. zh-TW / zh-HK / zh-Hant are Traditional: not served.
const ZH_SIMPLIFIED = /^zh(-hans)?(-(cn|sg|my))?$/;

function toSupported(tag: string): Locale | null {
  const lower = tag.toLowerCase();
  if (lower === 'en' || lower.startsWith('en-')) return 'en';
  if (ZH_SIMPLIFIED.test(lower)) return 'zh-CN';
  const exact = LOCALES.find((l) => l.toLowerCase() === lower);
  return exact ?? null;
}

const Q_PARAM = /^q\s*=\s*/i;
// RFC 9110 qvalue: 0 to 1 with at most three decimals. Anything else is no weight we can trust: 0.
const QVALUE = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/;

function qValue(text: string): number {
  const trimmed = text.trim();
  return QVALUE.test(trimmed) ? Number(trimmed) : 0;
}

/** The best supported locale the header asks for, or null when it names none (or only `*`). */
export function parseAcceptLanguage(header: string | undefined): Locale | null {
  if (header === undefined || header.trim() === '') return null;
  const entries = header
    .slice(0, ACCEPT_LANGUAGE_MAX_LENGTH)
    .split(',')
    .slice(0, ACCEPT_LANGUAGE_MAX_ENTRIES)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      // RFC 9110 §12.4.2: the weight's name is case-insensitive ("Q=0.1" is a weight too).
      const qParam = params.map((p) => p.trim()).find((p) => Q_PARAM.test(p));
      const q = qParam === undefined ? 1 : qValue(qParam.replace(Q_PARAM, ''));
      return { tag: tag.trim(), q, index };
    })
    .filter((e) => e.q > 0 && e.tag !== '' && e.tag !== '*')
    // Highest weight first; the header's own order breaks ties.
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const entry of entries) {
    const locale = toSupported(entry.tag);
    if (locale !== null) return locale;
  }
  return null;
}

export function preferredLocale(acceptLanguage: string | undefined, userLocale: Locale): Locale {
  return parseAcceptLanguage(acceptLanguage) ?? userLocale;
}

/** The locale of an authenticated request. */
export function requestLocale(request: FastifyRequest): Locale {
  const header = request.headers['accept-language'];
  return preferredLocale(typeof header === 'string' ? header : undefined, principalOf(request).locale);
}

// Which text of a localized map (locale → text) a reader gets. The one rule for every answer that
// shows an operator's text — plan names and descriptions, promotion titles, a line's plan: the
// caller's locale when it has a non-blank text, else English (operators always give it), else any
// text there is. Each text falls back on its own: a plan's name may be translated before its
// description. Which locale the caller speaks is negotiated once per request (src/http/locale.ts).

import { z } from 'zod';

export type LocalizedText = Readonly<Record<string, string>>;

/** The text in `locale`, else English, else the first text, else ''. */
export function pickLocalized(texts: LocalizedText, locale: string): string {
  const inLocale = texts[locale];
  if (inLocale !== undefined && inLocale.trim() !== '') return inLocale;
  const english = texts.en;
  if (english !== undefined && english.trim() !== '') return english;
  return Object.values(texts).find((t) => t.trim() !== '') ?? '';
}

/** A locale tag as operators key their texts: `en`, `zh-CN`, `pt-BR`. */
const LOCALE_TAG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/**
 * The rule for an operator's localized text (a plan's name or description, a promotion's title):
 * at most `maxLocales` locale tags, each text 1..maxLength characters and not blank, English
 * required when `required`. Every broken entry is its own issue, at `<locale>` (or `en`), so the
 * console shows them all at once.
 */
export function localizedTextRule(rule: { maxLength: number; maxLocales: number; required: boolean }): z.ZodType<Record<string, string>> {
  return z.record(z.string(), z.string()).superRefine((texts, ctx) => {
    if (rule.required && (texts.en ?? '').trim() === '') ctx.addIssue({ code: 'custom', path: ['en'], message: 'is required' });
    const entries = Object.entries(texts);
    if (entries.length > rule.maxLocales) ctx.addIssue({ code: 'custom', path: [], message: `at most ${rule.maxLocales} locales` });
    for (const [locale, text] of entries.slice(0, rule.maxLocales)) {
      if (!LOCALE_TAG.test(locale)) ctx.addIssue({ code: 'custom', path: [locale], message: 'is not a locale tag' });
      else if (text.trim() === '' || text.length > rule.maxLength) ctx.addIssue({ code: 'custom', path: [locale], message: `must be 1..${rule.maxLength} characters` });
    }
  });
}

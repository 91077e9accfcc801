// Which text of a localized map (locale → text) a reader gets. The one rule for every answer that
// shows an operator's text — plan names and descriptions, promotion titles, a line's plan: the
// caller's locale when it has a non-blank text, else English (operators always give it), else any
// text there is. Each text falls back on its own: a plan's name may be translated before its
// description. Which locale the caller speaks is negotiated once per request (src/http/locale.ts).

export type LocalizedText = Readonly<Record<string, string>>;

/** The text in `locale`, else English, else the first text, else ''. */
export function pickLocalized(texts: LocalizedText, locale: string): string {
  const inLocale = texts[locale];
  if (inLocale !== undefined && inLocale.trim() !== '') return inLocale;
  const english = texts.en;
  if (english !== undefined && english.trim() !== '') return english;
  return Object.values(texts).find((t) => t.trim() !== '') ?? '';
}

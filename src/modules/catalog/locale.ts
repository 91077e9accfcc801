// A catalog text in the caller's language: each text falls back to English on its own, since an
// operator may translate a plan's name but not yet its description. Which language the caller
// speaks is negotiated once per request in src/http/locale.ts.
/** The text in `locale`, else English (always present on catalog texts), else ''. */
export function localizedText(text: Readonly<Record<string, string>>, locale: string): string {
  const inLocale = text[locale];
  if (inLocale !== undefined && inLocale.trim() !== '') return inLocale;
  return text.en ?? '';
}

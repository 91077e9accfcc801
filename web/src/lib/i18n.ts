// Languages: the account's locale (/me), then the choice saved in this browser, then the browser's
// languages (any zh* → zh-CN), then English. Only the active locale's namespaces are fetched: one
// JSON per feature and locale (src/i18n/<locale>/<namespace>.json), so pages add their own files.
import i18next, { type BackendModule } from 'i18next';
import { initReactI18next } from 'react-i18next';
import { setApiLanguage } from './api';

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];
const SAVED_LOCALE_KEY = 'simkeep.locale';
/** Each language named in itself, so a reader of the other one can still find theirs. */
export const LANGUAGE_NAMES: Record<Locale, string> = { en: 'English', 'zh-CN': '简体中文' };

const bundles = import.meta.glob<{ default: Record<string, unknown> }>('../i18n/*/*.json');
const NAMESPACE_FILE = /^\.\.\/i18n\/en\/([\w-]+)\.json$/;
/** Every namespace that has an English file; the key-parity test keeps zh-CN in step. */
const NAMESPACES = Object.keys(bundles).flatMap((file) => NAMESPACE_FILE.exec(file)?.[1] ?? []);

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

function savedLocale(): Locale | null {
  try {
    const saved = localStorage.getItem(SAVED_LOCALE_KEY);
    return isLocale(saved) ? saved : null;
  } catch {
    return null; // storage disabled: fall through to the browser's languages
  }
}

export function browserLocale(languages: readonly string[]): Locale {
  for (const language of languages) {
    const lower = language.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

const bundleBackend: BackendModule = {
  type: 'backend',
  init: () => undefined,
  read(language, namespace, callback) {
    const load = bundles[`../i18n/${language}/${namespace}.json`];
    if (!load) {
      callback(new Error(`no ${language}/${namespace}.json`), false);
      return;
    }
    load().then((bundle) => callback(null, bundle.default), (error: Error) => callback(error, false));
  },
};

function followLanguage(language: string): void {
  // Screen readers and the CJK font stack read <html lang>.
  document.documentElement.lang = language;
  setApiLanguage(language);
}

export async function initI18n(): Promise<void> {
  i18next.on('languageChanged', followLanguage);
  await i18next.use(bundleBackend).use(initReactI18next).init({
    lng: savedLocale() ?? browserLocale(navigator.languages),
    supportedLngs: LOCALES,
    fallbackLng: false,
    load: 'currentOnly',
    ns: NAMESPACES,
    defaultNS: 'common',
    interpolation: { escapeValue: false },
    returnNull: false,
  });
}

/** Switches the interface; `remember` keeps it for the next visit in this browser. */
export async function changeLocale(locale: Locale, remember = true): Promise<void> {
  if (remember) {
    try {
      localStorage.setItem(SAVED_LOCALE_KEY, locale);
    } catch {
      // storage disabled: the choice lasts for this page only
    }
  }
  if (i18next.language !== locale) await i18next.changeLanguage(locale);
}

export function currentLocale(): Locale {
  return isLocale(i18next.language) ? i18next.language : 'en';
}

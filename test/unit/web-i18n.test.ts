// The portal's translations: en and zh-CN hold the same keys and the same {{placeholders}} in every
// namespace (plural forms aside: zh-CN has only `_other`), and `errors` has a sentence for every
// problem code the server can answer — found by reading src/ the way the codes are written there.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const I18N = join(ROOT, 'web', 'src', 'i18n');
const LOCALES = ['en', 'zh-CN'];
const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;
/** Not problem codes, though written like one: a zod issue kind, a PostgreSQL SQLSTATE, an error kind. */
const NOT_CODES = new Set(['custom', '40001', 'validation']);

type Tree = { [key: string]: string | Tree };

function leaves(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of leaves(value, path)) out.set(k, v);
  }
  return out;
}

function namespaceFile(locale: string, namespace: string): Map<string, string> {
  return leaves(JSON.parse(readFileSync(join(I18N, locale, `${namespace}.json`), 'utf8')) as Tree);
}

const placeholders = (text: string): string[] => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] ?? '').sort();
/** Plural variants collapse onto one key, as zh-CN writes only `_other`. */
const pluralBase = (key: string): string => key.replace(PLURAL_SUFFIX, '');

function collapsed(entries: Map<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [key, text] of entries) {
    const base = pluralBase(key);
    out.set(base, [...new Set([...(out.get(base) ?? []), ...placeholders(text)])].sort());
  }
  return out;
}

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFilesUnder(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every problem code written in src/: thrown domain errors, problem() answers, failed results, code fields. */
function serverProblemCodes(): string[] {
  const patterns = [
    /DomainError\(\s*'\w+',\s*'(\w+)'/g,
    /\b(?:notFound|conflict|validation)\(\s*'(\w+)'/g,
    /\bproblem\(\s*\d+,\s*'(\w+)'/g,
    /\bfail\(\s*'(\w+)'/g,
    /\bcode: '(\w+)'/g,
  ];
  const codes = new Set<string>();
  for (const file of tsFilesUnder(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of patterns) for (const match of text.matchAll(pattern)) codes.add(match[1] ?? '');
  }
  return [...codes].filter((code) => !NOT_CODES.has(code)).sort();
}

const namespaces = readdirSync(join(I18N, 'en')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));

describe('the portal translations', () => {
  it('have the same namespaces in every locale', () => {
    for (const locale of LOCALES) {
      expect(readdirSync(join(I18N, locale)).sort(), locale).toEqual(namespaces.map((n) => `${n}.json`).sort());
    }
    expect(namespaces).toEqual(expect.arrayContaining(['common', 'errors', 'account', 'lines']));
  });

  it.each(namespaces)('%s: en and zh-CN have the same keys and the same {{placeholders}}', (namespace) => {
    const [en, zh] = LOCALES.map((locale) => collapsed(namespaceFile(locale, namespace)));
    expect([...(zh as Map<string, string[]>).keys()].sort()).toEqual([...(en as Map<string, string[]>).keys()].sort());
    for (const [key, vars] of en as Map<string, string[]>) expect(zh?.get(key), `${namespace}:${key}`).toEqual(vars);
  });

  it('zh-CN writes plurals with `_other` only, en with `_one` and `_other`', () => {
    for (const namespace of namespaces) {
      const zhKeys = [...namespaceFile('zh-CN', namespace).keys()];
      expect(zhKeys.filter((k) => PLURAL_SUFFIX.test(k) && !k.endsWith('_other')), namespace).toEqual([]);
      const enKeys = new Set(namespaceFile('en', namespace).keys());
      for (const key of enKeys) if (key.endsWith('_one')) expect(enKeys.has(key.replace(/_one$/, '_other')), key).toBe(true);
    }
  });

  it('say every problem code the server can answer as a sentence, and a generic one for the rest', () => {
    const errors = namespaceFile('en', 'errors');
    const codes = serverProblemCodes();
    expect(codes.length).toBeGreaterThan(50);
    expect(codes.filter((code) => !errors.has(code))).toEqual([]);
    expect(errors.has('generic')).toBe(true);
    expect(errors.has('network_error')).toBe(true);
  });
});

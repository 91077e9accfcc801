import { describe, expect, it } from 'vitest';
import { parseAcceptLanguage, preferredLocale } from '../../src/http/locale.ts';

describe('negotiating the answer language from Accept-Language (RFC 9110 §12.5.4)', () => {
  it.each([
    // The weight's name is case-insensitive: "Q=0.1" ranks Chinese below English.
    ['zh-CN;Q=0.1, en;q=0.5', 'en'],
    ['zh-CN;q=0.1, en;Q=0.5', 'en'],
    ['en;Q=0.2, zh-CN;Q=0.9', 'zh-CN'],
    ['zh-CN ; q = 0.1 , en ; q = 0.5', 'en'],
    // Highest weight wins; the header's order breaks ties; no weight means 1.
    ['fr;q=1, zh-Hans;q=0.9, en;q=0.5', 'zh-CN'],
    ['en-US,en;q=0.9', 'en'],
    ['zh-CN, en', 'zh-CN'],
    ['en, zh-CN', 'en'],
    ['de, en-GB;q=0.3, zh-SG;q=0.4', 'zh-CN'],
    // q=0 means "not acceptable".
    ['zh-CN;q=0, en;q=0.1', 'en'],
    ['ZH-cn', 'zh-CN'],
  ])('%s → %s', (header, expected) => {
    expect(parseAcceptLanguage(header)).toBe(expected);
  });

  it.each([
    [undefined],
    [''],
    ['   '],
    ['*'],
    ['de, fr;q=0.5'],
    // Traditional Chinese is not Simplified Chinese.
    ['zh-TW, zh-Hant;q=0.8'],
    ['en;q=0, zh-CN;Q=0'],
  ])('names no supported locale in %j', (header) => {
    expect(parseAcceptLanguage(header)).toBeNull();
  });

  it('ignores weights that are not RFC 9110 qvalues (above 1, four decimals, words)', () => {
    expect(parseAcceptLanguage('zh-CN;q=2, en;q=0.5')).toBe('en');
    expect(parseAcceptLanguage('zh-CN;q=0.0001, en;q=0.001')).toBe('en');
    expect(parseAcceptLanguage('zh-CN;q=high, en;q=0.5')).toBe('en');
    expect(parseAcceptLanguage('zh-CN;q=1.000, en;q=0.999')).toBe('zh-CN');
  });

  it('falls back to the user locale when the header names nothing we speak', () => {
    expect(preferredLocale('de', 'zh-CN')).toBe('zh-CN');
    expect(preferredLocale(undefined, 'en')).toBe('en');
    expect(preferredLocale('zh-CN;Q=0.1, en;q=0.5', 'zh-CN')).toBe('en');
  });
});

import { describe, expect, it } from 'vitest';
import { pickLocalized } from '../../src/domain/localized-text.ts';

describe('picking a localized text', () => {
  it('gives the text in the caller\'s locale', () => {
    expect(pickLocalized({ en: 'Sale', 'zh-CN': '促销' }, 'zh-CN')).toBe('促销');
  });

  it('falls back to English when the locale has no text, or only a blank one', () => {
    expect(pickLocalized({ en: 'Sale' }, 'zh-CN')).toBe('Sale');
    expect(pickLocalized({ en: 'Sale', 'zh-CN': '  ' }, 'zh-CN')).toBe('Sale');
  });

  it('falls back to any text when there is no English one, and to nothing when there is none', () => {
    expect(pickLocalized({ 'zh-CN': '促销' }, 'en')).toBe('促销');
    expect(pickLocalized({}, 'en')).toBe('');
  });
});

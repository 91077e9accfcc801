import { describe, expect, it } from 'vitest';
import { PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, clampPageLimit, decodeSerialCursor, idCursorParam, keysetPage, pageLimitParam } from '../../src/db/keyset-page.ts';

describe('keyset paging', () => {
  it('takes ?limit= 1..500, 50 when absent (API.md "Lists")', () => {
    const limit = pageLimitParam();
    expect(limit.parse(undefined)).toBe(PAGE_LIMIT_DEFAULT);
    expect(limit.parse('500')).toBe(PAGE_LIMIT_MAX);
    expect(limit.safeParse('501').success).toBe(false);
    expect(limit.safeParse('0').success).toBe(false);
  });

  it('bounds a use case\'s limit even when no route checked it', () => {
    expect(clampPageLimit(undefined)).toBe(PAGE_LIMIT_DEFAULT);
    expect(clampPageLimit(10_000)).toBe(PAGE_LIMIT_MAX);
    expect(clampPageLimit(0)).toBe(1);
  });

  it('answers the page and the last row\'s key as nextCursor only when a row lies beyond it', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    expect(keysetPage(rows, 2, (r) => r.id)).toEqual({ items: [{ id: 'a' }, { id: 'b' }], nextCursor: 'b' });
    expect(keysetPage(rows, 3, (r) => r.id)).toEqual({ items: rows, nextCursor: null });
    expect(keysetPage([{ n: 7 }, { n: 5 }], 1, (r) => r.n).nextCursor).toBe('7');
  });

  it('accepts as cursor only the keys it hands out', () => {
    const cursor = idCursorParam('plan', 'promo');
    expect(cursor.safeParse('plan_abc').success).toBe(true);
    expect(cursor.safeParse('promo_abc').success).toBe(true);
    expect(cursor.safeParse('line_abc').success).toBe(false);
    expect(cursor.safeParse("plan_a' OR 1=1").success).toBe(false);
    expect(decodeSerialCursor('42')).toBe(42);
    expect(decodeSerialCursor(undefined)).toBeNull();
  });
});

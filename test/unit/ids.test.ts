import { describe, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.ts';

describe('newId', () => {
  it('keeps its shape: prefix, 9 base36 time digits, 16 hex digits', () => {
    expect(newId('ntf')).toMatch(/^ntf_[0-9a-z]{9}[0-9a-f]{16}$/);
  });

  it('sorts in creation order, also for ids made in the same millisecond', () => {
    const ids = Array.from({ length: 5_000 }, () => newId('ntf'));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });
});

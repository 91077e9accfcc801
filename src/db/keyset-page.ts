// Keyset paging, the one way lists page (API.md "Lists"): `?limit=` (default 50, at most 500) and
// `?cursor=`, answered as `{items, nextCursor}`. A cursor is the key of the previous page's last
// row (an id, or the audit log's serial), so a page costs an index range scan however deep it is
// and rows inserted meanwhile neither repeat nor vanish. A query fetches `limit + 1` rows: the
// extra row only says whether there is a next page.
import { z } from 'zod';

export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 500;
/** A cursor's longest accepted form: a prefixed id of at most 64 characters after the prefix. */
const CURSOR_MAX_LENGTH = 100;
const CURSOR_MESSAGE = 'must be a nextCursor from a previous page';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `?limit=`: a whole number 1..max, PAGE_LIMIT_DEFAULT when absent. */
export function pageLimitParam(max: number = PAGE_LIMIT_MAX): z.ZodDefault<z.ZodCoercedNumber> {
  return z.coerce.number().int().min(1).max(max).default(PAGE_LIMIT_DEFAULT);
}

/** `?cursor=` over prefixed ids (`line_…`, `plan_…`): the last id of the previous page, as it was sent. */
export function idCursorParam(...prefixes: readonly string[]): z.ZodString {
  return z.string().max(CURSOR_MAX_LENGTH).regex(new RegExp(`^(${prefixes.join('|')})_[A-Za-z0-9_]{1,64}$`), CURSOR_MESSAGE);
}

/** `?cursor=` over a serial key (the audit log): decimal digits. */
export const serialCursorParam = z.string().regex(/^\d{1,15}$/, CURSOR_MESSAGE);

/** A serial cursor as the key it encodes (15 digits stay exact in a double). */
export function decodeSerialCursor(cursor: string | undefined): number | null {
  return cursor === undefined ? null : Number(cursor);
}

/** The limit a use case applies: the caller's, bounded to 1..max (a use case may be called without the route's check). */
export function clampPageLimit(limit: number | undefined, max: number = PAGE_LIMIT_MAX): number {
  return Math.min(Math.max(Math.trunc(limit ?? PAGE_LIMIT_DEFAULT), 1), max);
}

/** The page of rows fetched with `limit + 1`, and the cursor of the next page (null on the last). */
export function keysetPage<T>(rows: readonly T[], limit: number, cursorOf: (row: T) => string | number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? String(cursorOf(last)) : null };
}

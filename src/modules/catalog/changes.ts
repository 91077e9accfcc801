// An operator's PATCH: merged onto the stored value, and what it changed, field by field, for the audit log: the names of the changed
// fields and their values before and after. Values are compared by their canonical JSON (object
// keys sorted), since the database hands jsonb maps back in its own key order.

/** Fields present in `patch` (undefined = unchanged) replace the stored ones; the caller validates the result whole. */
export function mergePatch<T extends object>(base: T, patch: Partial<T>): T {
  const defined = Object.entries(patch).filter(([, v]) => v !== undefined);
  return { ...base, ...Object.fromEntries(defined) } as T;
}

export interface FieldChanges {
  changed: string[];
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

/** JSON with object keys sorted at every level: equal values give equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries);
  });
}

/** The fields of `after` whose value differs from `before` (undefined counts as null), in `after`'s order. */
export function fieldChanges<T extends Record<string, unknown>>(before: T, after: T): FieldChanges {
  const changes: FieldChanges = { changed: [], before: {}, after: {} };
  for (const key of Object.keys(after)) {
    const was = before[key] ?? null;
    const now = after[key] ?? null;
    if (canonicalJson(was) === canonicalJson(now)) continue;
    changes.changed.push(key);
    changes.before[key] = was;
    changes.after[key] = now;
  }
  return changes;
}

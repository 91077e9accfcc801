// Idempotency keys (API.md conventions): the first response to a key is stored for at least 24 h and
// replayed for the same key; the same key with another request → 409 idempotency_key_reused; a
// request arriving while the first is still being processed → 409 idempotency_key_in_use; a key
// whose process died does not stay in use: its owner's database session is gone (or its lease ran
// out), so the retry is processed afresh. Owns the idempotency_keys table.
// A use case that answers from one transaction (a wallet order) may instead store its answer in
// that transaction (runIdempotentInTransaction): no claim before, no update after, and the answer
// commits with what it describes — any key already known falls back to the claim protocol.
import { createHash } from 'node:crypto';
import { pgErrorCode, PG_UNIQUE_VIOLATION, type Db, type Queryable } from '../../db/types.ts';
import { DomainError, HTTP_STATUS_OF_KIND } from '../../domain/errors.ts';
import type { Clock } from '../clock/service.ts';

export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;
/** idempotency_keys.status: the first request is running (its lease in locked_until), or its answer is stored. */
export const IDEMPOTENCY_STATUSES = ['in_progress', 'done'] as const;
export type IdempotencyStatus = (typeof IDEMPOTENCY_STATUSES)[number];
/** API.md: a stored response is replayed for at least 24 h; kept twice that before pruning. */
export const IDEMPOTENCY_RETENTION_HOURS = 48;
/** A key deleted under us by a failing first attempt is claimed again at most this often. */
const CLAIM_ATTEMPTS_MAX = 3;
/** Longer than any request can take (provider calls time out at 15 s). */
const LEASE_SECONDS = 300;

export interface StoredResponse {
  status: number;
  body: unknown;
}

export function requestFingerprint(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Responses that must not be replayed: the client is meant to retry them. */
const TRANSIENT_STATUSES = new Set([409, 423, 429, 503]);

interface KeyInput {
  scope: string;
  key: string;
  fingerprint: string;
}

function assertKeyLength(key: string): void {
  if (key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    throw new DomainError('bad_request', 'invalid_idempotency_key', `Idempotency-Key must be 1..${IDEMPOTENCY_KEY_MAX_LENGTH} characters`);
  }
}

/** An expected refusal is the answer to its request (kept for replays); a transient one or a crash is not. */
function refusalToStore(error: unknown): (StoredResponse & { error: StoredError }) | null {
  if (!(error instanceof DomainError)) return null;
  const status = HTTP_STATUS_OF_KIND[error.kind];
  if (TRANSIENT_STATUSES.has(status)) return null;
  return { status, body: null, error: { kind: error.kind, code: error.code, message: error.message, extra: error.extra } };
}

interface StoredError {
  kind: DomainError['kind'];
  code: string;
  message: string;
  extra: DomainError['extra'];
}

export async function runIdempotent(
  db: Db,
  input: KeyInput,
  handler: () => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  assertKeyLength(input.key);
  const claimed = await claim(db, input);
  if (!claimed.ok) return { ...claimed.replay, replayed: true };

  let response: StoredResponse;
  try {
    response = await handler();
  } catch (error) {
    const refusal = refusalToStore(error);
    if (refusal) {
      // An expected refusal (402, 404, 422…) is the answer to this request: keep it for replays.
      await finish(db, input, refusal);
    } else {
      await db.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2', [input.scope, input.key]);
    }
    throw error;
  }
  await finish(db, input, response);
  return { ...response, replayed: false };
}

/**
 * Stores the answer of a request in the transaction that produced it (`tx`). Throws (rolling that
 * transaction back) when the key is known already: the caller of runIdempotentInTransaction then
 * takes the claim protocol, which replays, refuses or takes the key over.
 */
export type AnswerInTransaction = (tx: Queryable, response: StoredResponse) => Promise<void>;

/** The key turned out to be known when the answer was stored: the transaction is rolled back. */
class KeyAlreadyKnown extends Error {
  override name = 'KeyAlreadyKnown';
}

/** The first answer to a key, stored done at once; false when the key has a record already (left as it is). */
async function storeFirstAnswer(q: Queryable, input: KeyInput, response: StoredResponse & { error?: StoredError }): Promise<boolean> {
  const { rowCount } = await q.query(
    `INSERT INTO idempotency_keys (scope, key, request_hash, status, response_code, response_body)
     VALUES ($1, $2, $3, 'done', $4, $5) ON CONFLICT (scope, key) DO NOTHING`,
    [input.scope, input.key, input.fingerprint, response.status, JSON.stringify(response.error ? { error: response.error } : { body: response.body })],
  );
  return rowCount === 1;
}

/**
 * The first answer to a key, in the transaction that produced it. A key known already fails the
 * statement itself (not DO NOTHING): the transaction is then aborted by the server, so statements the
 * caller sent behind this one without waiting — its COMMIT included — change nothing.
 */
async function storeFirstAnswerInTransaction(tx: Queryable, input: KeyInput, response: StoredResponse): Promise<void> {
  try {
    await tx.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, status, response_code, response_body)
       VALUES ($1, $2, $3, 'done', $4, $5)`,
      [input.scope, input.key, input.fingerprint, response.status, JSON.stringify({ body: response.body })],
    );
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw new KeyAlreadyKnown();
    throw error;
  }
}

/**
 * The idempotency of a use case that answers from ONE transaction of its own, paid or refused in it
 * (a wallet or voucher order): it stores its answer in that transaction with `answer` — one
 * statement instead of the claim before and the update after, and the answer can never be lost
 * between the commit and the response. Optimistic: the key is taken to be new. When it is not (a
 * retry, a concurrent twin, a key used with another body), storing the answer fails, the work rolls
 * back, and the request goes through runIdempotent with `answer` null — which replays, refuses
 * (409) or processes it as usual. So `handler` must be idempotent by its own key as well (placeOrder
 * is: one order per user and key), and must call `answer` in its transaction or answer with no
 * transaction at all (then the answer is stored after it, the same way).
 */
export async function runIdempotentInTransaction(
  db: Db,
  input: KeyInput,
  handler: (answer: AnswerInTransaction | null) => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  assertKeyLength(input.key);
  let stored = false;
  const answer: AnswerInTransaction = async (tx, response) => {
    await storeFirstAnswerInTransaction(tx, input, response);
    stored = true;
  };
  const byClaim = (): Promise<StoredResponse & { replayed: boolean }> => runIdempotent(db, input, () => handler(null));
  let response: StoredResponse;
  try {
    response = await handler(answer);
  } catch (error) {
    if (error instanceof KeyAlreadyKnown) return byClaim();
    const refusal = refusalToStore(error);
    if (refusal && !(await storeFirstAnswer(db, input, refusal))) return byClaim();
    throw error;
  }
  if (!stored && !(await storeFirstAnswer(db, input, response))) return byClaim();
  return { ...response, replayed: false };
}

async function finish(db: Db, input: { scope: string; key: string }, response: StoredResponse & { error?: StoredError }): Promise<void> {
  await db.query(
    `UPDATE idempotency_keys SET status = 'done', response_code = $3, response_body = $4, locked_until = NULL
      WHERE scope = $1 AND key = $2`,
    [input.scope, input.key, response.status, JSON.stringify(response.error ? { error: response.error } : { body: response.body })],
  );
}

type Claim = { ok: true } | { ok: false; replay: StoredResponse };

async function claim(db: Db, input: KeyInput, attempt = 1): Promise<Claim> {
  const inserted = await db.query(
    `INSERT INTO idempotency_keys (scope, key, request_hash, status, owner_session, locked_until)
     VALUES ($1, $2, $3, 'in_progress', $4, now() + make_interval(secs => $5))
     ON CONFLICT (scope, key) DO NOTHING`,
    [input.scope, input.key, input.fingerprint, db.sessionTag, LEASE_SECONDS],
  );
  if (inserted.rowCount === 1) return { ok: true };

  const { rows } = await db.query<{
    request_hash: string; status: IdempotencyStatus; owner_session: string | null; lease_expired: boolean; response_code: number | null;
    response_body: { body?: unknown; error?: StoredError } | null;
  }>(
    `SELECT request_hash, status, owner_session, locked_until < now() AS lease_expired, response_code, response_body
       FROM idempotency_keys WHERE scope = $1 AND key = $2`,
    [input.scope, input.key],
  );
  const row = rows[0];
  if (!row) {
    // Deleted by a failed first attempt just now: try again, a bounded number of times.
    if (attempt < CLAIM_ATTEMPTS_MAX) return claim(db, input, attempt + 1);
    throw new DomainError('conflict', 'idempotency_key_in_use', 'a request with this Idempotency-Key is still being processed; retry shortly');
  }
  if (row.request_hash !== input.fingerprint) {
    throw new DomainError('conflict', 'idempotency_key_reused', 'this Idempotency-Key was used with a different request');
  }
  if (row.status === 'done') {
    const stored = row.response_body;
    if (stored?.error) throw new DomainError(stored.error.kind, stored.error.code, stored.error.message, stored.error.extra);
    return { ok: false, replay: { status: row.response_code ?? 200, body: stored?.body ?? null } };
  }
  const ownerAlive = row.owner_session !== null && !row.lease_expired && (await db.isSessionAlive(row.owner_session));
  if (ownerAlive) throw new DomainError('conflict', 'idempotency_key_in_use', 'a request with this Idempotency-Key is still being processed; retry shortly');
  // The first attempt's process died: take the key over, unless another retry just did.
  const taken = await db.query(
    `UPDATE idempotency_keys SET owner_session = $3, locked_until = now() + make_interval(secs => $4)
      WHERE scope = $1 AND key = $2 AND status = 'in_progress' AND owner_session IS NOT DISTINCT FROM $5`,
    [input.scope, input.key, db.sessionTag, LEASE_SECONDS, row.owner_session],
  );
  if (taken.rowCount === 1) return { ok: true };
  throw new DomainError('conflict', 'idempotency_key_in_use', 'a request with this Idempotency-Key is still being processed; retry shortly');
}

/**
 * Deletes keys older than the retention period (a periodic worker task): finished ones, and ones
 * whose request never finished and whose lease ran out long ago (their process died).
 */
export async function pruneIdempotencyKeys(db: Db, _clock: Clock): Promise<number> {
  // Retention is measured in wall time: the sandbox clock must not make replays vanish early.
  const { rowCount } = await db.query(
    `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)
        AND (status = 'done' OR locked_until IS NULL OR locked_until < now())`,
    [IDEMPOTENCY_RETENTION_HOURS],
  );
  return rowCount;
}

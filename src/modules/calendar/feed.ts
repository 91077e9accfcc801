// The private feed secret: created on first need (GET /me shows the URL), replaced by rotation.
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../../db/types.ts';
import { notFound } from '../../domain/errors.ts';
import { SecretDecryptionError, decryptSecret, encryptSecret, keyedHash } from '../secrets/service.ts';

const FEED_HASH_PURPOSE = 'simkeep/calendar-feed/v1';
const SECRET_BYTES = 32;
/** base64url of SECRET_BYTES: anything else cannot be a secret, and is answered like an unknown one. */
const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** Associated data: a ciphertext copied to another user's row does not decrypt. */
const feedContext = (userId: string): string => `calendar-feed:${userId}`;

interface NewSecret {
  secret: string;
  hash: string;
  enc: string;
}

function newSecret(key: Buffer, userId: string): NewSecret {
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { secret, hash: keyedHash(key, FEED_HASH_PURPOSE, secret), enc: encryptSecret(key, secret, feedContext(userId)) };
}

const feedUrl = (publicUrl: string, secret: string): string => `${publicUrl.replace(/\/+$/, '')}/api/v1/calendar/feed/${secret}.ics`;

/** The user's feed URL, creating the secret the first time (two first calls at once agree: ON CONFLICT). */
export async function calendarFeedUrl(db: Queryable, key: Buffer, input: { userId: string; now: Date; publicUrl: string }): Promise<string> {
  const fresh = newSecret(key, input.userId);
  await db.query(
    `INSERT INTO calendar_feeds (user_id, secret_hash, secret_enc, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO NOTHING`,
    [input.userId, fresh.hash, fresh.enc, input.now],
  );
  const { rows } = await db.query<{ secret_enc: string }>('SELECT secret_enc FROM calendar_feeds WHERE user_id = $1', [input.userId]);
  const stored = rows[0];
  if (!stored) throw new Error('calendar feed row vanished after its upsert');
  try {
    return feedUrl(input.publicUrl, decryptSecret(key, stored.secret_enc, feedContext(input.userId)));
  } catch (error) {
    // Stored under another SIMKEEP_SECRET_KEY: its hash no longer matches any request either, so the old URL is dead already.
    if (error instanceof SecretDecryptionError) return rotateCalendarFeed(db, key, input);
    throw error;
  }
}

/** A new secret for the user; the old URL stops working in the same statement. */
export async function rotateCalendarFeed(db: Queryable, key: Buffer, input: { userId: string; now: Date; publicUrl: string }): Promise<string> {
  const fresh = newSecret(key, input.userId);
  await db.query(
    `INSERT INTO calendar_feeds (user_id, secret_hash, secret_enc, created_at, rotated_at) VALUES ($1, $2, $3, $4, $4)
     ON CONFLICT (user_id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, secret_enc = EXCLUDED.secret_enc, rotated_at = EXCLUDED.rotated_at`,
    [input.userId, fresh.hash, fresh.enc, input.now],
  );
  return feedUrl(input.publicUrl, fresh.secret);
}

/** The user a feed secret belongs to; 404 calendar_feed_not_found for a revoked, unknown or malformed one. */
export async function feedOwner(db: Queryable, key: Buffer, secret: string): Promise<string> {
  if (SECRET_SHAPE.test(secret)) {
    const { rows } = await db.query<{ user_id: string }>(
      'SELECT user_id FROM calendar_feeds WHERE secret_hash = $1', [keyedHash(key, FEED_HASH_PURPOSE, secret)],
    );
    if (rows[0]) return rows[0].user_id;
  }
  throw notFound('calendar_feed_not_found', 'no calendar feed has this address (it may have been rotated)');
}

// Saved payment methods (API.md "Saved payment methods"): a subscriber saves a card on the
// provider's own page (the sandbox's page in development); simkeep keeps only the provider's token
// and what the provider tells about the card (brand, last 4 digits, expiry) — never a card number.
// Owns `saved_payment_methods`, `payment_method_setups` and `payment_customers`. Invariants: one default per user
// (partial UNIQUE index); a setup completes once (guarded UPDATE); a user sees only their own.
import type { z } from 'zod';
import { randomBytes } from 'node:crypto';
import {
  ProviderRejectedError, ProviderUnavailableError, hasSavedMethodSetup,
  type MethodSavedEvent, type PaymentProvider, type SavedMethodSetup, type SavedMethodSetupProvider,
} from '../../adapters/payments/types.ts';
import type { Db, Queryable } from '../../db/types.ts';
import { DomainError, conflict, notFound, validation } from '../../domain/errors.ts';
import type { PaymentProviders } from './registry.ts';
import type { SandboxSavedMethodBehaviour } from './sandbox-provider.ts';
import type { savedMethodSchema } from './schemas.ts';

export const SAVED_METHODS_PER_USER_MAX = 20;
/** Providers that can hold a card for off-session charges (saved_payment_methods.provider CHECK). */
export const SAVED_METHOD_PROVIDERS = ['sandbox', 'stripe'] as const;
export const SETUP_STATUSES = ['open', 'completed', 'cancelled'] as const;

export interface SavedMethodRow {
  id: string;
  user_id: string;
  provider: (typeof SAVED_METHOD_PROVIDERS)[number];
  provider_ref: string;
  brand: string | null;
  last4: string | null;
  expires_at: Date | null;
  is_default: boolean;
  created_at: Date;
}

export type SavedMethodView = z.infer<typeof savedMethodSchema>;

function view(r: SavedMethodRow): SavedMethodView {
  return {
    id: r.id, provider: r.provider,
    ...(r.brand === null ? {} : { brand: r.brand }),
    ...(r.last4 === null ? {} : { last4: r.last4 }),
    ...(r.expires_at === null ? {} : { expiresAt: new Date(r.expires_at).toISOString() }),
    isDefault: r.is_default, createdAt: new Date(r.created_at).toISOString(),
  };
}

const newSavedId = (prefix: 'pm' | 'pms'): string => `${prefix}_${Date.now().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;

export async function listSavedMethods(q: Queryable, userId: string): Promise<{ items: SavedMethodView[] }> {
  const { rows } = await q.query<SavedMethodRow>(
    'SELECT * FROM saved_payment_methods WHERE user_id = $1 ORDER BY created_at, id LIMIT $2', [userId, SAVED_METHODS_PER_USER_MAX],
  );
  return { items: rows.map(view) };
}

/** The user's default method (what auto-renewal charges), or null. */
export async function defaultSavedMethod(q: Queryable, userId: string): Promise<SavedMethodRow | null> {
  const { rows } = await q.query<SavedMethodRow>('SELECT * FROM saved_payment_methods WHERE user_id = $1 AND is_default', [userId]);
  return rows[0] ?? null;
}

export interface SetupDeps {
  db: Db;
  providers: PaymentProviders;
  publicUrl: () => string;
  now: Date;
}

/**
 * Opens a "save a card" session on the provider that takes cards and answers where the subscriber
 * saves it: the sandbox's own page, or Stripe Checkout in setup mode for the user's Stripe Customer
 * (created on first use and kept in `payment_customers`). The setup row is written before the
 * provider is asked, so the provider's event always finds it; a provider that cannot be reached
 * closes it again (503 provider_unavailable, nothing saved).
 */
export async function startSavedMethodSetup(deps: SetupDeps, userId: string): Promise<{ action: { type: 'redirect'; url: string } }> {
  const provider = deps.providers.forMethod('card');
  if (provider.name !== 'sandbox' && !hasSavedMethodSetup(provider)) {
    throw validation('payment_method_unavailable', `saving a card with ${provider.name} is not available`);
  }
  const count = await deps.db.query('SELECT 1 FROM saved_payment_methods WHERE user_id = $1', [userId]);
  if (count.rowCount >= SAVED_METHODS_PER_USER_MAX) throw conflict('too_many_payment_methods', `at most ${SAVED_METHODS_PER_USER_MAX} saved payment methods`);
  const id = newSavedId('pms');
  await deps.db.query(
    "INSERT INTO payment_method_setups (id, user_id, provider, status, created_at) VALUES ($1, $2, $3, 'open', $4)", [id, userId, provider.name, deps.now],
  );
  if (!hasSavedMethodSetup(provider)) return { action: { type: 'redirect', url: `${deps.publicUrl()}/sandbox/save-card/${encodeURIComponent(id)}` } };
  const url = await openProviderSetup(deps, provider, userId, id);
  return { action: { type: 'redirect', url } };
}

async function openProviderSetup(deps: SetupDeps, provider: PaymentProvider & SavedMethodSetupProvider, userId: string, setupId: string): Promise<string> {
  const known = await deps.db.query<{ customer_ref: string }>(
    'SELECT customer_ref FROM payment_customers WHERE user_id = $1 AND provider = $2', [userId, provider.name],
  );
  const portal = `${deps.publicUrl()}/payment-methods`;
  let opened: SavedMethodSetup;
  try {
    opened = await provider.openSavedMethodSetup({
      setupId, userId, customerRef: known.rows[0]?.customer_ref ?? null, successUrl: `${portal}?saved=1`, cancelUrl: portal,
    });
  } catch (error) {
    await deps.db.query("UPDATE payment_method_setups SET status = 'cancelled' WHERE id = $1 AND status = 'open'", [setupId]);
    if (error instanceof ProviderUnavailableError) throw new DomainError('unavailable', 'provider_unavailable', 'the payment provider cannot be reached; nothing was saved, retry');
    if (error instanceof ProviderRejectedError) throw validation('payment_method_unavailable', `${provider.name} refused to open a card setup: ${error.message.slice(0, 200)}`);
    throw error;
  }
  // Two first setups racing may each create a Customer; the first kept wins, the other's card still
  // names its own Customer in its ref, so it stays chargeable.
  await deps.db.query(
    'INSERT INTO payment_customers (user_id, provider, customer_ref, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, provider) DO NOTHING',
    [userId, provider.name, opened.customerRef, deps.now],
  );
  await deps.db.query('UPDATE payment_method_setups SET provider_ref = $2 WHERE id = $1', [setupId, opened.providerRef]);
  return opened.url;
}

/**
 * A provider's verified event says the customer saved a method for setup `event.setupId`: the
 * method is kept (the first one a user saves becomes the default) and the setup completes, once —
 * a second event for the same setup (Stripe sends checkout.session.completed AND
 * setup_intent.succeeded) finds it completed and changes nothing. Runs in the webhook's transaction.
 */
export async function saveMethodFromEvent(tx: Queryable, providerName: string, event: MethodSavedEvent, now: Date): Promise<string> {
  const { rows } = await tx.query<SetupRow & { provider: string }>(
    'SELECT id, user_id, provider, status, saved_method_id FROM payment_method_setups WHERE id = $1 FOR UPDATE', [event.setupId],
  );
  const setup = rows[0];
  if (!setup || setup.provider !== providerName) return 'unknown_setup';
  if (setup.status === 'completed') return 'setup_already_completed';
  const id = newSavedId('pm');
  const hasDefault = await defaultSavedMethod(tx, setup.user_id);
  const expiresAt = event.expiry === null ? null : new Date(Date.UTC(event.expiry.year, event.expiry.month, 1) - 1000);
  const inserted = await tx.query(
    `INSERT INTO saved_payment_methods (id, user_id, provider, provider_ref, brand, last4, expires_at, is_default, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (provider, provider_ref) DO NOTHING`,
    [id, setup.user_id, providerName, event.methodRef, event.brand?.slice(0, 40) ?? null, validLast4(event.last4), expiresAt, hasDefault === null, now],
  );
  // The same card saved again through another setup: the method kept before stays as it is.
  const savedId = inserted.rowCount === 1 ? id : null;
  await tx.query("UPDATE payment_method_setups SET status = 'completed', saved_method_id = $2 WHERE id = $1", [setup.id, savedId]);
  return savedId === null ? 'method_already_saved' : 'method_saved';
}

const validLast4 = (last4: string | null): string | null => (last4 !== null && /^[0-9]{4}$/.test(last4) ? last4 : null);

export interface SandboxCardInput {
  behaviour: SandboxSavedMethodBehaviour;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

export interface SetupRow {
  id: string;
  user_id: string;
  status: (typeof SETUP_STATUSES)[number];
  saved_method_id: string | null;
}

export async function getSetup(q: Queryable, setupId: string): Promise<SetupRow> {
  const { rows } = await q.query<SetupRow>('SELECT id, user_id, status, saved_method_id FROM payment_method_setups WHERE id = $1', [setupId]);
  const row = rows[0];
  if (!row) throw notFound('not_found', 'no such setup');
  return row;
}

/**
 * The sandbox's save page finished: it issued a token for the card (scripted behaviour, like a
 * test card) and tells brand, last 4 and expiry. Completes the setup once (guarded UPDATE); the
 * first saved method becomes the default. A repeat answers the method already saved.
 */
export async function completeSandboxSetup(
  db: Db, issueToken: (b: SandboxSavedMethodBehaviour) => string, setupId: string, card: SandboxCardInput, now: Date,
): Promise<{ token: string; brand: string; last4: string; expiresAt: string }> {
  const expiresAt = new Date(Date.UTC(card.expYear, card.expMonth, 1) - 1000);
  return db.transaction(async (tx) => {
    const setup = await getSetup(tx, setupId);
    if (setup.status !== 'open') {
      const saved = await tx.query<SavedMethodRow>('SELECT * FROM saved_payment_methods WHERE id = $1', [setup.saved_method_id]);
      const row = saved.rows[0];
      if (!row) throw conflict('setup_closed', 'this setup is closed');
      return { token: row.provider_ref, brand: row.brand ?? '', last4: row.last4 ?? '', expiresAt: expiresAt.toISOString() };
    }
    const token = issueToken(card.behaviour);
    const id = newSavedId('pm');
    const hasDefault = await defaultSavedMethod(tx, setup.user_id);
    await tx.query(
      `INSERT INTO saved_payment_methods (id, user_id, provider, provider_ref, brand, last4, expires_at, is_default, created_at)
       VALUES ($1, $2, 'sandbox', $3, $4, $5, $6, $7, $8)`,
      [id, setup.user_id, token, card.brand, card.last4, expiresAt, hasDefault === null, now],
    );
    const done = await tx.query(
      "UPDATE payment_method_setups SET status = 'completed', provider_ref = $2, saved_method_id = $3 WHERE id = $1 AND status = 'open'", [setupId, token, id],
    );
    if (done.rowCount !== 1) throw conflict('setup_closed', 'this setup was completed concurrently');
    return { token, brand: card.brand, last4: card.last4, expiresAt: expiresAt.toISOString() };
  });
}

async function ownedMethod(q: Queryable, userId: string, id: string, lock = false): Promise<SavedMethodRow> {
  const { rows } = await q.query<SavedMethodRow>(
    `SELECT * FROM saved_payment_methods WHERE id = $1 AND user_id = $2${lock ? ' FOR UPDATE' : ''}`, [id, userId],
  );
  const row = rows[0];
  if (!row) throw notFound('payment_method_not_found', 'no such payment method');
  return row;
}

/** Makes one method the default: the old default is cleared first in the same transaction (the index allows one). */
export async function makeDefaultSavedMethod(db: Db, userId: string, id: string): Promise<SavedMethodView> {
  return db.transaction(async (tx) => {
    await ownedMethod(tx, userId, id, true);
    await tx.query('UPDATE saved_payment_methods SET is_default = false WHERE user_id = $1 AND is_default AND id <> $2', [userId, id]);
    await tx.query('UPDATE saved_payment_methods SET is_default = true WHERE id = $1', [id]);
    return view(await ownedMethod(tx, userId, id));
  });
}

/** Forgets a method (the provider token is dropped); if it was the default, no method is default any more. */
export async function deleteSavedMethod(db: Db, userId: string, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    await ownedMethod(tx, userId, id, true);
    await tx.query('DELETE FROM saved_payment_methods WHERE id = $1', [id]);
  });
}

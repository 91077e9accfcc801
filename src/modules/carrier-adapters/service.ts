// Carrier adapters: which adapter provisions each carrier's lines (simulated unless an operator
// chose the HTTP/JSON carrier), its endpoint, timeout and signing secret, and the callbacks of
// asynchronous carriers. Owns `carrier_adapters` and `carrier_callbacks`; the carrier profile stays
// with the lines module. Invariants: the secret is stored only encrypted (bound to the carrier code)
// and never leaves this module except to sign; an HTTP/JSON carrier always has a base URL and a
// secret (a CHECK too); a callback's signature is verified before anything is read from it, and
// each (carrier, callback id) takes effect once — its row is inserted in the transaction that applies it.
import { isProviderEndpoint } from '../../config.ts';
import { CARRIER_TIMEOUT_MS_DEFAULT, CarrierSignatureError, verifyCarrierSignature } from '../../adapters/carriers/http-json.ts';
import type { Db, Queryable } from '../../db/types.ts';
import { DomainError, validation } from '../../domain/errors.ts';
import { recordAudit, type Actor } from '../audit/service.ts';
import type { Clock } from '../clock/service.ts';
import { CARRIERS_LIST_MAX, getCarrier } from '../lines/service.ts';
import { compensateFailedProvisioning, completeProvisioning, isAwaitingCarrier, type RefundDeps } from '../orders/service.ts';
import { decryptSecret, encryptSecret } from '../secrets/service.ts';
import {
  carrierCallbackSchema, type AdapterSettingsView, type CallbackOutcome, type CarrierAdapterKind, type CarrierAdapterPatch, type CarrierCallback,
} from './schemas.ts';

/** Callback bodies are small JSON objects. */
export const CALLBACK_BODY_LIMIT_BYTES = 16 * 1024;

interface AdapterRow {
  carrier_code: string;
  adapter: CarrierAdapterKind;
  base_url: string | null;
  secret_enc: string | null;
  timeout_ms: number;
}

const DEFAULT_SETTINGS: AdapterSettingsView = { adapter: 'simulated', baseUrl: null, timeoutMs: CARRIER_TIMEOUT_MS_DEFAULT, secretSet: false };

/** The associated data binding a stored secret to its carrier: a copied ciphertext does not decrypt. */
const secretAad = (code: string): string => `carrier_adapters:${code}`;

const toView = (r: AdapterRow | undefined): AdapterSettingsView =>
  r ? { adapter: r.adapter, baseUrl: r.base_url, timeoutMs: r.timeout_ms, secretSet: r.secret_enc !== null } : DEFAULT_SETTINGS;

async function adapterRow(q: Queryable, code: string, options: { lock?: boolean } = {}): Promise<AdapterRow | undefined> {
  const { rows } = await q.query<AdapterRow>(`SELECT * FROM carrier_adapters WHERE carrier_code = $1${options.lock ? ' FOR UPDATE' : ''}`, [code]);
  return rows[0];
}

/** Every carrier's adapter settings (no secret), by carrier code; a carrier absent is simulated. */
export async function adapterSettingsByCarrier(q: Queryable): Promise<(code: string) => AdapterSettingsView> {
  // One row per carrier at most, as bounded as the carrier list it decorates.
  const { rows } = await q.query<AdapterRow>('SELECT * FROM carrier_adapters ORDER BY carrier_code LIMIT $1', [CARRIERS_LIST_MAX]);
  const byCode = new Map(rows.map((r) => [r.carrier_code, r]));
  return (code) => toView(byCode.get(code));
}

/** What the carrier router needs to talk to an HTTP/JSON carrier, or null when the carrier is simulated. */
export async function httpCarrierSettings(q: Queryable, secretKey: Buffer, code: string): Promise<{ baseUrl: string; secret: string; timeoutMs: number } | null> {
  const row = await adapterRow(q, code);
  if (row?.adapter !== 'http_json' || row.base_url === null || row.secret_enc === null) return null;
  return { baseUrl: row.base_url, secret: decryptSecret(secretKey, row.secret_enc, secretAad(code)), timeoutMs: row.timeout_ms };
}

export interface ConfigureDeps {
  db: Db;
  clock: Clock;
  secretKey: Buffer;
}

/** The settings after `patch`, checked as a whole (an HTTP/JSON carrier needs a URL and a secret). */
function mergeSettings(code: string, current: AdapterRow | undefined, patch: CarrierAdapterPatch, secretEnc: string | null): AdapterRow {
  const merged: AdapterRow = {
    carrier_code: code,
    adapter: patch.adapter ?? current?.adapter ?? 'simulated',
    base_url: patch.baseUrl === undefined ? (current?.base_url ?? null) : patch.baseUrl,
    secret_enc: secretEnc ?? current?.secret_enc ?? null,
    timeout_ms: patch.timeoutMs ?? current?.timeout_ms ?? CARRIER_TIMEOUT_MS_DEFAULT,
  };
  if (merged.base_url !== null && !isProviderEndpoint(merged.base_url)) {
    throw validation('carrier_url_not_allowed', 'baseUrl must be an https:// URL (plain http:// only for a loopback host), without credentials, query or fragment', [
      { path: 'baseUrl', message: 'must be https:// (http:// only for a loopback host), without credentials, query or fragment' },
    ]);
  }
  if (merged.adapter === 'http_json' && (merged.base_url === null || merged.secret_enc === null)) {
    throw validation('carrier_adapter_incomplete', 'the http_json adapter needs a baseUrl and a secret', [
      ...(merged.base_url === null ? [{ path: 'baseUrl', message: 'required for http_json' }] : []),
      ...(merged.secret_enc === null ? [{ path: 'secret', message: 'required for http_json' }] : []),
    ]);
  }
  return merged;
}

/** An operator chooses and configures a carrier's adapter (audited; the secret never in the log). */
export async function configureCarrierAdapter(deps: ConfigureDeps, actor: Actor, code: string, patch: CarrierAdapterPatch): Promise<AdapterSettingsView> {
  await getCarrier(deps.db, code);
  const secretEnc = patch.secret === undefined ? null : encryptSecret(deps.secretKey, patch.secret, secretAad(code));
  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now();
    const merged = mergeSettings(code, await adapterRow(tx, code, { lock: true }), patch, secretEnc);
    await tx.query(
      `INSERT INTO carrier_adapters (carrier_code, adapter, base_url, secret_enc, timeout_ms, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (carrier_code) DO UPDATE SET adapter = EXCLUDED.adapter, base_url = EXCLUDED.base_url, secret_enc = EXCLUDED.secret_enc,
         timeout_ms = EXCLUDED.timeout_ms, updated_at = EXCLUDED.updated_at`,
      [code, merged.adapter, merged.base_url, merged.secret_enc, merged.timeout_ms, now],
    );
    await recordAudit(tx, actor, {
      action: 'carrier.adapter_update', targetType: 'carrier', targetId: code, at: now,
      details: { adapter: merged.adapter, baseUrl: merged.base_url, timeoutMs: merged.timeout_ms, secretChanged: patch.secret !== undefined },
    });
    return toView(merged);
  });
}

export interface CallbackDeps extends RefundDeps {
  secretKey: Buffer;
  /** Signatures are judged on wall time: the carrier signs with its own clock, not the sandbox's. */
  wallClock: Clock;
}

const badSignature = (): DomainError => new DomainError('bad_request', 'invalid_signature', 'the callback signature does not verify');

/** Signature first (with the carrier's secret), then the body's shape; nothing is read before. */
async function verifiedCallback(deps: CallbackDeps, code: string, rawBody: string, signature: string | undefined): Promise<CarrierCallback> {
  await getCarrier(deps.db, code);
  const row = await adapterRow(deps.db, code);
  // A carrier switched back to simulated keeps its secret: callbacks of requests in flight still verify.
  if (!row?.secret_enc) throw badSignature();
  try {
    verifyCarrierSignature(decryptSecret(deps.secretKey, row.secret_enc, secretAad(code)), signature, rawBody, deps.wallClock.now());
  } catch (error) {
    if (error instanceof CarrierSignatureError) throw badSignature();
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new DomainError('bad_request', 'invalid_callback', 'the callback body is not JSON');
  }
  const parsed = carrierCallbackSchema.safeParse(json);
  if (!parsed.success) throw new DomainError('bad_request', 'invalid_callback', 'the callback body does not follow the protocol (docs/carrier-http.md)');
  return parsed.data;
}

/**
 * A carrier's signed callback: the final answer to a request it accepted. `done` completes the order
 * in the transaction that records the callback id; `failed` refunds it (compensation, after commit:
 * a crash in between leaves the order provisioning, and its status query finds the refusal again).
 */
export async function receiveCarrierCallback(
  deps: CallbackDeps, input: { code: string; rawBody: string; signature: string | undefined },
): Promise<CallbackOutcome> {
  const callback = await verifiedCallback(deps, input.code, input.rawBody, input.signature);
  const outcome = await deps.db.transaction(async (tx): Promise<CallbackOutcome> => {
    const now = deps.clock.now();
    const inserted = await tx.query(
      `INSERT INTO carrier_callbacks (carrier_code, callback_id, request_id, status, received_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (carrier_code, callback_id) DO NOTHING RETURNING callback_id`,
      [input.code, callback.callbackId, callback.requestId, callback.status, now],
    );
    if (inserted.rows.length === 0) return 'duplicate';
    // Only an order waiting on this very carrier: a carrier cannot settle another carrier's orders.
    if (!(await isAwaitingCarrier(tx, callback.requestId, input.code))) return 'ignored';
    if (callback.status === 'failed') return 'failed';
    const done = await completeProvisioning(tx, { orderId: callback.requestId, reference: callback.reference ?? callback.requestId, now });
    return done === 'completed' ? 'completed' : 'ignored';
  });
  if (outcome === 'failed') {
    await compensateFailedProvisioning(deps, callback.requestId, `the carrier refused the request: ${callback.reason ?? 'failed'}`);
  }
  return outcome;
}

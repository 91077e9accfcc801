// The sandbox provider's side of a payment: the payer's decision on the hosted page (recorded in
// the sandbox's own books) and the webhook deliveries it triggers. Each outcome is delivered
// twice — like real providers that retry — so every paid journey exercises deduplication; each
// delivery is an outbox job retried with backoff until the webhook answers 2xx. Deliveries are
// real HTTP to SIMKEEP_PUBLIC_URL while the server listens, and Fastify's inject otherwise (tests):
// either way through the webhook route and its signature check.
import type { Queryable } from '../../db/types.ts';
import { notFound } from '../../domain/errors.ts';
import type { Db } from '../../db/types.ts';
import { enqueue } from '../../jobs/queue.ts';
import { moneyJson } from '../../domain/money.ts';
import { SANDBOX_SIGNATURE_HEADER, signSandboxPayload } from '../../adapters/payments/sandbox-signature.ts';
import { newSandboxEventId, sandboxWebhookKey, type SandboxEvent } from './sandbox-events.ts';

export const SANDBOX_WEBHOOK_QUEUE = 'sandbox_webhook';
declare module '../../jobs/queue.ts' {
  interface JobPayloads {
    /** One delivery of a sandbox event to the webhook route. */
    sandbox_webhook: { event: SandboxEvent; delivery: number };
  }
}
export const SANDBOX_DELIVERIES_PER_EVENT = 2;
export const SANDBOX_WEBHOOK_MAX_ATTEMPTS = 10;
const SANDBOX_DELIVERY_TIMEOUT_MS = 10_000;

export type SandboxOutcome = 'succeeded' | 'failed';
/** sandbox_payments.status: waiting for the payer, then their decision. */
export const SANDBOX_PAYMENT_STATUSES = ['pending', 'succeeded', 'failed'] as const satisfies ReadonlyArray<SandboxPaymentRow['status']>;

export interface SandboxPaymentRow {
  id: string;
  payment_id: string;
  amount_minor: number;
  currency: string;
  description: string;
  return_url: string;
  status: 'pending' | SandboxOutcome;
  outcome_event: string | null;
}

export async function getSandboxPayment(q: Queryable, paymentId: string): Promise<SandboxPaymentRow> {
  const { rows } = await q.query<SandboxPaymentRow>('SELECT * FROM sandbox_payments WHERE payment_id = $1', [paymentId]);
  const row = rows[0];
  if (!row) throw notFound('payment_not_found', 'no sandbox payment with this id');
  return row;
}

/**
 * The payer pressed Pay or Decline. The first decision wins (guarded UPDATE); a repeat is a no-op.
 * The webhook jobs are written in the same transaction as the decision (outbox).
 */
export async function completeSandboxPayment(db: Db, now: Date, paymentId: string, outcome: SandboxOutcome): Promise<{ status: SandboxPaymentRow['status'] }> {
  return db.transaction(async (tx) => {
    const eventId = newSandboxEventId();
    const { rows } = await tx.query<SandboxPaymentRow>(
      `UPDATE sandbox_payments SET status = $2, outcome_event = $3, completed_at = $4
        WHERE payment_id = $1 AND status = 'pending' RETURNING *`,
      [paymentId, outcome, eventId, now],
    );
    const row = rows[0];
    if (!row) return { status: (await getSandboxPayment(tx, paymentId)).status };
    const event: SandboxEvent = {
      id: eventId, type: outcome === 'succeeded' ? 'payment.succeeded' : 'payment.failed', paymentId,
      amount: moneyJson(row.amount_minor, row.currency), createdAt: now.toISOString(),
    };
    for (let delivery = 1; delivery <= SANDBOX_DELIVERIES_PER_EVENT; delivery++) {
      await enqueue(tx, {
        queue: SANDBOX_WEBHOOK_QUEUE, payload: { event: { ...event }, delivery }, runAt: now,
        dedupeKey: `sandbox-webhook:${eventId}:${delivery}`, maxAttempts: SANDBOX_WEBHOOK_MAX_ATTEMPTS,
      });
    }
    return { status: outcome };
  });
}

/** Sends one signed webhook body; answers the HTTP status. Built by the composition root. */
export type Deliver = (url: string, body: string, headers: Record<string, string>) => Promise<number>;

/** Delivery over the network (while the server listens). */
export const deliverOverHttp: Deliver = async (url, body, headers) => {
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(SANDBOX_DELIVERY_TIMEOUT_MS) });
  await res.arrayBuffer();
  return res.status;
};

export interface SandboxDeliveryDeps {
  secretKey: Buffer;
  publicUrl: () => string;
  deliver: Deliver;
}

/** One delivery attempt; a non-2xx answer throws so the worker retries with backoff. */
export async function deliverSandboxWebhook(deps: SandboxDeliveryDeps, event: SandboxEvent): Promise<void> {
  const body = JSON.stringify(event);
  const signature = signSandboxPayload(sandboxWebhookKey(deps.secretKey), body, new Date());
  const status = await deps.deliver(`${deps.publicUrl()}/api/v1/webhooks/sandbox`, body, {
    'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER.toLowerCase()]: signature,
  });
  if (status < 200 || status >= 300) throw new Error(`sandbox webhook answered ${status}`);
}

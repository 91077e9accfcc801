// The sandbox provider's webhook event and its signing key, shared by the provider (which verifies
// deliveries) and the sandbox service (which sends them).
import { createHmac, randomBytes } from 'node:crypto';
import type { MoneyJson } from '../../domain/money.ts';

export type SandboxEventType = 'payment.succeeded' | 'payment.failed';

/** The webhook body the sandbox delivers (and signs). */
export interface SandboxEvent {
  id: string;
  type: SandboxEventType;
  paymentId: string;
  amount: MoneyJson;
  createdAt: string;
}

/** The signing key is derived from the server key, so no extra secret needs configuring. */
export function sandboxWebhookKey(secretKey: Buffer): Buffer {
  return createHmac('sha256', secretKey).update('sandbox-webhook').digest();
}

export function newSandboxEventId(): string {
  return `evt_${randomBytes(12).toString('hex')}`;
}

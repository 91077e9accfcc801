// The one interface carrier adapters implement (SPEC.md "Carrier provisioning"): a provisioning
// request for a paid order, answered `done` or `failed` — or `accepted` by an asynchronous carrier,
// which answers later by a signed callback or, failing that, through `requestStatus`. Adapters throw
// on transport failures; the provisioning worker retries with exponential backoff and compensates
// on the last attempt.

export interface ProvisionRequest {
  /** simkeep's order id: the carrier's idempotency key, so a retried request is applied once. */
  orderId: string;
  lineId: string;
  iccid: string;
  msisdn: string | null;
  carrierCode: string;
  kind: 'plan' | 'topup';
  planId: string | null;
  validityDays: number | null;
  allowances: { dataMb: number; voiceMin: number; sms: number } | null;
}

/** done and failed are final; accepted: the carrier took the request and will answer later. */
export const PROVISION_STATUSES = ['done', 'failed', 'accepted'] as const;
export type ProvisionStatus = (typeof PROVISION_STATUSES)[number];

export interface ProvisionResult {
  status: ProvisionStatus;
  /** The carrier's reference for the request (support tickets, reconciliation). */
  reference: string;
  reason?: string;
}

export interface CarrierAdapter {
  readonly name: string;
  provision(request: ProvisionRequest): Promise<ProvisionResult>;
  /**
   * Where a request the carrier accepted stands (asynchronous carriers): the fallback when its
   * callback is late or lost. Carriers that always answer at once need not implement it.
   */
  requestStatus?(request: ProvisionRequest): Promise<ProvisionResult>;
}

/** The carrier could not be reached or gave no usable answer: retried, never taken as a refusal. */
export class CarrierUnavailableError extends Error {
  override name = 'CarrierUnavailableError';
}

// The one interface carrier adapters implement (SPEC.md "Carrier provisioning"): a provisioning
// request for a paid order, answered `done` or `failed`. Adapters throw on transport failures;
// the provisioning worker retries both with exponential backoff and compensates on the last one.

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

export interface ProvisionResult {
  status: 'done' | 'failed';
  /** The carrier's reference for the request (support tickets, reconciliation). */
  reference: string;
  reason?: string;
}

export interface CarrierAdapter {
  readonly name: string;
  provision(request: ProvisionRequest): Promise<ProvisionResult>;
}

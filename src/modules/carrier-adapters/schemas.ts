// Wire shapes of the carrier-adapters module: the operator's carrier view (the lines module's
// carrier profile plus the adapter settings, never the secret), the settings patch and the
// asynchronous carrier's callback (docs/carrier-http.md).
import { z } from 'zod';
import { CARRIER_TIMEOUT_MS_MAX, CARRIER_TIMEOUT_MS_MIN } from '../../adapters/carriers/http-json.ts';
import { carrierSchema } from '../lines/schemas.ts';

/** Which adapter provisions a carrier's lines; `simulated` unless an operator chose otherwise. */
export const CARRIER_ADAPTER_KINDS = ['simulated', 'http_json'] as const;
export type CarrierAdapterKind = (typeof CARRIER_ADAPTER_KINDS)[number];

/** The final answers a callback may carry (`accepted` is only ever an answer to our request). */
export const CARRIER_CALLBACK_STATUSES = ['done', 'failed'] as const;

export const CARRIER_SECRET_LENGTH_MIN = 16;
export const CARRIER_SECRET_LENGTH_MAX = 256;
export const CARRIER_BASE_URL_LENGTH_MAX = 2_048;
const ID_LENGTH_MAX = 255;

export const adapterSettingsSchema = z.object({
  adapter: z.enum(CARRIER_ADAPTER_KINDS),
  baseUrl: z.string().nullable().describe('where HTTP/JSON requests go; null for the simulated carrier'),
  timeoutMs: z.number().int(),
  secretSet: z.boolean().describe('whether a signing secret is stored (the secret itself is never shown)'),
});
export type AdapterSettingsView = z.infer<typeof adapterSettingsSchema>;

export const adminCarrierSchema = carrierSchema.extend(adapterSettingsSchema.shape);
export const adminCarrierListSchema = z.object({ items: z.array(adminCarrierSchema), nextCursor: z.null() });

export const carrierCodeParams = z.object({ code: z.string().min(1).max(64) });

export const carrierAdapterPatch = z.strictObject({
  adapter: z.enum(CARRIER_ADAPTER_KINDS).optional(),
  baseUrl: z.string().max(CARRIER_BASE_URL_LENGTH_MAX).nullable().optional()
    .describe('https:// (plain http:// only for a loopback host), no credentials, query or fragment'),
  secret: z.string().min(CARRIER_SECRET_LENGTH_MIN).max(CARRIER_SECRET_LENGTH_MAX).optional()
    .describe('write-only: the HMAC key shared with the carrier, stored encrypted'),
  timeoutMs: z.number().int().min(CARRIER_TIMEOUT_MS_MIN).max(CARRIER_TIMEOUT_MS_MAX).optional(),
});
export type CarrierAdapterPatch = z.infer<typeof carrierAdapterPatch>;

/** The callback body, judged only after its signature verified. */
export const carrierCallbackSchema = z.object({
  callbackId: z.string().min(1).max(ID_LENGTH_MAX),
  requestId: z.string().min(1).max(ID_LENGTH_MAX),
  status: z.enum(CARRIER_CALLBACK_STATUSES),
  reference: z.string().min(1).max(ID_LENGTH_MAX).optional(),
  reason: z.string().max(500).optional(),
});
export type CarrierCallback = z.infer<typeof carrierCallbackSchema>;

/** The exact bytes received: the signature covers them, so no schema parses them first. */
export const carrierCallbackBody = z.string().nullish().describe('the carrier callback, verified over its exact bytes (docs/carrier-http.md)');

export const CALLBACK_OUTCOMES = ['completed', 'failed', 'duplicate', 'ignored'] as const;
export const carrierCallbackAck = z.object({
  received: z.literal(true),
  outcome: z.enum(CALLBACK_OUTCOMES).describe('ignored: the request is not an order waiting on this carrier'),
});
export type CallbackOutcome = (typeof CALLBACK_OUTCOMES)[number];

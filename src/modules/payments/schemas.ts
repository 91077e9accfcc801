// Request shapes of the payment routes (webhooks and the sandbox provider).
import { z } from 'zod';

const ID_MAX_LENGTH = 100;

export const webhookParams = z.object({ provider: z.string().min(1).max(32) });
/** The provider's payload exactly as received (JSON or form text): judged by its signature, never by a schema. */
export const webhookBody = z.string().nullish().describe("the provider's notification, verified over its exact bytes");
export const paymentParams = z.object({ paymentId: z.string().min(1).max(ID_MAX_LENGTH) });
export const sandboxCompleteBody = z.object({ outcome: z.enum(['succeeded', 'failed']) });
export const sandboxCompleteReply = z.object({ paymentId: z.string(), status: z.string() });

// Request and response shapes of the payment routes (webhooks and the sandbox provider), and the
// payment view an order shows. The view types are inferred from these, never written twice.
import { z } from 'zod';
import { PAYMENT_ACTION_TYPES } from '../../adapters/payments/types.ts';
import { SANDBOX_PAYMENT_STATUSES } from './sandbox-service.ts';
import { PAYMENT_PROVIDER_NAMES, PAYMENT_STATUSES } from './service.ts';

const ID_MAX_LENGTH = 100;

/** Money on the wire (API.md): integer minor units and an ISO 4217 code. */
export const moneyJsonSchema = z.object({ amount: z.number().int(), currency: z.string().regex(/^[A-Z]{3}$/) });

export const webhookParams = z.object({ provider: z.string().min(1).max(32) });
/** The provider's payload exactly as received (JSON or form text): judged by its signature, never by a schema. */
export const webhookBody = z.string().nullish().describe("the provider's notification, verified over its exact bytes");
export const paymentParams = z.object({ paymentId: z.string().min(1).max(ID_MAX_LENGTH) });
export const sandboxCompleteBody = z.object({ outcome: z.enum(['succeeded', 'failed']) });
export const sandboxCompleteReply = z.object({ paymentId: z.string(), status: z.enum(SANDBOX_PAYMENT_STATUSES) });

/** What each provider expects back once its event was accepted (the adapters' `acknowledge`). */
export const webhookAckResponse = {
  description: "The provider's own acknowledgement: Alipay the text `success`; WeChat Pay its JSON code; Stripe, PayPal and the sandbox `{received: true}`",
  content: {
    'application/json': {
      schema: z.union([
        z.object({ received: z.literal(true) }),
        z.object({ code: z.literal('SUCCESS'), message: z.string() }).describe('WeChat Pay'),
      ]),
    },
    'text/plain': { schema: z.literal('success').describe('Alipay') },
  },
};

/** The hosted sandbox payment page (Pay / Decline buttons). */
export const htmlPageResponse = { description: 'An HTML page', content: { 'text/html': { schema: z.string() } } };

export const paymentActionSchema = z.object({
  type: z.enum(PAYMENT_ACTION_TYPES).describe('`jsapi` only for an order placed with paymentFlow `jsapi`'),
  url: z.string().optional(),
  qrData: z.string().optional(),
  jsapi: z.object({
    appId: z.string(), timeStamp: z.string(), nonceStr: z.string(), package: z.string(), signType: z.literal('RSA'), paySign: z.string(),
  }).optional().describe("with type `jsapi`: the arguments of WeixinJSBridge.invoke('getBrandWCPayRequest', …) as they are"),
});

/** GET/POST /payments/wechat/payer. */
export const wechatPayerQuery = z.object({
  returnTo: z.string().min(1).max(500).regex(/^\/(?![/\\])[^\s#]*$/, 'a path of this site, like /lines/line_1/checkout?plan=…')
    .describe('where WeChat sends the payer back (a path of this site; WeChat adds code and state)'),
});
export const wechatPayerBody = z.object({ code: z.string().min(1).max(256), state: z.string().min(1).max(128) });
export const wechatPayerSchema = z.object({
  ready: z.boolean().describe('a paymentFlow `jsapi` order can be placed now'),
  authorizeUrl: z.string().nullable().describe("when not ready: WeChat's snsapi_base authorisation to open inside WeChat; null = JSAPI is not offered"),
});

export const paymentViewSchema = z.object({
  id: z.string(),
  provider: z.enum(PAYMENT_PROVIDER_NAMES),
  status: z.enum(PAYMENT_STATUSES),
  amount: moneyJsonSchema,
  refunded: moneyJsonSchema.describe('captured money reserved by refunds, pending ones included'),
  action: paymentActionSchema,
});

/** A saved payment method (API.md): only the provider's token is kept, never the card. */
export const savedMethodSchema = z.object({
  id: z.string(), provider: z.string(), brand: z.string().optional(), last4: z.string().optional(), expiresAt: z.string().optional(),
  isDefault: z.boolean(), createdAt: z.string(),
});

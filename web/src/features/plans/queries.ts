import { queryOptions } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import { currentLocale } from '../../lib/i18n';
import type { components, paths } from '../../api/schema';

export type Plan = paths['/api/v1/plans']['get']['responses'][200]['content']['application/json']['items'][number];
export type Quote = paths['/api/v1/quotes']['post']['responses'][200]['content']['application/json'];
export type PaymentMethod = components['schemas']['Order']['paymentMethod'];
export type Money = Plan['price'];

/** What a checkout buys: a plan, or a wallet top-up of an amount. */
export type Purchase = { planId: string } | { topup: Money };

export const plansKeys = { all: ['plans'] as const };

/** A line's catalog, in the request's language (names, descriptions, promotion titles). */
export function plansQuery(lineId: string) {
  const language = currentLocale();
  return queryOptions({
    queryKey: [...plansKeys.all, 'line', lineId, { language }] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/plans', { params: { query: { lineId } }, signal })),
    // Custom bundles need a module picker the portal does not have yet: only ready-made plans are sold here.
    select: (page) => page.items.filter((plan) => plan.bundle === null),
  });
}

export interface QuoteInput {
  lineId: string;
  purchase: Purchase;
  couponCode: string | null;
  paymentMethod: PaymentMethod;
}

/**
 * A quote is a price promise until its `expiresAt`: asked once per choice (plan, coupon, method) and
 * kept while it holds. Never retried on its own — the server limits how many quotes one asks for.
 */
export function quoteQuery(input: QuoteInput) {
  const language = currentLocale();
  const what = 'planId' in input.purchase ? { planId: input.purchase.planId } : { amount: input.purchase.topup };
  return queryOptions({
    queryKey: [...plansKeys.all, 'quote', { ...input, language }] as const,
    queryFn: () => unwrap(api.POST('/api/v1/quotes', {
      body: { lineId: input.lineId, ...what, paymentMethod: input.paymentMethod, ...(input.couponCode ? { couponCode: input.couponCode } : {}) },
    })),
    retry: false,
    refetchOnWindowFocus: false,
    staleTime: (query) => (query.state.data ? Math.max(0, Date.parse(query.state.data.expiresAt) - Date.now()) : 0),
  });
}

/**
 * Whether a WeChat Pay JSAPI order can be placed for this subscriber now, else WeChat's silent
 * authorisation to pass through first (returning to `returnTo`, a path of the portal). Always asked
 * afresh: it changes when the subscriber comes back from WeChat.
 */
export function wechatPayerQuery(returnTo: string) {
  return queryOptions({
    queryKey: [...plansKeys.all, 'wechat-payer', { returnTo }] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/payments/wechat/payer', { params: { query: { returnTo } }, signal })),
    staleTime: 0,
    retry: false,
  });
}

// Checkout: the quote's breakdown (subtotal, discounts, bonuses, total, until when it holds), a
// coupon, the payment method, and confirm. Confirming sends one Idempotency-Key per attempt, with
// the payment flow that fits this browser (lib/payment-flow.ts): an answer lost to the network
// offers a retry with the same key and flow (the server then answers with the same order, never a
// second one). The provider's page, code or WeChat cashier follows. Inside WeChat, WeChat Pay's
// cashier needs WeChat to say who pays first: the page passes once through WeChat's silent
// authorisation and comes back here with `code` and `state`, which it hands to the server.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { errorCodeOf, useErrorText } from '../../../components/error-text';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { ApiError, NETWORK_ERROR_CODE } from '../../../lib/api';
import { useFormat } from '../../../lib/format';
import { currentBrowserKind, paymentFlowFor, paymentStepFor, type PaymentFlow } from '../../../lib/payment-flow';
import { paths } from '../../../paths';
import { useConfirmWechatPayer, usePlaceOrder, type PlaceOrderInput } from '../mutations';
import { plansQuery, quoteQuery, wechatPayerQuery, type PaymentMethod, type Purchase, type Quote } from '../queries';
import { CHECKOUT_METHODS, CheckoutForm, isCouponError, type CheckoutChoice } from './checkout-form';
import styles from './plans.module.css';

/** Failures after which the order may exist or may come: the same attempt is sent again. */
const RETRY_SAME_ATTEMPT_CODES: ReadonlySet<string> = new Set([NETWORK_ERROR_CODE, 'provider_unavailable', 'idempotency_key_in_use', 'request_timeout']);

function isSameAttemptRetryable(error: unknown): boolean {
  return RETRY_SAME_ATTEMPT_CODES.has(errorCodeOf(error)) || (error instanceof ApiError && error.status >= 500);
}

/** An idempotency key from the platform's random source (randomUUID needs a secure context; this does not). */
function newAttemptKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `checkout-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function purchaseFrom(search: URLSearchParams): Purchase | null {
  const planId = search.get('plan');
  if (planId) return { planId };
  const amount = Number(search.get('topup'));
  const currency = search.get('currency');
  if (Number.isSafeInteger(amount) && amount > 0 && currency && /^[A-Z]{3}$/.test(currency)) return { topup: { amount, currency } };
  return null;
}

function Breakdown({ quote }: { quote: Quote }) {
  const { t } = useTranslation('plans');
  const format = useFormat();
  return (
    <section className={styles.breakdown} aria-labelledby="quote-title">
      <h2 id="quote-title">{t('checkout.summary')}</h2>
      <dl>
        <div><dt>{t('checkout.subtotal')}</dt><dd>{format.money(quote.subtotal)}</dd></div>
        {quote.discounts.map((d) => (
          <div key={d.promotionId}><dt>{d.title}</dt><dd>−{format.money(d.amount)}</dd></div>
        ))}
        {quote.bonuses.map((b) => (
          <div key={b.promotionId}>
            <dt>{b.title}</dt>
            <dd>
              {[
                b.dataMb ? t('checkout.bonusData', { amount: format.number(b.dataMb) }) : null,
                b.validityDays ? t('checkout.bonusDays', { count: b.validityDays }) : null,
                b.amount ? t('checkout.bonusWallet', { amount: format.money(b.amount) }) : null,
              ].filter(Boolean).join(' · ')}
            </dd>
          </div>
        ))}
        <div className={styles.total}><dt>{t('checkout.total')}</dt><dd>{format.money(quote.total)}</dd></div>
      </dl>
      <p className={styles.expiry}>{t('checkout.expiresAt', { time: format.dateTime(quote.expiresAt) })}</p>
    </section>
  );
}

/** What WeChat adds to the page's address when it sends the payer back. */
const WECHAT_RETURN_PARAMS = ['code', 'state'] as const;

/** The method a checkout starts with: `?method=` when it names one (back from WeChat), else card. */
function initialMethod(): PaymentMethod {
  const named = new URLSearchParams(window.location.search).get('method');
  return CHECKOUT_METHODS.find((m) => m === named) ?? 'card';
}

/**
 * This page's address without WeChat's return parameters, naming the chosen method: where WeChat's
 * authorisation comes back to, with WeChat Pay still chosen.
 */
function checkoutReturnPath(method: PaymentMethod): string {
  const search = new URLSearchParams(window.location.search);
  for (const name of WECHAT_RETURN_PARAMS) search.delete(name);
  search.set('method', method);
  const query = search.toString();
  return `${window.location.pathname}${query ? `?${query}` : ''}`;
}

/**
 * The flow to ask for in this browser. JSAPI only when the server can open it now; when WeChat must
 * first say who pays, the page goes there (`authorizing`); when the server offers no JSAPI (or
 * cannot be asked), nothing: WeChat Pay's default QR, which WeChat users press and hold to pay.
 */
async function flowForBrowser(
  method: PaymentMethod, queryClient: ReturnType<typeof useQueryClient>,
): Promise<PaymentFlow | undefined | 'authorizing'> {
  const flow = paymentFlowFor(method, currentBrowserKind());
  if (flow !== 'jsapi') return flow;
  const payer = await queryClient.fetchQuery(wechatPayerQuery(checkoutReturnPath(method))).catch(() => null);
  if (payer?.ready) return 'jsapi';
  if (payer?.authorizeUrl) {
    window.location.assign(payer.authorizeUrl);
    return 'authorizing';
  }
  return undefined;
}

function useCheckout(lineId: string, purchase: Purchase) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const placeOrder = usePlaceOrder();
  // The attempt in flight, frozen: a retry re-sends exactly this (key and body), or the server would
  // see the same key with another body (a fresh quote) and refuse it.
  const attempt = useRef<PlaceOrderInput | null>(null);
  const [choice, setChoice] = useState<CheckoutChoice>(() => ({ method: initialMethod(), couponCode: null, voucherCode: '' }));
  const quoteOptions = quoteQuery({ lineId, purchase, couponCode: choice.couponCode, paymentMethod: choice.method });
  const quote = useQuery(quoteOptions);

  const choose = (next: CheckoutChoice) => {
    attempt.current = null; // another choice is another attempt
    placeOrder.reset();
    setChoice(next);
  };
  const [preparing, setPreparing] = useState(false);
  const place = (input: PlaceOrderInput) => {
    placeOrder.mutate(input, {
      onSuccess: (order) => {
        const step = paymentStepFor(order.paymentMethod, order.payment?.action, currentBrowserKind());
        if (step.kind === 'redirect') window.location.assign(step.url);
        else void navigate(paths.order.href(order.id));
      },
      onError: (error) => {
        if (isSameAttemptRetryable(error)) return;
        // This merchant does not offer the browser's channel (ALIPAY_FLOWS, WECHATPAY_FLOWS): nothing
        // was written, so the same purchase goes again as a new attempt, on the provider's default.
        if (errorCodeOf(error) === 'payment_flow_unavailable' && input.paymentFlow !== undefined) {
          attempt.current = { ...input, paymentFlow: undefined, idempotencyKey: newAttemptKey() };
          place(attempt.current);
          return;
        }
        attempt.current = null;
        // A refused order leaves the quote as it was, unless the quote itself is what expired.
        if (errorCodeOf(error) === 'quote_expired') void queryClient.invalidateQueries({ queryKey: quoteOptions.queryKey });
      },
    });
  };
  const confirm = () => {
    const priced = quote.data;
    if (!priced || preparing) return;
    if (attempt.current) {
      place(attempt.current);
      return;
    }
    setPreparing(true);
    void flowForBrowser(choice.method, queryClient).then((paymentFlow) => {
      if (paymentFlow === 'authorizing') return; // the page is leaving for WeChat
      setPreparing(false);
      attempt.current = {
        lineId, purchase, quoteId: priced.id, couponCode: choice.couponCode, paymentMethod: choice.method, paymentFlow,
        voucherCode: choice.voucherCode.trim() || null, idempotencyKey: newAttemptKey(),
      };
      place(attempt.current);
    });
  };
  return { quote, choice, choose, confirm, placeOrder, preparing };
}

function Checkout({ lineId, purchase, title }: { lineId: string; purchase: Purchase; title: string }) {
  const { t } = useTranslation('plans');
  const { quote, choice, choose, confirm, placeOrder, preparing } = useCheckout(lineId, purchase);
  let summary;
  if (quote.data) summary = <Breakdown quote={quote.data} />;
  // A refused coupon is shown on its field, where it can be removed.
  else if (quote.error && !isCouponError(quote.error)) summary = <SectionError error={quote.error} onRetry={() => void quote.refetch()} />;
  else if (quote.error) summary = null;
  else summary = <div className={styles.breakdown} aria-busy="true"><SkeletonBlock height="6rem" /></div>;
  return (
    <section className={styles.checkout} aria-labelledby="checkout-title">
      <h1 id="checkout-title">{t('checkout.title')}</h1>
      <p className={styles.buying}>{title}</p>
      {summary}
      <WechatReturn />
      <CheckoutForm
        choice={choice}
        onChoose={choose}
        onConfirm={confirm}
        total={quote.data?.total ?? null}
        quoteError={quote.error}
        pending={placeOrder.isPending || preparing}
        error={placeOrder.error}
        retryable={placeOrder.error ? isSameAttemptRetryable(placeOrder.error) : false}
      />
      <p><Link to={paths.plans.href(lineId)}>{t('checkout.back')}</Link></p>
    </section>
  );
}

/** Back from WeChat's authorisation: hands its code to the server once, then drops it from the address. */
function WechatReturn() {
  const { t } = useTranslation('plans');
  const errorText = useErrorText();
  const [search, setSearch] = useSearchParams();
  const confirmPayer = useConfirmWechatPayer();
  const code = search.get('code');
  const state = search.get('state');
  const sent = useRef(false);
  useEffect(() => {
    if (!code || !state || sent.current) return;
    sent.current = true;
    confirmPayer.mutate({ code, state }, {
      onSettled: () => setSearch((current) => {
        const next = new URLSearchParams(current);
        for (const name of WECHAT_RETURN_PARAMS) next.delete(name);
        return next;
      }, { replace: true }),
    });
  }, [code, state, confirmPayer, setSearch]);
  if (confirmPayer.isPending) return <p role="status">{t('checkout.wechatConfirming')}</p>;
  if (confirmPayer.isSuccess) return <p role="status">{t('checkout.wechatConfirmed')}</p>;
  if (confirmPayer.isError) return <p role="alert">{errorText(confirmPayer.error)}</p>;
  return null;
}

export function CheckoutPage() {
  const { t } = useTranslation('plans');
  const format = useFormat();
  const { lineId = '' } = useParams();
  const [search] = useSearchParams();
  const purchase = purchaseFrom(search);
  const plans = useQuery({ ...plansQuery(lineId), enabled: purchase !== null && 'planId' in purchase });
  if (purchase === null) return <div className="page"><SectionError error={new ApiError(400, 'invalid_purchase', [], null)} onRetry={() => window.history.back()} /></div>;
  if ('topup' in purchase) {
    return <div className="page"><Checkout lineId={lineId} purchase={purchase} title={t('checkout.topup', { amount: format.money(purchase.topup) })} /></div>;
  }
  const plan = plans.data?.find((p) => p.id === purchase.planId);
  if (plan) return <div className="page"><Checkout lineId={lineId} purchase={purchase} title={plan.name} /></div>;
  if (plans.data) return <div className="page"><SectionError error={new ApiError(404, 'plan_not_found', [], null)} onRetry={() => void plans.refetch()} /></div>;
  if (plans.error) return <div className="page"><SectionError error={plans.error} onRetry={() => void plans.refetch()} /></div>;
  return (
    <div className="page" aria-busy="true">
      <SkeletonBlock width="50%" height="1.75rem" />
      <SkeletonBlock height="8rem" />
      <SkeletonBlock height="12rem" />
    </div>
  );
}

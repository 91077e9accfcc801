// An order's status, followed live until it settles: where the payment provider's page sends the
// subscriber back to (the sandbox pay page's "back to the order" link). Unpaid, it says how to pay
// in this browser; failed, why (in the subscriber's words, never the provider's English) and how to
// try again; paid, the receipt.
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { useFormat } from '../../../lib/format';
import { paths } from '../../../paths';
import { isSettled, orderQuery, receiptHref, type Order } from '../queries';
import { OrderTimeline } from './order-timeline';
import { PaymentStep } from './payment-step';
import styles from './order.module.css';

const RECEIPT_STATUSES: ReadonlySet<Order['status']> = new Set(['paid', 'provisioning', 'completed', 'refunded']);

/** A failed order was either refused by the provider, or paid and then not applied (and refunded). */
function failureOf(order: Order): 'declined' | 'provisioning' {
  return order.events.some((e) => e.status === 'paid') ? 'provisioning' : 'declined';
}

/** The same purchase again, as a new order: a failed order is never retried in place. */
function againHref(order: Order): string {
  if (order.plan) return paths.checkout.href(order.lineId, { planId: order.plan.id });
  return paths.checkout.href(order.lineId, { topup: order.subtotal.amount, currency: order.subtotal.currency });
}

function Outcome({ order }: { order: Order }) {
  const { t } = useTranslation('orders');
  if (order.status === 'failed') {
    return (
      <div className={styles.failure} role="alert">
        <p>{t(`failure.${failureOf(order)}`)}</p>
        <Link className="button" to={againHref(order)}>{t('tryAgain')}</Link>
      </div>
    );
  }
  if (order.status === 'expired' || order.status === 'cancelled') {
    return <p><Link className="button-secondary" to={againHref(order)}>{t('orderAgain')}</Link></p>;
  }
  if (order.status === 'awaiting_payment') return <PaymentStep order={order} />;
  return null;
}

function OrderDetails({ order }: { order: Order }) {
  const { t } = useTranslation('orders');
  const format = useFormat();
  return (
    <section className={styles.card} aria-labelledby="order-title">
      <h1 id="order-title">{order.plan?.name ?? t(`kind.${order.kind}`)}</h1>
      <p className={styles.status} role="status" data-status={order.status}>
        {t(`status.${order.status}`)}
        {!isSettled(order.status) && order.status !== 'awaiting_payment' && <span className={styles.live}> {t('live')}</span>}
      </p>
      <Outcome order={order} />
      <dl className={styles.facts}>
        <div><dt>{t('total')}</dt><dd>{format.money(order.total)}</dd></div>
        <div><dt>{t('createdAt')}</dt><dd>{format.dateTime(order.createdAt)}</dd></div>
        <div><dt>{t('method')}</dt><dd>{t(`methods.${order.paymentMethod}`)}</dd></div>
        {order.discount.amount > 0 && <div><dt>{t('discount')}</dt><dd>−{format.money(order.discount)}</dd></div>}
      </dl>
      <h2>{t('events')}</h2>
      <OrderTimeline order={order} />
      <p className={styles.links}>
        {RECEIPT_STATUSES.has(order.status) && <a href={receiptHref(order.id)} target="_blank" rel="noopener">{t('receipt')}</a>}
        <Link to={paths.orders.href()}>{t('allOrders')}</Link>
        <Link to={paths.lines.href()}>{t('backToLines')}</Link>
      </p>
    </section>
  );
}

export function OrderPage() {
  const { orderId = '' } = useParams();
  const order = useQuery(orderQuery(orderId));
  if (order.data) return <div className="page"><OrderDetails order={order.data} /></div>;
  if (order.error) return <div className="page"><SectionError error={order.error} onRetry={() => void order.refetch()} /></div>;
  return (
    <div className="page" aria-busy="true">
      <div className={styles.card}>
        <SkeletonBlock width="50%" height="1.75rem" />
        <SkeletonBlock width="30%" />
        <SkeletonBlock height="3rem" />
        <SkeletonBlock height="5rem" />
      </div>
    </div>
  );
}

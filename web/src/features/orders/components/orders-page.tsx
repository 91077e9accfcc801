// The subscriber's orders, newest first, each a link to its page.
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { useFormat } from '../../../lib/format';
import { paths } from '../../../paths';
import { ordersQuery, type Order } from '../queries';
import styles from './order.module.css';

function OrdersList({ orders }: { orders: readonly Order[] }) {
  const { t } = useTranslation('orders');
  const format = useFormat();
  if (orders.length === 0) {
    return (
      <section className={styles.card} aria-labelledby="orders-empty">
        <h2 id="orders-empty">{t('list.emptyTitle')}</h2>
        <p>{t('list.emptyBody')}</p>
        <p><Link className="button" to={paths.lines.href()}>{t('backToLines')}</Link></p>
      </section>
    );
  }
  return (
    <ul className={styles.list} aria-label={t('list.label')}>
      {orders.map((order) => (
        <li key={order.id} className={styles.row}>
          <Link to={paths.order.href(order.id)} className={styles.rowTitle}>{order.plan?.name ?? t(`kind.${order.kind}`)}</Link>
          <span className={styles.rowStatus} data-status={order.status}>{t(`status.${order.status}`)}</span>
          <span className={styles.rowMoney}>{format.money(order.total)}</span>
          <time className={styles.rowTime} dateTime={order.createdAt}>{format.dateTime(order.createdAt)}</time>
        </li>
      ))}
    </ul>
  );
}

export function OrdersPage() {
  const { t } = useTranslation('orders');
  const orders = useQuery(ordersQuery());
  let body;
  if (orders.data) body = <OrdersList orders={orders.data} />;
  else if (orders.error) body = <SectionError error={orders.error} onRetry={() => void orders.refetch()} />;
  else {
    body = (
      <div className={styles.list} aria-busy="true">
        {[0, 1, 2].map((i) => <SkeletonBlock key={i} height="3.5rem" />)}
      </div>
    );
  }
  return (
    <div className="page">
      <h1>{t('list.title')}</h1>
      {body}
    </div>
  );
}

import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { StatusChip } from '../../../components/status-chip';
import { useFormat } from '../../../lib/format';
import { paths } from '../../../paths';
import { lineOrdersQuery, type LineOrder } from '../queries';
import { orderStatusTone } from '../status-tone';
import styles from './line-detail.module.css';

function OrderRow({ order }: { order: LineOrder }) {
  const { t } = useTranslation('orders');
  const format = useFormat();
  return (
    <li className={styles.order}>
      <Link to={paths.order.href(order.id)}>{order.plan?.name ?? t(`kind.${order.kind}`)}</Link>
      <span>{format.money(order.total)}</span>
      <StatusChip className={styles.orderStatus} tone={orderStatusTone(order.status)} status={order.status}>{t(`status.${order.status}`)}</StatusChip>
      <time className={styles.bucketText} dateTime={order.createdAt}>{format.dateTime(order.createdAt)}</time>
    </li>
  );
}

export function LineOrders({ lineId }: { lineId: string }) {
  const { t } = useTranslation('lines');
  const orders = useQuery(lineOrdersQuery(lineId));
  let body;
  if (orders.data) {
    body = orders.data.length === 0
      ? <p className={styles.meta}>{t('detail.noOrders')}</p>
      : <ul className={styles.orders}>{orders.data.map((order) => <OrderRow key={order.id} order={order} />)}</ul>;
  } else if (orders.error) {
    body = <SectionError error={orders.error} onRetry={() => void orders.refetch()} />;
  } else {
    body = <div aria-busy="true"><SkeletonBlock height="2.5rem" /><SkeletonBlock height="2.5rem" /></div>;
  }
  return (
    <section className={styles.card} aria-labelledby="line-orders">
      <h2 id="line-orders">{t('detail.orders')}</h2>
      {body}
    </section>
  );
}

// An order's status, followed live until it settles: where the payment provider's page sends the
// subscriber back to (the sandbox pay page's "back to the order" link).
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { useFormat } from '../../../lib/format';
import { paths } from '../../../paths';
import { orderQuery, type Order } from '../queries';
import styles from './order.module.css';

function OrderDetails({ order }: { order: Order }) {
  const { t } = useTranslation('orders');
  const format = useFormat();
  return (
    <section className={styles.card} aria-labelledby="order-title">
      <h1 id="order-title">{order.plan?.name ?? t(`kind.${order.kind}`)}</h1>
      <p className={styles.status} role="status" data-status={order.status}>{t(`status.${order.status}`)}</p>
      <dl className={styles.facts}>
        <div><dt>{t('total')}</dt><dd>{format.money(order.total)}</dd></div>
        <div><dt>{t('createdAt')}</dt><dd>{format.dateTime(order.createdAt)}</dd></div>
      </dl>
      <h2>{t('events')}</h2>
      <ol className={styles.events}>
        {order.events.map((event, i) => (
          <li key={`${event.at}-${i}`}>
            <time dateTime={event.at}>{format.dateTime(event.at)}</time>{' '}
            <span>{t(`status.${event.status}`, { defaultValue: event.status })}</span>
          </li>
        ))}
      </ol>
      <p><Link to={paths.lines.href()}>{t('backToLines')}</Link></p>
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

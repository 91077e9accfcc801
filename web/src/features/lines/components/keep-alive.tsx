import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../../lib/format';
import { linePlansQuery, type LineDetail, type LinePlan } from '../queries';
import styles from './line-detail.module.css';

/** The least a subscriber can pay to recharge this line: the cheapest fixed-price plan or top-up on sale for it. */
export function cheapestRecharge(plans: readonly LinePlan[]): LinePlan | null {
  let cheapest: LinePlan | null = null;
  for (const plan of plans) {
    if (plan.kind === 'addon' || plan.bundle !== null) continue;
    if (!cheapest || plan.price.amount < cheapest.price.amount) cheapest = plan;
  }
  return cheapest;
}

function CheapestRecharge({ lineId }: { lineId: string }) {
  const { t } = useTranslation('lines');
  const format = useFormat();
  const plans = useQuery({ ...linePlansQuery(lineId), select: (answer) => cheapestRecharge(answer.items) });
  if (!plans.data) return null;
  return <p className={styles.safeHint}>{t('detail.cheapest', { plan: plans.data.name, price: format.money(plans.data.price) })}</p>;
}

/** "Number safe until X — do Y by Z", and for a recharge the cheapest way to do it and its price. */
export function KeepAlive({ line }: { line: LineDetail }) {
  const { t } = useTranslation('lines');
  const format = useFormat();
  const safe = line.safeUntil ?? line.keepAliveBy ?? line.expiresAt;
  if (!safe) return <p className={styles.safe}>{t('card.safeUntilUnknown')}</p>;
  const by = line.keepAliveBy ?? line.actionBy;
  return (
    <div className={styles.safe}>
      <p className={styles.safeDate}>{t('card.safeUntil', { date: format.date(safe) })}</p>
      {line.keepAliveAction && by && <p className={styles.safeHint}>{t(`card.keepAlive.${line.keepAliveAction}`, { date: format.date(by) })}</p>}
      {line.keepAliveAction === 'recharge' && <CheapestRecharge lineId={line.id} />}
      {line.keepAliveAction === 'use_the_line' && <p className={styles.safeHint}>{t('detail.useIsFree')}</p>}
    </div>
  );
}

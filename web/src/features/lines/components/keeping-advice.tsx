// "Number safe until X — do Y by Z", with the cheapest act that keeps the number and its price. The
// lines page and the line page both show it from the same source: the calendar's answer (one request
// for all lines, keepingQuery) matched to the line by keepingDeadline.
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { SkeletonBlock } from '../../../components/skeleton';
import { useFormat } from '../../../lib/format';
import { paths } from '../../../paths';
import { keepingDeadline } from '../keeping';
import { keepingQuery, type Deadline, type Line } from '../queries';
import styles from './keeping-advice.module.css';

/** The act as one sentence: what, by when, and what it costs (the plan that does it), or that it is free. */
function useKeepingText(): (deadline: Deadline) => string {
  const { t } = useTranslation('lines');
  const format = useFormat();
  return ({ action, at, price, plan }) => {
    const date = format.date(at);
    const cost = price && plan ? { date, price: format.money(price), plan: plan.name } : null;
    switch (action) {
      case 'renew': return cost ? t('card.keeping.renew', cost) : t('card.keeping.renewNoPrice', { date });
      case 'recharge': return cost ? t('card.keeping.recharge', cost) : t('card.keeping.rechargeNoPrice', { date });
      case 'auto_renew_scheduled':
        return cost ? t('card.keeping.auto_renew_scheduled', cost) : t('card.keeping.auto_renew_scheduledNoPrice', { date });
      case 'use_line': return t('card.keeping.use_line', { date });
      case 'contact_support': return t('card.keeping.contact_support', { date });
    }
  };
}

export function KeepingAdvice({ line }: { line: Line }) {
  const { t } = useTranslation('lines');
  const format = useFormat();
  const keepingText = useKeepingText();
  const keeping = useQuery({ ...keepingQuery(), select: (answer) => keepingDeadline(line, answer.items) });
  const safe = line.safeUntil ?? line.actionBy ?? line.expiresAt;
  if (!safe) return <p className={styles.safe}>{t('card.safeUntilUnknown')}</p>;
  const deadline = keeping.data ?? null;
  let hint: ReactNode = null;
  if (deadline) hint = <p className={styles.safeHint}>{keepingText(deadline)}</p>;
  // While the calendar answers: a line of skeleton, so the sentence does not change under the reader's eyes.
  else if (keeping.isPending && line.actionBy) hint = <SkeletonBlock width="85%" height="0.9rem" />;
  // The deadline beyond the calendar's reach, or the calendar failed: the act without its price.
  else if (line.keepAliveAction && line.actionBy) {
    hint = <p className={styles.safeHint}>{t(`card.keepAlive.${line.keepAliveAction}`, { date: format.date(line.actionBy) })}</p>;
  }
  return (
    <div className={styles.safe}>
      <p className={styles.safeDate}>{t('card.safeUntil', { date: format.date(safe) })}</p>
      {hint}
      {deadline?.action === 'contact_support' && <p className={styles.safeHint}><Link to={paths.newTicket.href(line.id)}>{t('card.contactSupport')}</Link></p>}
    </div>
  );
}

// The order's way from payment to the line: paid → provisioning → completed, each step with the time
// it happened, the current one marked for screen readers too.
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../../lib/format';
import type { Order } from '../queries';
import styles from './order.module.css';

const STEPS = ['awaiting_payment', 'paid', 'provisioning', 'completed'] as const;
type Step = (typeof STEPS)[number];
type StepState = 'done' | 'current' | 'todo';

function isStep(status: string): status is Step {
  return (STEPS as readonly string[]).includes(status);
}

function stepStates(order: Order): Array<{ status: Order['status']; state: StepState; at: string | null }> {
  const reachedAt = new Map<string, string>();
  for (const event of order.events) if (!reachedAt.has(event.status)) reachedAt.set(event.status, event.at);
  const at = (status: string) => reachedAt.get(status) ?? null;
  if (!isStep(order.status)) {
    // failed, cancelled, refunded, expired: the steps it reached, then where it ended.
    const reached = STEPS.filter((status) => reachedAt.has(status)).map((status) => ({ status, state: 'done' as const, at: at(status) }));
    return [...reached, { status: order.status, state: 'current', at: at(order.status) }];
  }
  // Wallet and voucher orders are paid at once: "waiting for payment" shows done without a time.
  const current = STEPS.indexOf(order.status);
  return STEPS.map((status, i) => ({
    status,
    state: i < current || order.status === 'completed' ? 'done' : i === current ? 'current' : 'todo',
    at: at(status),
  }));
}

export function OrderTimeline({ order }: { order: Order }) {
  const { t } = useTranslation('orders');
  const format = useFormat();
  return (
    <ol className={styles.timeline} aria-label={t('events')}>
      {stepStates(order).map((step) => (
        <li key={step.status} data-state={step.state} data-status={step.status} aria-current={step.state === 'current' ? 'step' : undefined}>
          <span className={styles.stepName}>{t(`status.${step.status}`)}</span>
          {step.at && <time dateTime={step.at} className={styles.stepTime}>{format.dateTime(step.at)}</time>}
        </li>
      ))}
    </ol>
  );
}

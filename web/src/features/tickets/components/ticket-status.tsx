import { useTranslation } from 'react-i18next';
import type { TicketStatus } from '../queries';
import styles from './tickets.module.css';

/** A ticket's status as a small coloured chip with its words (the colour is never the only sign). */
export function TicketStatusChip({ status }: { status: TicketStatus }) {
  const { t } = useTranslation('tickets');
  return <span className={styles.status} data-status={status}>{t(`status.${status}`)}</span>;
}

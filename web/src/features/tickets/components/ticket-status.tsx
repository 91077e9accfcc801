import { useTranslation } from 'react-i18next';
import type { TicketStatus } from '../queries';
import { StatusChip, type StatusTone } from '../../../components/status-chip';

/** Waiting on support is a warning; answered is good news; closed is done. */
const TONE: Record<TicketStatus, StatusTone> = { open: 'warn', answered: 'ok', closed: 'neutral' };

/** A ticket's status as a small coloured chip with its words (the colour is never the only sign). */
export function TicketStatusChip({ status }: { status: TicketStatus }) {
  const { t } = useTranslation('tickets');
  return <StatusChip tone={TONE[status]} status={status}>{t(`status.${status}`)}</StatusChip>;
}

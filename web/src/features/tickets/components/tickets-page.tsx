// The subscriber's support tickets, latest activity first, filtered by status with chips (links, so
// the filter is in the address and Back undoes it).
import { useInfiniteQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { useFormat } from '../../../lib/format';
import { paths } from '../../../paths';
import { statusFilterOf, TICKET_STATUSES, ticketsQuery, type TicketStatus, type TicketSummary } from '../queries';
import { TicketStatusChip } from './ticket-status';
import styles from './tickets.module.css';

const PLACEHOLDER_ROWS = 3;

function StatusChips({ active }: { active: TicketStatus | null }) {
  const { t } = useTranslation('tickets');
  const chips = [null, ...TICKET_STATUSES] as const;
  return (
    <nav aria-label={t('filter.label')}>
      <ul className={styles.chips}>
        {chips.map((status) => (
          <li key={status ?? 'all'}>
            <Link className={styles.chip} to={paths.tickets.href(status ?? undefined)} aria-current={status === active ? 'page' : undefined}>
              {status ? t(`status.${status}`) : t('filter.all')}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function TicketRow({ ticket }: { ticket: TicketSummary }) {
  const { t } = useTranslation('tickets');
  const format = useFormat();
  return (
    <li className={styles.row}>
      <div className={styles.rowHeader}>
        <Link className={styles.subject} to={paths.ticket.href(ticket.id)}>{ticket.subject}</Link>
        <TicketStatusChip status={ticket.status} />
      </div>
      <p className={styles.meta}>
        {t('list.updated', { date: format.dateTime(ticket.updatedAt) })} · {t('list.messages', { count: ticket.messageCount })}
      </p>
    </li>
  );
}

function TicketsSkeleton() {
  const { t } = useTranslation('tickets');
  return (
    <div className={styles.list} aria-busy="true" role="status" aria-label={t('loading')}>
      {Array.from({ length: PLACEHOLDER_ROWS }, (_, i) => (
        <div key={i} className={styles.row}>
          <SkeletonBlock width="60%" height="1.2rem" />
          <SkeletonBlock width="40%" />
        </div>
      ))}
    </div>
  );
}

function Empty({ filtered }: { filtered: boolean }) {
  const { t } = useTranslation('tickets');
  return (
    <section className={styles.panel} aria-labelledby="tickets-empty">
      <h2 id="tickets-empty">{filtered ? t('empty.filteredTitle') : t('empty.title')}</h2>
      <p>{filtered ? t('empty.filteredBody') : t('empty.body')}</p>
    </section>
  );
}

export function TicketsPage() {
  const { t } = useTranslation('tickets');
  const [search] = useSearchParams();
  const status = statusFilterOf(search.get('status'));
  const tickets = useInfiniteQuery(ticketsQuery(status));
  let body;
  // Data first, then error, then loading: a refetch that fails must not hide tickets already shown.
  if (tickets.data) {
    body = tickets.data.length === 0 ? <Empty filtered={status !== null} /> : (
      <>
        <ul className={styles.list} aria-label={t('list.label')}>
          {tickets.data.map((ticket) => <TicketRow key={ticket.id} ticket={ticket} />)}
        </ul>
        {tickets.hasNextPage && (
          <button type="button" className="button-secondary" disabled={tickets.isFetchingNextPage} onClick={() => void tickets.fetchNextPage()}>
            {t('list.more')}
          </button>
        )}
      </>
    );
  } else if (tickets.error) body = <SectionError error={tickets.error} onRetry={() => void tickets.refetch()} />;
  else body = <TicketsSkeleton />;
  return (
    <div className="page">
      <div className={styles.heading}>
        <h1>{t('title')}</h1>
        <Link className="button" to={paths.newTicket.href()}>{t('new')}</Link>
      </div>
      <StatusChips active={status} />
      {body}
    </div>
  );
}

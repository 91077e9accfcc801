// One ticket: what it is about, the thread (the subscriber's messages and support's answers), a reply
// form and a close button while it is open; once closed, it says that replying is closed and offers
// a new ticket instead. The `ticket_reply` notification links here.
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { useErrorText } from '../../../components/error-text';
import { useFormat } from '../../../lib/format';
import { paths } from '../../../paths';
import { useAttemptKey } from '../attempt-key';
import { useCloseTicket, useReplyToTicket } from '../mutations';
import { ticketLinesQuery, ticketQuery, type Ticket } from '../queries';
import { charCount, MESSAGE_CHARS_MAX } from '../text-limits';
import { MessageField } from './message-field';
import { TicketStatusChip } from './ticket-status';
import styles from './tickets.module.css';

function Thread({ ticket }: { ticket: Ticket }) {
  const { t } = useTranslation('tickets');
  const format = useFormat();
  return (
    <section aria-labelledby="thread-title" className={styles.threadSection}>
      <h2 id="thread-title">{t('ticket.thread')}</h2>
      <ol className={styles.thread}>
        {ticket.messages.map((message, i) => (
          <li key={`${message.at}-${i}`} className={styles.message} data-from={message.from}>
            <p className={styles.messageMeta}>
              <strong>{t(`ticket.from.${message.from}`)}</strong>{' · '}
              <time dateTime={message.at}>{format.dateTime(message.at)}</time>
            </p>
            <p className={styles.messageBody}>{message.body}</p>
          </li>
        ))}
      </ol>
    </section>
  );
}

function ReplyForm({ ticket }: { ticket: Ticket }) {
  const { t } = useTranslation('tickets');
  const errorText = useErrorText();
  const reply = useReplyToTicket(ticket.id);
  const close = useCloseTicket(ticket.id);
  const attempt = useAttemptKey();
  const [body, setBody] = useState('');
  const [tried, setTried] = useState(false);
  const tooLong = charCount(body) > MESSAGE_CHARS_MAX;
  const bodyError = tooLong ? t('form.bodyTooLong', { max: MESSAGE_CHARS_MAX })
    : tried && charCount(body) === 0 ? t('form.bodyRequired') : reply.error ? errorText(reply.error) : null;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setTried(true);
    if (charCount(body) === 0 || tooLong) return;
    reply.mutate({ body: body.trim(), idempotencyKey: attempt.current() }, {
      onSuccess: () => {
        attempt.finish();
        setBody('');
        setTried(false);
      },
    });
  };

  return (
    <section aria-labelledby="reply-title" className={styles.panel}>
      <h2 id="reply-title">{t('ticket.replyTitle')}</h2>
      <form className={styles.form} onSubmit={submit} noValidate>
        <MessageField label={t('ticket.reply')} required rows={4} value={body} error={bodyError} onChange={(e) => setBody(e.target.value)} />
        {close.error && <p className={styles.formError} role="alert">{errorText(close.error)}</p>}
        <div className={styles.actions}>
          <button type="submit" className="button" disabled={reply.isPending}>{t('ticket.send')}</button>
          <button type="button" className="button-secondary" disabled={close.isPending} onClick={() => close.mutate()}>{t('ticket.close')}</button>
        </div>
      </form>
    </section>
  );
}

function ClosedNotice({ lineId }: { lineId: string | null }) {
  const { t } = useTranslation('tickets');
  return (
    <section className={styles.closed} aria-labelledby="closed-title">
      <h2 id="closed-title">{t('ticket.closedTitle')}</h2>
      <p>{t('ticket.closedBody')}</p>
      <Link className="button-secondary" to={paths.newTicket.href(lineId ?? undefined)}>{t('ticket.newTicket')}</Link>
    </section>
  );
}

function TicketDetails({ ticket }: { ticket: Ticket }) {
  const { t } = useTranslation('tickets');
  const format = useFormat();
  const lines = useQuery(ticketLinesQuery());
  const line = ticket.lineId ? lines.data?.find((l) => l.id === ticket.lineId) : undefined;
  return (
    <>
      <header className={styles.ticketHeader}>
        <h1 className={styles.ticketTitle}>{ticket.subject}</h1>
        <TicketStatusChip status={ticket.status} />
      </header>
      <dl className={styles.facts}>
        <div><dt>{t('ticket.opened')}</dt><dd>{format.dateTime(ticket.createdAt)}</dd></div>
        <div><dt>{t('ticket.line')}</dt><dd>{ticket.lineId ? (line?.label ?? '…') : t('ticket.noLine')}</dd></div>
      </dl>
      <Thread ticket={ticket} />
      {ticket.status === 'closed' ? <ClosedNotice lineId={ticket.lineId} /> : <ReplyForm ticket={ticket} />}
    </>
  );
}

function TicketSkeleton() {
  const { t } = useTranslation('tickets');
  return (
    <div className={styles.panel} aria-busy="true" role="status" aria-label={t('ticket.loading')}>
      <SkeletonBlock width="60%" height="1.75rem" />
      <SkeletonBlock width="40%" />
      <SkeletonBlock height="5rem" />
      <SkeletonBlock height="5rem" />
    </div>
  );
}

export function TicketPage() {
  const { t } = useTranslation('tickets');
  const { ticketId = '' } = useParams();
  const ticket = useQuery(ticketQuery(ticketId));
  let body;
  if (ticket.data) body = <TicketDetails ticket={ticket.data} />;
  else if (ticket.error) body = <SectionError error={ticket.error} onRetry={() => void ticket.refetch()} />;
  else body = <TicketSkeleton />;
  return (
    <div className="page">
      <p className={styles.back}><Link to={paths.tickets.href()}>{t('ticket.back')}</Link></p>
      {body}
    </div>
  );
}

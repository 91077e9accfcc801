// Opening a ticket: a subject, the message and, if it is about one, which of the subscriber's lines
// (`?lineId=` preselects it, for a "help with this line" link). Lengths are checked as typed; the
// server's refusal lands on its field.
import { useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import fieldStyles from '../../../components/field.module.css';
import { Field } from '../../../components/field';
import { errorCodeOf, useErrorText } from '../../../components/error-text';
import { paths } from '../../../paths';
import { useAttemptKey } from '../attempt-key';
import { useOpenTicket } from '../mutations';
import { ticketLinesQuery } from '../queries';
import { charCount, MESSAGE_CHARS_MAX, SUBJECT_CHARS_MAX } from '../text-limits';
import { MessageField } from './message-field';
import styles from './tickets.module.css';

const FIELD_OF_CODE: Record<string, 'subject' | 'body' | 'line'> = {
  invalid_ticket_subject: 'subject', invalid_ticket_message: 'body', line_not_found: 'line',
};

function LineSelect({ value, onChange, error }: { value: string; onChange: (lineId: string) => void; error: string | null }) {
  const { t } = useTranslation('tickets');
  const lines = useQuery(ticketLinesQuery());
  const id = useId();
  const choices = lines.data ?? [];
  // No lines (or none loaded yet): the ticket is simply not about a line; nothing to choose.
  if (choices.length === 0 && !value) return null;
  return (
    <div className={fieldStyles.field}>
      <label htmlFor={id} className={fieldStyles.label}>{t('form.line')}</label>
      <select id={id} className={styles.select} value={value} aria-invalid={error ? true : undefined} onChange={(e) => onChange(e.target.value)}>
        <option value="">{t('form.noLine')}</option>
        {choices.map((line) => <option key={line.id} value={line.id}>{line.label}</option>)}
      </select>
      {error && <p className={fieldStyles.error}>{error}</p>}
    </div>
  );
}

export function NewTicketPage() {
  const { t } = useTranslation('tickets');
  const errorText = useErrorText();
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const open = useOpenTicket();
  const attempt = useAttemptKey();
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [lineId, setLineId] = useState(search.get('lineId') ?? '');
  const [tried, setTried] = useState(false);
  const serverField = open.error ? FIELD_OF_CODE[errorCodeOf(open.error)] : undefined;
  const serverError = open.error ? errorText(open.error) : null;
  const subjectError = charCount(subject) > SUBJECT_CHARS_MAX ? t('form.subjectTooLong', { max: SUBJECT_CHARS_MAX })
    : tried && charCount(subject) === 0 ? t('form.subjectRequired') : serverField === 'subject' ? serverError : null;
  const bodyError = charCount(body) > MESSAGE_CHARS_MAX ? t('form.bodyTooLong', { max: MESSAGE_CHARS_MAX })
    : tried && charCount(body) === 0 ? t('form.bodyRequired') : serverField === 'body' ? serverError : null;
  const formError = open.error && !serverField ? serverError : null;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setTried(true);
    const valid = (n: number, max: number) => n > 0 && n <= max;
    if (!valid(charCount(subject), SUBJECT_CHARS_MAX) || !valid(charCount(body), MESSAGE_CHARS_MAX)) return;
    const input = { subject: subject.trim(), body: body.trim(), ...(lineId ? { lineId } : {}) };
    open.mutate({ body: input, idempotencyKey: attempt.current() }, {
      onSuccess: (ticket) => {
        attempt.finish();
        void navigate(paths.ticket.href(ticket.id), { replace: true });
      },
    });
  };

  return (
    <div className="page">
      <section className={styles.panel} aria-labelledby="new-ticket-title">
        <h1 id="new-ticket-title">{t('form.title')}</h1>
        <p className={styles.meta}>{t('form.intro')}</p>
        <form className={styles.form} onSubmit={submit} noValidate>
          {formError && <p className={styles.formError} role="alert">{formError}</p>}
          <Field label={t('form.subject')} autoComplete="off" required value={subject} error={subjectError} onChange={(e) => setSubject(e.target.value)} />
          <LineSelect value={lineId} onChange={setLineId} error={serverField === 'line' ? serverError : null} />
          <MessageField label={t('form.body')} hint={t('form.bodyHint')} required rows={6} value={body} error={bodyError} onChange={(e) => setBody(e.target.value)} />
          <div className={styles.actions}>
            <button type="submit" className="button" disabled={open.isPending}>{t('form.submit')}</button>
            <Link className="button-secondary" to={paths.tickets.href()}>{t('form.cancel')}</Link>
          </div>
        </form>
      </section>
    </div>
  );
}

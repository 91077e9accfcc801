// The deadline calendar: every date by which one of the user's numbers must be kept, soonest first and
// grouped by month, each with what happens, the cheapest way to keep it and a link to do so; then the
// private .ics link that calendar apps subscribe to. The period is in the address, so it survives a reload.
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { useFormat } from '../../../lib/format';
import { paths } from '../../../paths';
import { CALENDAR_PERIODS, calendarQuery, DEFAULT_PERIOD, isCalendarPeriod, type CalendarPeriod, type Deadline } from '../queries';
import { CalendarFeed } from './calendar-feed';
import styles from './calendar.module.css';

const PERIOD_PARAM = 'days';

function usePeriod(): [CalendarPeriod, (period: CalendarPeriod) => void] {
  const [search, setSearch] = useSearchParams();
  const asked = Number(search.get(PERIOD_PARAM));
  const period = isCalendarPeriod(asked) ? asked : DEFAULT_PERIOD;
  return [period, (next) => setSearch({ [PERIOD_PARAM]: String(next) }, { replace: true })];
}

/** What the user does about a deadline, as a sentence; the price (when the server gave one) through Intl. */
function useActionText(): (deadline: Deadline) => string {
  const { t } = useTranslation('calendar');
  const format = useFormat();
  return ({ action, price }) => {
    switch (action) {
      case 'renew': return price ? t('actions.renew', { price: format.money(price) }) : t('actions.renewNoPrice');
      case 'recharge': return price ? t('actions.recharge', { price: format.money(price) }) : t('actions.rechargeNoPrice');
      case 'auto_renew_scheduled':
        return price ? t('actions.auto_renew_scheduled', { price: format.money(price) }) : t('actions.auto_renew_scheduledNoPrice');
      case 'use_line': return t('actions.use_line');
      case 'contact_support': return t('actions.contact_support');
    }
  };
}

/** Where the user acts on a deadline: the line's plans for a plan or a top-up, a new ticket for support. */
function actionLink(deadline: Deadline): { href: string; label: 'act.renew' | 'act.recharge' | 'act.contact_support' } | null {
  switch (deadline.action) {
    case 'renew': return { href: paths.plans.href(deadline.lineId), label: 'act.renew' };
    case 'recharge': return { href: paths.plans.href(deadline.lineId), label: 'act.recharge' };
    case 'contact_support': return { href: paths.newTicket.href(deadline.lineId), label: 'act.contact_support' };
    default: return null;
  }
}

function DeadlineItem({ deadline }: { deadline: Deadline }) {
  const { t } = useTranslation('calendar');
  const format = useFormat();
  const actionText = useActionText();
  const titleId = useId();
  const lineName = deadline.nickname ?? deadline.msisdn ?? t('unnamedLine');
  const act = actionLink(deadline);
  return (
    <li className={styles.deadline}>
      <time className={styles.date} dateTime={deadline.at}>{format.date(deadline.at)}</time>
      <div className={styles.what}>
        <p id={titleId} className={styles.kind}>
          <Link to={paths.line.href(deadline.lineId)} className={styles.line}>{lineName}</Link>
          {' · '}
          {t(`kinds.${deadline.kind}`)}
        </p>
        <p className={styles.action}>{actionText(deadline)}</p>
      </div>
      {act && <Link className={`button ${styles.act}`} to={act.href} aria-describedby={titleId}>{t(act.label)}</Link>}
    </li>
  );
}

/** Deadlines in runs of one month (they come soonest first), each run named by its month in the active locale. */
function byMonth(deadlines: Deadline[], locale: string): Array<{ month: string; items: Deadline[] }> {
  const monthOf = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'long' });
  const groups: Array<{ month: string; items: Deadline[] }> = [];
  for (const deadline of deadlines) {
    const month = monthOf.format(new Date(deadline.at));
    const last = groups.at(-1);
    if (last?.month === month) last.items.push(deadline);
    else groups.push({ month, items: [deadline] });
  }
  return groups;
}

function DeadlineList({ deadlines }: { deadlines: Deadline[] }) {
  const { t, i18n } = useTranslation('calendar');
  return (
    <div className={styles.months}>
      {byMonth(deadlines, i18n.language).map(({ month, items }) => (
        <section key={month} className={styles.month} aria-label={t('monthLabel', { month })}>
          <h2 className={styles.monthTitle}>{month}</h2>
          <ul className={styles.list}>
            {items.map((d) => <DeadlineItem key={`${d.lineId}-${d.kind}-${d.at}`} deadline={d} />)}
          </ul>
        </section>
      ))}
    </div>
  );
}

function DeadlinesSkeleton() {
  const { t } = useTranslation('calendar');
  return (
    <div className={styles.months} aria-busy="true" role="status" aria-label={t('loading')}>
      <SkeletonBlock width="35%" height="1.4rem" />
      {[0, 1, 2].map((i) => (
        <div key={i} className={styles.deadline}>
          <SkeletonBlock width="6rem" />
          <div className={styles.what}>
            <SkeletonBlock width="70%" />
            <SkeletonBlock width="50%" />
          </div>
        </div>
      ))}
    </div>
  );
}

function PeriodSelect({ period, onChange }: { period: CalendarPeriod; onChange: (period: CalendarPeriod) => void }) {
  const { t } = useTranslation('calendar');
  const id = useId();
  return (
    <div className={styles.period}>
      <label htmlFor={id}>{t('period.label')}</label>
      <select
        id={id}
        value={period}
        onChange={(event) => {
          const next = Number(event.target.value);
          if (isCalendarPeriod(next)) onChange(next);
        }}
      >
        {CALENDAR_PERIODS.map((days) => <option key={days} value={days}>{t('period.days', { count: days })}</option>)}
      </select>
    </div>
  );
}

export function CalendarPage() {
  const { t } = useTranslation('calendar');
  const [period, setPeriod] = usePeriod();
  const deadlines = useQuery(calendarQuery(period));
  let body;
  if (deadlines.data) {
    body = deadlines.data.length === 0
      ? <section className={styles.empty}><h2>{t('empty.title')}</h2><p>{t('empty.body', { count: period })}</p></section>
      : <DeadlineList deadlines={deadlines.data} />;
  } else if (deadlines.error) {
    body = <SectionError error={deadlines.error} onRetry={() => void deadlines.refetch()} />;
  } else {
    body = <DeadlinesSkeleton />;
  }
  return (
    <div className="page">
      <div className={styles.heading}>
        <h1>{t('title')}</h1>
        <PeriodSelect period={period} onChange={setPeriod} />
      </div>
      <p className={styles.intro}>{t('intro')}</p>
      {body}
      <CalendarFeed />
    </div>
  );
}

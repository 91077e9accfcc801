import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { StatusChip } from '../../../components/status-chip';
import { useFormat } from '../../../lib/format';
import { paths } from '../../../paths';
import type { Line } from '../queries';
import { lineStatusTone } from '../status-tone';
import { KeepingAdvice } from './keeping-advice';
import styles from './lines.module.css';

type Unit = Line['buckets'][number]['unit'];

/** What the line's buckets of one unit started with, so a gauge shows how much is left of it. */
function totalOf(line: Line, unit: Unit): number {
  return line.buckets.filter((b) => b.unit === unit).reduce((sum, b) => sum + b.total, 0);
}

/** A card number in groups of four, as printed on the card, so it wraps between groups on a phone. */
function grouped(iccid: string): string {
  return iccid.replace(/(\d{4})(?=\d)/g, '$1 ');
}

function Gauge({ label, remaining, total, text }: { label: string; remaining: number; total: number; text: string }) {
  const labelId = useId();
  return (
    <div className={styles.gauge}>
      <span id={labelId} className={styles.gaugeLabel}>{label}</span>
      <meter aria-labelledby={labelId} aria-valuetext={text} min={0} max={Math.max(total, remaining, 1)} value={remaining} low={Math.max(total, 1) * 0.2} optimum={Math.max(total, 1)} />
      <span className={styles.gaugeText}>{text}</span>
    </div>
  );
}

export function LineCard({ line }: { line: Line }) {
  const { t } = useTranslation('lines');
  const format = useFormat();
  const titleId = useId();
  const number = line.msisdn ?? grouped(line.iccid);
  const gauge = (unit: Unit, remaining: number) => {
    const total = totalOf(line, unit);
    const values = { remaining: format.number(remaining), total: format.number(total) };
    return <Gauge label={t(`card.units.${unit}`)} remaining={remaining} total={total} text={total > 0 ? t(`card.left.${unit}`, values) : t(`card.none.${unit}`)} />;
  };
  return (
    <article className={styles.card} aria-labelledby={titleId}>
      <header className={styles.cardHeader}>
        <div>
          <h2 id={titleId} className={styles.number}>{line.nickname ?? number}</h2>
          <p className={styles.meta}>{line.nickname ? `${number} · ` : ''}{line.carrierName}</p>
        </div>
        <StatusChip tone={lineStatusTone(line.status)} status={line.status}>{t(`status.${line.status}`)}</StatusChip>
      </header>
      <dl className={styles.facts}>
        <div>
          <dt>{t('card.plan')}</dt>
          <dd>{line.plan?.name ?? t('card.noPlan')}</dd>
        </div>
        <div>
          <dt>{t('card.wallet')}</dt>
          <dd>{format.money(line.balances.wallet)}</dd>
        </div>
      </dl>
      <KeepingAdvice line={line} />
      <div className={styles.gauges}>
        {gauge('data', line.balances.dataMb)}
        {gauge('voice', line.balances.voiceMin)}
        {gauge('sms', line.balances.sms)}
      </div>
      <p className={styles.cardActions}>
        <Link to={paths.line.href(line.id)} aria-describedby={titleId}>{t('card.details')}</Link>
        <Link className="button-secondary" to={paths.plans.href(line.id)} aria-describedby={titleId}>{t('card.buy')}</Link>
      </p>
    </article>
  );
}

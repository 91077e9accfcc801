// The usage chart, a chunk of its own (uPlot and its CSS load only when a line's page shows it).
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useDayLabel, type DayUsage } from './usage-days';
import styles from './line-detail.module.css';

const CHART_HEIGHT_PX = 220;
const COLORS = { data: '#0b5cad', voice: '#1a7f4b', sms: '#8a5a00' };

function chartOptions(width: number, labels: { day: string; data: string; voice: string; sms: string }, dayLabel: (iso: string) => string, days: readonly DayUsage[]): uPlot.Options {
  return {
    width,
    height: CHART_HEIGHT_PX,
    scales: { x: { time: false }, count: { auto: true } },
    axes: [
      // Day labels are wide ("11月17日"): at least this many pixels apart, so they never run together on a phone.
      { space: 72, values: (_u, splits) => splits.map((i) => (days[i] ? dayLabel(days[i].at) : '')) },
      { label: labels.data, scale: 'mb' },
      { label: `${labels.voice} / ${labels.sms}`, scale: 'count', side: 1, grid: { show: false } },
    ],
    series: [
      // The legend names the hovered day in the page's language rather than uPlot's English "Value".
      { label: labels.day, value: (_u, i) => (days[i] ? dayLabel(days[i].at) : '–') },
      { label: labels.data, scale: 'mb', stroke: COLORS.data, fill: 'rgba(11, 92, 173, 0.12)', width: 2 },
      { label: labels.voice, scale: 'count', stroke: COLORS.voice, width: 2 },
      { label: labels.sms, scale: 'count', stroke: COLORS.sms, width: 2, dash: [6, 4] },
    ],
  };
}

export default function UsageChart({ days }: { days: readonly DayUsage[] }) {
  const { t } = useTranslation('lines');
  const dayLabel = useDayLabel();
  const holder = useRef<HTMLDivElement>(null);
  const labels = { day: t('detail.usageDay'), data: t('detail.usageData'), voice: t('detail.usageVoice'), sms: t('detail.usageSms') };
  const labelKey = `${labels.day}|${labels.data}|${labels.voice}|${labels.sms}`;

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const data: uPlot.AlignedData = [days.map((_, i) => i), days.map((d) => d.dataMb), days.map((d) => d.voiceMin), days.map((d) => d.sms)];
    const chart = new uPlot(chartOptions(element.clientWidth, labels, dayLabel, days), data, element);
    // The chart follows its box: a phone turned sideways, a window resized.
    const resize = new ResizeObserver(() => chart.setSize({ width: element.clientWidth, height: CHART_HEIGHT_PX }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
    // Rebuilt when the numbers or the language change; the label functions are recreated every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [days, labelKey]);

  return (
    <figure className={styles.chart}>
      <div ref={holder} role="img" aria-label={t('detail.usageChartLabel')} />
      <figcaption className={styles.meta}>{t('detail.usageChartHint')}</figcaption>
    </figure>
  );
}

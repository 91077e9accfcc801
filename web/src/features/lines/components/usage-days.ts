// Usage by day as the portal shows it: whole days in UTC, data in MB, calls in minutes.
import { useTranslation } from 'react-i18next';
import { BYTES_PER_MB } from '../../../../../src/domain/plan-credit';
import type { UsageDay } from '../queries';

export interface DayUsage {
  at: string;
  dataMb: number;
  voiceMin: number;
  sms: number;
}

/** Data in MB and calls in minutes, to one decimal: figures to read, not to bill (billing stays on the server). */
export function toDayUsage(day: UsageDay): DayUsage {
  return {
    at: day.at,
    dataMb: Math.round((day.dataBytes / BYTES_PER_MB) * 10) / 10,
    voiceMin: Math.round((day.voiceSec / 60) * 10) / 10,
    sms: day.sms,
  };
}

/** The day of a bucket of usage, in UTC as the server counts days. */
export function useDayLabel(): (iso: string) => string {
  const { i18n } = useTranslation();
  const format = new Intl.DateTimeFormat(i18n.language, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  return (iso) => format.format(new Date(iso));
}

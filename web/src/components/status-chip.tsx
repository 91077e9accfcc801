// A status as a small coloured pill with its words (the colour is never the only sign). The feature
// says which tone its status has; the chip owns how each tone looks, so every page's chips match.
import type { ReactNode } from 'react';
import styles from './status-chip.module.css';

export type StatusTone = 'ok' | 'warn' | 'danger' | 'neutral';

interface StatusChipProps {
  tone: StatusTone;
  /** The status word in the data (data-status), for tests and styles that place the chip. */
  status?: string;
  /** The caller's layout class (where the chip sits), never its colours. */
  className?: string;
  children: ReactNode;
}

export function StatusChip({ tone, status, className, children }: StatusChipProps) {
  return <span className={className ? `${styles.chip} ${className}` : styles.chip} data-tone={tone} data-status={status}>{children}</span>;
}
